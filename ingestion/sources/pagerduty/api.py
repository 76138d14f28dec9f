"""PagerDuty in API mode: `GET /incidents` in windows of at most 90 days (PagerDuty allows 6
months), paged by offset until `more` is false. One cursor (`incidents services=...`): where
the last run's window ended and the incidents still open then, which are read again by id so a
late resolution is never missed.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import quote

import requests
from dlt.sources.helpers.rest_client.paginators import OffsetPaginator

from ingestion.http import ApiError, NotFoundError
from ingestion.pulling import Pull, iso, later, parse_time

HEADERS = {"Accept": "application/vnd.pagerduty+json;version=2"}
PATH = "incidents"
LIMIT = 100  # the most one page holds
OFFSET_CAP = 10_000  # offset + limit above this is a 400: restart the window instead
WINDOW_DAYS = 90  # since/until may span at most 6 months; stay well inside
HISTORY_DAYS = 730  # how far back the first pull reaches
OVERLAP_HOURS = 1  # a nightly window starts this long before the last one ended


class IncidentPages(OffsetPaginator):
    """dlt's offset paginator on `more`, within PagerDuty's offset cap: `capped` says it
    stopped there with more to come. A broken page is skipped, the offsets go on."""

    def __init__(self, limit: int, cap: int) -> None:
        super().__init__(limit=limit, total_path=None, has_more_path="more")
        self.cap = cap
        self.capped = False

    def update_state(self, response: requests.Response, data: list[Any] | None = None) -> None:
        if getattr(response, "stature_error", None):
            self.current_value += self.value_step
            self._has_next_page = self.current_value <= self.cap
        else:
            super().update_state(response, data)
        if self._has_next_page and self.current_value + self.limit > self.cap:
            self._has_next_page = False
            self.capped = not getattr(response, "stature_error", None)

    def _handle_missing_has_more(self, response_json: Any) -> None:
        pass  # no `more`: the last page (dlt would raise)


def pull(pull: Pull) -> None:
    services = sorted(pull.section.service_ids)
    stream = "incidents" + (f" services={','.join(services)}" if services else "")
    cursor = pull.cursors.get(stream) or {}
    now = pull.now.replace(microsecond=0)
    if (until := parse_time(cursor.get("until"))) is not None:
        start = until - dt.timedelta(hours=OVERLAP_HOURS)
    else:
        start = now - dt.timedelta(days=pull.settings.history_days or HISTORY_DAYS)
    seen: dict[str, str] = {}  # incident id -> status, of every incident pulled this run
    with pull.stream(stream):
        window_start = start
        while window_start < now:
            window_end = min(now, window_start + dt.timedelta(days=WINDOW_DAYS))
            _window(pull, stream, services, window_start, window_end, seen)
            window_start = window_end
        _refresh_open(pull, cursor.get("open", []), seen)
        still_open = sorted(i for i, status in seen.items() if status != "resolved")
        pull.cursors.advance(stream, {"until": iso(now), "open": still_open})


def _window(
    pull: Pull,
    stream: str,
    services: list[str],
    since: dt.datetime,
    until: dt.datetime,
    seen: dict[str, str],
) -> None:
    """Incidents created in [since, until). Offsets stop at OFFSET_CAP: past that the window
    restarts at the newest creation time seen so far."""
    limit = min(pull.settings.per_page or LIMIT, LIMIT)
    last_created: str | None = None
    while True:
        params = {
            "total": "false",
            "since": iso(since),
            "until": iso(until),
            "sort_by": "created_at:asc",
            "time_zone": "UTC",
            "service_ids[]": services or None,
        }
        pages = IncidentPages(limit, OFFSET_CAP)
        for page in pull.api.pages(PATH, params, paginator=pages, data="incidents"):
            items = pull.items(page, "incidents", stream)
            if items is None:
                continue
            endpoint = pull.api.url(PATH)
            pull.writer.page("pagerduty", "incidents", page.text, endpoint=endpoint, url=page.url)
            pull.count("incidents", len(items))
            for incident in items:
                if isinstance(incident, dict) and incident.get("id"):
                    seen[str(incident["id"])] = str(incident.get("status") or "")
                    last_created = later(last_created, incident.get("created_at"))
        if not pages.capped:
            return
        restart = parse_time(last_created)
        if restart is None or restart <= since:
            raise ApiError(
                f"pagerduty: more than {OFFSET_CAP} incidents created at {iso(since)}: "
                "cannot page past them"
            )
        since = restart


def _refresh_open(pull: Pull, open_ids: list[str], seen: dict[str, str]) -> None:
    """Incidents open at the last run may have been resolved since, whenever they began."""
    refreshed = []
    for incident_id in open_ids:
        if incident_id in seen:
            continue
        try:
            page = pull.api.get(f"{PATH}/{quote(incident_id, safe='')}")
        except NotFoundError:
            continue  # merged or deleted: nothing left to update
        incident = page.body.get("incident") if isinstance(page.body, dict) else None
        if isinstance(incident, dict):
            refreshed.append(incident)
            seen[incident_id] = str(incident.get("status") or "")
    if refreshed:
        body = {"incidents": refreshed, "limit": len(refreshed), "offset": 0, "more": False}
        endpoint = pull.api.url(PATH)
        pull.writer.page_json(
            "pagerduty", "incidents", body, endpoint=endpoint, url=endpoint + "/{id}"
        )
        pull.count("incidents", len(refreshed))
