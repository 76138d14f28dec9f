"""Example in API mode (the template's puller): `GET /v1/events?sort=updated_at`, oldest
change first, pages followed by their `Link: rel="next"` header; one cursor (`events`, the
newest `updated_at` seen) narrows a nightly run with `updated_since`.

A puller asks for pages with `pull.api` (retries, rate limits and auth are already handled),
writes each page as it came (`pull.writer.page`) so it lands exactly like an export, counts
what it got, and proposes the new cursor; the cursor is saved only if the landing succeeds.
"""

from __future__ import annotations

from typing import Any

from ingestion.pulling import Pull, later

HEADERS = {"Accept": "application/json"}  # sent with every request (never a secret)
PATH = "v1/events"


def pull(pull: Pull) -> None:
    stream = "events"  # one cursor per list pulled (per repo, project, ... where there are many)
    cursor = pull.cursors.get(stream) or {}
    newest: str | None = cursor.get("updated_at")
    params: dict[str, Any] = {"sort": "updated_at", "per_page": pull.settings.per_page or 100}
    if newest:
        params["updated_since"] = newest
    # A failed request ends the stream here: reported, its cursor kept, the next stream goes on.
    with pull.stream(stream):
        # Link headers: `link_pages`; offsets, cursors in the body, ...: `pull.api.pages` with a
        # dlt paginator (see the pagerduty, opsgenie and jenkins packages).
        for page in pull.api.link_pages(PATH, params):
            items = pull.items(page, "events", stream)  # None: the page was rejected by URL
            if items is None:
                continue
            pull.writer.page(
                "example", "events", page.text, endpoint=pull.api.url(PATH), url=page.url
            )
            pull.count("events", len(items))
            for event in items:
                newest = later(newest, event.get("updated_at") if isinstance(event, dict) else None)
        pull.cursors.advance(stream, {"updated_at": newest} if newest else None)
