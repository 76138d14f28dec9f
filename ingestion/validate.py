"""The checks a record passes before it lands: every typed field its table declares holds that
type (or null, unless required), and the whole record can be stored as JSON. A record that
fails is set aside with the field, the value and what to do; the rest of its file lands."""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import orjson
from dlt.common.json import custom_encode

from ingestion.records import dig, integer_or_none, shown, timestamp_or_none
from ingestion.spec import RawTable, Typed

SET_ASIDE = "the record was set aside: correct it at the source (or in the export) and load again"
STORABLE_DEPTH = 254  # dlt writes JSON with orjson, which refuses deeper nesting
EPOCH_MS_MAX = 253_402_300_799_999  # 9999-12-31T23:59:59.999Z

_EXPECTED = {
    "timestamp": "an ISO-8601 timestamp (2026-01-05T09:00:00Z)",
    "integer": "an integer",
    "boolean": "true or false",
    "number": "a number",
    "percent": "a number or a percentage (99.9%)",
    "epoch_ms": "epoch milliseconds (a JSON number)",
}


@dataclass(frozen=True)
class Problem:
    field: str | None
    value: str | None
    reason: str


def _finite(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _number_text(value: Any) -> bool:
    try:
        return isinstance(value, str) and math.isfinite(float(value))
    except ValueError:
        return False


def _percent(value: Any) -> bool:
    text = value.strip().removesuffix("%") if isinstance(value, str) else value
    return _finite(text) or _number_text(text)


# kind -> does a (non-null) value hold it; looked up once per field of every record
_FITS: dict[str, Callable[[Any], bool]] = {
    "present": lambda value: True,
    "timestamp": lambda value: timestamp_or_none(value) is not None,
    "integer": lambda value: integer_or_none(value) is not None,
    "boolean": lambda value: isinstance(value, bool),
    "number": lambda value: _finite(value) or _number_text(value),
    "percent": _percent,
    "epoch_ms": lambda value: _finite(value) and 0 <= value <= EPOCH_MS_MAX,
}


def _fits(kind: str, value: Any) -> bool:
    return _FITS[kind](value)


def _why(check: Typed, value: Any) -> str:
    if check.kind == "integer" and isinstance(value, float) and math.isfinite(value):
        return (
            f"field '{check.name}' holds {value!r}: an integer field cannot keep the fraction "
            "(lossy)"
        )
    got = type(value).__name__ if not isinstance(value, str) else "text"
    return f"field '{check.name}' is not {_EXPECTED[check.kind]}: got {got} {shown(value)!r}"


def check_fields(table: RawTable, item: dict[str, Any]) -> list[Problem]:
    """The declared fields of `table` that `item` gets wrong, in declaration order."""
    problems = []
    for check in table.typed:
        value = dig(item, check.path) if len(check.path) > 1 else item.get(check.path[0])
        if value is None:
            if check.required:
                problems.append(Problem(check.name, None, f"missing required field '{check.name}'"))
            continue
        if not _FITS[check.kind](value):
            problems.append(Problem(check.name, shown(value), _why(check, value)))
    return problems


def first_problem(table: RawTable, item: dict[str, Any]) -> Problem | None:
    """One problem per record: the first, naming the other fields at fault too."""
    problems = check_fields(table, item)
    if not problems:
        return None
    first = problems[0]
    if first.value is None:  # a missing key says it all; the record has nothing to correct
        return first
    others = [p.field or "?" for p in problems[1:]]
    also = f" (also wrong: {', '.join(others)})" if others else ""
    return Problem(first.field, first.value, f"{first.reason}{also}; {SET_ASIDE}")


# --- can it be stored at all? -------------------------------------------------------------------


def _walk(value: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any, int]]:
    stack = [(path, value, 1)]
    while stack:
        where, node, depth = stack.pop()
        yield where, node, depth
        if depth > STORABLE_DEPTH:
            continue
        if isinstance(node, dict):
            stack += [((*where, str(k)), v, depth + 1) for k, v in node.items()]
        elif isinstance(node, list):
            stack += [((*where, f"[{i}]"), v, depth + 1) for i, v in enumerate(node)]


def _unstorable(item: Any) -> tuple[str, Any, str]:
    """Where and why a record cannot be written as JSON (found only after writing failed)."""
    for path, node, depth in _walk(item):
        name = ".".join(path).replace(".[", "[") or "(the record)"
        if depth > STORABLE_DEPTH:
            return name, None, f"nested more than {STORABLE_DEPTH} levels deep"
        if isinstance(node, int) and not isinstance(node, bool) and not (-(2**63) <= node < 2**64):
            return name, node, "holds an integer beyond 64 bits"
        if isinstance(node, str):
            try:
                node.encode("utf-8")
            except UnicodeEncodeError:
                return (
                    name,
                    node.encode("utf-8", "backslashreplace").decode(),
                    ("holds an unpaired UTF-16 surrogate (\\ud800-\\udfff), which is not text"),
                )
    return "(the record)", None, "cannot be written as JSON"


# As dlt writes JSON (its `json.dumps`), without the wrapper's cost on every record.
_dumps = functools.partial(orjson.dumps, default=custom_encode, option=orjson.OPT_NON_STR_KEYS)

# A row may carry its payload already written as JSON under this key: the writer uses it
# instead of writing the record a second time.
ENCODED_PAYLOAD = "_payload_json"


def encoded_record(item: Any) -> tuple[str | None, Problem | None]:
    """`item` written as JSON, or the field that stops it being written."""
    try:
        return _dumps(item).decode(), None
    except Exception as exc:  # orjson raises TypeError / JSONEncodeError with a short message
        name, value, why = _unstorable(item)
        return None, Problem(name, shown(value), f"field '{name}' {why} ({exc}); {SET_ASIDE}")


def storable(item: Any) -> Problem | None:
    """None if `item` can be written as JSON, else the field that stops it."""
    return encoded_record(item)[1]
