"""Jenkins: builds of a job (`allBuilds[...]`; `timestamp` and `duration` in epoch ms)."""

from __future__ import annotations

from typing import Any

from ingestion.records import RecordError, as_int, field, from_epoch_ms

ENDPOINTS: dict[str, tuple[str, str | None]] = {"builds": ("builds", "allBuilds")}


def row(table: str, item: Any, *, job: str) -> dict[str, Any]:
    if not isinstance(item, dict):
        raise RecordError(f"expected a JSON object, got {type(item).__name__}")
    number = as_int(field(item, "number"), "number")
    started = field(item, "timestamp", key=str(number))
    if not isinstance(started, int | float):
        raise RecordError(f"field 'timestamp' is not epoch milliseconds: {started!r}", str(number))
    return {"job": job, "number": number, "started_at": from_epoch_ms(started)}


# --- API mode ---------------------------------------------------------------------------------

API_AUTH = "basic"  # user (user_env) + API token (token_env)
# `builds` stops at 100; `allBuilds` with a {M,N} range pages through all of them, newest first.
API_TREE_FIELDS = (
    "number,url,result,building,timestamp,duration,displayName,id,"
    "actions[parameters[name,value],lastBuiltRevision[SHA1]]"
)
API_RANGE = 100


def api_path(job: str) -> str:
    """`folder/app` -> `job/folder/job/app/api/json`."""
    from urllib.parse import quote

    return "/".join(f"job/{quote(part, safe='')}" for part in job.split("/") if part) + "/api/json"
