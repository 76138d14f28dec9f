"""Messages an analyst can act on: "did you mean", a header value that has the wrong type said
in plain words (not the validation library's), and a hint for a SQL syntax error (an unclosed
parenthesis, a misspelt keyword, GROUP without BY) beside the parser's own description.
"""

from __future__ import annotations

import difflib
import re
import types
import typing
from collections.abc import Iterable, Sequence
from typing import Any

from pydantic import BaseModel

# --- did you mean -----------------------------------------------------------------------------


def closest(word: str, candidates: Iterable[str], cutoff: float = 0.6) -> str | None:
    """The candidate closest to `word` (case-insensitive), or None when none is close."""
    by_lower = {c.lower(): c for c in candidates}
    match = difflib.get_close_matches(word.lower(), list(by_lower), n=1, cutoff=cutoff)
    return by_lower[match[0]] if match else None


def did_you_mean(word: str, candidates: Iterable[str], cutoff: float = 0.6) -> str:
    """`did you mean X?`, or "" when nothing is close."""
    match = closest(word, candidates, cutoff)
    return f"did you mean {match}?" if match else ""


# --- pydantic errors in plain words -----------------------------------------------------------


def model_keys(model: type[BaseModel], loc: Sequence[str]) -> list[str]:
    """The keys a mapping at `loc` (below `model`) may hold: field names and aliases of the
    model found by following `loc` through nested models; [] when it leads elsewhere."""
    current: Any = model
    for part in loc:
        field = _fields(current).get(part)
        if field is None:
            return []
        current = _model_of(field.annotation)
        if current is None:
            return []
    return sorted(_fields(current))


def _fields(model: Any) -> dict[str, Any]:
    if not (isinstance(model, type) and issubclass(model, BaseModel)):
        return {}
    out = {}
    for name, field in model.model_fields.items():
        if not field.exclude:  # internal fields (an entry's line) are not keys to write
            out[field.alias or name] = field
    return out


def _model_of(annotation: Any) -> type[BaseModel] | None:
    """The pydantic model inside an annotation (`Thresholds | None`, `list[TargetChange]`)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType, list, tuple):
        for arg in typing.get_args(annotation):
            found = _model_of(arg)
            if found is not None:
                return found
    return None


def _shown(value: Any) -> str:
    text = repr(value) if isinstance(value, str) else str(value)
    return text if len(text) <= 60 else text[:57] + "..."


_KIND = {
    "int_parsing": "is not a whole number",
    "int_type": "is not a whole number",
    "int_from_float": "is not a whole number",
    "float_parsing": "is not a number",
    "float_type": "is not a number",
    "bool_parsing": "is not true or false",
    "bool_type": "is not true or false",
    "date_parsing": "is not a date: write YYYY-MM-DD",
    "date_from_datetime_parsing": "is not a date: write YYYY-MM-DD",
    "date_from_datetime_inexact": "is not a date: write YYYY-MM-DD, without a time",
    "date_type": "is not a date: write YYYY-MM-DD",
    "string_type": "is not text",
    "list_type": "is not a list: write [a, b] or one '- item' per line",
    "dict_type": "is not a mapping: write {key: value} or one 'key: value' per line",
    "model_type": "is not a mapping: write {key: value} or one 'key: value' per line",
    "model_attributes_type": "is not a mapping: write {key: value} or one 'key: value' per line",
    "string_too_short": "is empty",
    "too_short": "is empty",
}

# What a key is for, said after a wrong value (so the fix is in the message).
_FIELD_HINTS = {
    "level": "the maturity level the rule belongs to, a whole number from 2 to 5",
    "id": "lower-case letters, digits and _, starting with a letter (the file name)",
    "scorecard": "lower-case letters, digits and _, starting with a letter (the folder name)",
    "entity": "service, team or org",
    "rollout": "draft, shadow or enforced",
    "enforce_from": "the date the rule starts to count, YYYY-MM-DD",
    "expires": "the last day the exemption applies, YYYY-MM-DD",
    "since": "the first day the exemption applies, YYYY-MM-DD",
    "thresholds": "a mapping such as {pass: '>= 1', warn: '>= 0.5'}",
    "tags": "a list of words",
    "yellow_band": "a share from 0 to 1 (0.1 is 10% of the target)",
    "target": "a number",
}


def plain_error(err: dict[str, Any]) -> str:
    """One pydantic error as a sentence: what the value is and what the key wants."""
    kind = err["type"]
    loc = [str(p) for p in err["loc"]]
    value = err.get("input")
    ctx = err.get("ctx") or {}
    hint = next((_FIELD_HINTS[p] for p in reversed(loc) if p in _FIELD_HINTS), "")
    if kind in _KIND:
        text = f"{_shown(value)} {_KIND[kind]}"
    elif kind in ("literal_error", "enum"):
        expected = str(ctx.get("expected", "the allowed values"))
        text = f"{_shown(value)} is not one of {expected}"
        meant = did_you_mean(str(value), re.findall(r"'([^']*)'", expected))
        return f"{text}: {meant}" if meant else text
    elif kind == "string_pattern_mismatch":
        text = f"{_shown(value)} is not a valid name"
    elif kind in ("greater_than_equal", "greater_than", "less_than_equal", "less_than"):
        limit = next(iter(ctx.values()), "")
        words = {
            "greater_than_equal": "below the lowest allowed,",
            "greater_than": "not above",
            "less_than_equal": "above the highest allowed,",
            "less_than": "not below",
        }[kind]
        text = f"{_shown(value)} is {words} {limit}"
    else:
        text = err["msg"].removeprefix("Value error, ")
        return text
    return f"{text} ({hint})" if hint else text


# --- SQL syntax errors ------------------------------------------------------------------------

KEYWORDS = (
    "select",
    "from",
    "where",
    "group",
    "order",
    "having",
    "join",
    "left",
    "inner",
    "outer",
    "cross",
    "on",
    "using",
    "case",
    "when",
    "then",
    "else",
    "end",
    "and",
    "or",
    "not",
    "between",
    "union",
    "with",
    "limit",
    "distinct",
    "over",
    "partition",
    "interval",
    "cast",
    "qualify",
    "filter",
)


def syntax_hint(description: str, tokens: Sequence[Any], error_at: int | None) -> str:
    """What probably went wrong, from the parser's description and the tokens (sqlglot
    tokens: `.text`, `.start`) up to the error's offset; "" when nothing is known."""
    words = [t.text.lower() for t in tokens]
    opened = words.count("(") - words.count(")")
    if opened > 0 or "expecting )" in description.lower():
        return "a '(' is not closed: add the ')' it needs"
    if opened < 0:
        return "a ')' has no '(' before it: remove it or add the '('"
    if "after case" in description.lower() or words.count("case") > words.count("end"):
        return "a CASE needs its END: case when ... then ... else ... end"
    if "missing for" in description and "Where" in description:
        return "WHERE has no condition after it"
    near = [t for t in tokens if error_at is None or t.start <= error_at][-3:]
    for token in reversed(near):
        word = token.text.lower()
        if word in ("group", "order", "partition"):
            index = tokens.index(token)
            following = tokens[index + 1].text.lower() if index + 1 < len(tokens) else ""
            if following != "by":
                return f"{word.upper()} needs BY: {word} by ..."
        if word not in KEYWORDS and word.isidentifier():
            match = closest(word, KEYWORDS, cutoff=0.75)
            if match:
                return f"'{token.text}': did you mean {match.upper()}?"
    return ""
