"""Opsgenie in API mode: `GET /v2/alerts`, newest-updated first, following `paging.next` as
given, until the last run's cursor (`alerts`: the newest `updatedAt` seen). Opsgenie serves at
most 20,000 alerts per listing (`offset + limit`): a first pull of a larger account stops there
and says so. Then `GET /v2/teams` (one short list, read whole each run) for the team names; a
key without configuration access is refused that list, which is said and not an error: the
catalog must then name teams by id.
"""

from __future__ import annotations

from typing import Any

import requests
from dlt.sources.helpers.rest_client.paginators import JSONLinkPaginator

from ingestion.http import ForbiddenError
from ingestion.pulling import Pull, later, older, parse_time

PATH = "v2/alerts"
TEAMS = "v2/teams"
PARAMS = {"sort": "updatedAt", "order": "desc"}
LIMIT = 100
OFFSET_CAP = 20_000  # offset + limit may not exceed this


class NextPaging(JSONLinkPaginator):
    """`paging.next` as given; a page that stayed broken has no next link to follow."""

    def __init__(self) -> None:
        super().__init__(next_url_path="paging.next")

    def update_state(self, response: requests.Response, data: list[Any] | None = None) -> None:
        if getattr(response, "stature_error", None) or not isinstance(
            getattr(response, "stature_body", None), dict
        ):
            self._next_reference = None
            return
        super().update_state(response, data)


def pull(pull: Pull) -> None:
    _alerts(pull)
    _teams(pull)


def _teams(pull: Pull) -> None:
    with pull.stream("teams"):
        try:
            page = pull.api.get(TEAMS)
        except ForbiddenError:
            pull.skip("team names (the API key has no configuration access: annotate team ids)")
            return
        items = pull.items(page, "data", "teams")
        if items is not None:
            endpoint = pull.api.url(TEAMS)
            pull.writer.page("opsgenie", "teams", page.text, endpoint=endpoint, url=page.url)
            pull.count("teams", len(items))


def _alerts(pull: Pull) -> None:
    stream = "alerts"
    cursor = pull.cursors.get(stream) or {}
    since = parse_time(cursor.get("updated_at"))
    newest: str | None = cursor.get("updated_at")
    limit = min(pull.settings.per_page or LIMIT, LIMIT)
    with pull.stream(stream):
        fetched = 0
        params = {**PARAMS, "limit": limit, "offset": 0}
        for page in pull.api.pages(PATH, params, paginator=NextPaging(), data="data"):
            items = pull.items(page, "data", stream)
            if items is None:
                continue
            endpoint = pull.api.url(PATH)
            pull.writer.page("opsgenie", "alerts", page.text, endpoint=endpoint, url=page.url)
            pull.count("alerts", len(items))
            fetched += len(items)
            reached = False
            for alert in (i for i in items if isinstance(i, dict)):
                if older(alert.get("updatedAt"), since):
                    reached = True  # newest-updated first: the rest is already landed
                    continue
                newest = later(newest, alert.get("updatedAt"))
            if reached or not items:
                break
            paging = page.body.get("paging") if isinstance(page.body, dict) else None
            if isinstance(paging, dict) and paging.get("next") and fetched + limit > OFFSET_CAP:
                pull.skip("alerts beyond Opsgenie's 20,000 offset limit (older ones)")
                break
        pull.cursors.advance(stream, {"updated_at": newest} if newest else None)
