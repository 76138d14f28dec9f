"""POSTing JSON to a chat webhook (Slack-compatible: `{"text": ...}`), for the run-failure
alert and the change notices. The URL may hold a secret (a chat webhook's token), so it is
never logged or returned: a failure is named by the error's type only."""

from __future__ import annotations

import json
import logging
from typing import Any

WEBHOOK_TIMEOUT_SECONDS = 10

log = logging.getLogger(__name__)


def post_json(url: str, body: dict[str, Any], *, what: str) -> str | None:
    """POST `body` as JSON to `url`; None when the server took it, else what went wrong
    (logged as well), never raised."""
    import requests

    try:
        response = requests.post(
            url,
            data=json.dumps(body, default=str),
            headers={"Content-Type": "application/json"},
            timeout=WEBHOOK_TIMEOUT_SECONDS,
        )
        response.raise_for_status()
    except requests.RequestException as exc:
        problem = f"the {what} webhook did not take the {what}: {type(exc).__name__}"
        log.error(problem)
        return problem
    return None
