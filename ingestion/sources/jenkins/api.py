"""Jenkins in API mode, for `sources.jenkins.jobs` and the catalog's `jenkins.io/job-full-name`
annotations: `GET /job/<job>/api/json?tree=allBuilds[...]{M,N}`, 100 builds per range,
newest first (`builds` alone stops at 100). One cursor per job (`<job> builds`): the build number
to refresh from, the oldest build still running at the last run (its result will change), so a
nightly run reads ranges until it passes that number.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import requests
from dlt.sources.helpers.rest_client.paginators import BasePaginator

from ingestion import files
from ingestion.pulling import Pull, as_int, configured_paths
from ingestion.sources import catalog

JOB_ANNOTATION = "jenkins.io/job-full-name"  # the catalog annotation naming a service's job
TREE_FIELDS = (
    "number,url,result,building,timestamp,duration,displayName,id,"
    "actions[parameters[name,value],lastBuiltRevision[SHA1]]"
)
RANGE = 100
BROKEN_RANGES = 3  # give up on a job after this many unreadable ranges in a row


def api_path(job: str) -> str:
    """`folder/app` -> `job/folder/job/app/api/json`."""
    return "/".join(f"job/{quote(part, safe='')}" for part in job.split("/") if part) + "/api/json"


class BuildRanges(BasePaginator):
    """Asks for `allBuilds[...]{M,N}` range after range until one comes back short. A range
    whose body is broken does not say where the builds end, so the next range is asked for
    (up to BROKEN_RANGES in a row): ranges do not depend on the body."""

    def __init__(self, step: int = RANGE) -> None:
        super().__init__()
        self.step = step
        self.start = 0
        self.broken = 0

    def _tree(self) -> str:
        return f"allBuilds[{TREE_FIELDS}]{{{self.start},{self.start + self.step}}}"

    def init_request(self, request: requests.Request) -> None:
        request.params = {**(request.params or {}), "tree": self._tree()}

    def update_state(self, response: requests.Response, data: list[Any] | None = None) -> None:
        if getattr(response, "stature_error", None):
            self.broken += 1
            self._has_next_page = self.broken < BROKEN_RANGES
        else:
            self.broken = 0
            self._has_next_page = len(data or []) >= self.step
        self.start += self.step

    def update_request(self, request: requests.Request) -> None:
        request.params = {**(request.params or {}), "tree": self._tree()}


def jobs(config: Any) -> list[str]:
    """sources.jenkins.jobs plus the catalog's `jenkins.io/job-full-name` annotations, once each."""
    seen: dict[str, None] = {}
    for job in config.sources.jenkins.jobs:
        seen.setdefault(job.strip("/ "), None)
    for path in configured_paths(config, "catalog"):
        try:
            documents = [doc for *_, doc in files.yaml_documents(path, files.Limits())]
        except files.FileProblem:
            continue  # the catalog source reports the bad file
        for job in catalog.annotation_values(documents, JOB_ANNOTATION):
            seen.setdefault(job.strip("/ "), None)
    return [job for job in seen if job]


def pull(pull: Pull) -> None:
    for job in jobs(pull.config):
        _job(pull, job)


def _job(pull: Pull, job: str) -> None:
    stream = f"{job} builds"
    cursor = pull.cursors.get(stream) or {}
    refresh_from = cursor.get("refresh_from")
    path = api_path(job)
    numbers: list[int] = []
    building: list[int] = []
    with pull.stream(stream):
        for page in pull.api.pages(path, paginator=BuildRanges(), data="allBuilds"):
            items = pull.items(page, "allBuilds", stream)
            if items is None:
                continue
            pull.writer.page(
                f"jenkins/{job}", "builds", page.text, endpoint=pull.api.url(path), url=page.url
            )
            pull.count("builds", len(items), f" ({job})")
            builds = [b for b in items if isinstance(b, dict) and as_int(b.get("number"))]
            page_numbers = [int(b["number"]) for b in builds]
            numbers += page_numbers
            building += [int(b["number"]) for b in builds if b.get("building")]
            if refresh_from is not None and page_numbers and min(page_numbers) < refresh_from:
                break  # newest first: older builds were final when last pulled
        # Next time, start again at the oldest build still running (its result will change).
        if building:
            value = min(building)
        elif numbers:
            value = max(numbers) + 1
        else:
            value = refresh_from
        pull.cursors.advance(stream, {"refresh_from": value} if value is not None else None)
