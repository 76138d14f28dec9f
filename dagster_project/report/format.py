"""How values and names read on the site and in the portal files: numbers, durations, rates,
statuses, levels and the human names of ids (a scorecard folder, a tier). Jinja2 filters use
these, so a page, a chart and a Markdown file say the same thing the same way.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

DASH = "\u2013"  # shown for a missing value

# Statuses, worst first (a sort by status puts red on top).
STATUS_ORDER = ("error", "fail", "not_reported", "warn", "pass", "exempt", "not_applicable")
STATUS_LABEL = {
    "pass": "pass",
    "warn": "warn",
    "fail": "fail",
    "not_reported": "not reported",
    "error": "rule error",
    "exempt": "exempt",
    "not_applicable": "not applicable",
}
STATUS_GLYPH = {
    "pass": "✓",
    "warn": "!",
    "fail": "✗",
    "not_reported": "?",
    "error": "⚠",
    "exempt": "E",
    "not_applicable": DASH,
}
RAG_OF_STATUS = {
    "pass": "green",
    "warn": "yellow",
    "fail": "red",
    "not_reported": "red",
    "error": "red",
    "exempt": "grey",
    "not_applicable": "grey",
}
RED = ("fail", "not_reported", "error")
# Pass-rate colours: at least this share passing is green / yellow; below is red.
PASS_RATE_GREEN, PASS_RATE_YELLOW = 0.8, 0.5
TIER_ORDER = ("elite", "high", "medium", "low")
# Scorecard folders whose name is not a phrase once its underscores are spaces.
ACRONYMS = {"dora": "DORA", "slo": "SLO", "sbom": "SBOM", "ci": "CI", "api": "API", "bsc": "BSC"}


def safe_href(url: str | None) -> str | None:
    """A link a page may carry: web and mail addresses and paths within the site. Anything
    else (`javascript:`, `data:`, a file path) is dropped: remediation links come from rule
    headers anyone can edit."""
    if not url:
        return None
    text = str(url).strip()
    scheme = text.split(":", 1)[0].lower() if ":" in text.split("/", 1)[0] else ""
    return text if scheme in ("", "http", "https", "mailto") else None


def fmt_number(value: Any) -> str:
    if value is None:
        return DASH
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        size = abs(value)
        if size >= 100:
            return f"{value:.0f}"
        text = f"{value:.1f}" if size >= 10 else f"{value:.3g}" if size >= 0.001 else "0"
        return text.rstrip("0").rstrip(".") if "." in text and "e" not in text else text
    return str(value)


def fmt_hours(value: float | None) -> str:
    if value is None:
        return DASH
    return f"{fmt_number(value / 24)} d" if value >= 48 else f"{fmt_number(float(value))} h"


def fmt_rate(value: float | None) -> str:
    return DASH if value is None else f"{float(value) * 100:.0f}%"


def fmt_frequency(value: float | None) -> str:
    return DASH if value is None else f"{fmt_number(float(value))}/wk"


def fmt_metric(value: float | None, unit: str | None) -> str:
    """A DORA figure in its unit: deploys a week, hours (days past two), or a share."""
    if value is None:
        return DASH
    if unit == "deploys/week":
        return fmt_frequency(value)
    if unit == "hours":
        return fmt_hours(float(value))
    if unit == "ratio":
        return fmt_rate(value)
    return fmt_number(float(value))


def fmt_value(value: Any, unit: str | None = None) -> str:
    """A check's value with its unit, if it has one."""
    if value is None:
        return DASH
    text = fmt_number(value)
    return f"{text} {unit}" if unit else text


def fmt_date(value: Any) -> str:
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    if isinstance(value, dt.date):
        return value.isoformat()
    return DASH if value is None else str(value)


def status_label(status: str | None) -> str:
    return STATUS_LABEL.get(status or "", status or DASH)


def rate_rag(rate: float | None) -> str:
    """The colour of a pass rate: green, yellow, red (grey without one)."""
    if rate is None:
        return "grey"
    return "green" if rate >= PASS_RATE_GREEN else "yellow" if rate >= PASS_RATE_YELLOW else "red"


def humanize(identifier: str | None) -> str:
    """A readable name for an id that has no title: `engineering_maturity` ->
    'Engineering maturity', `dora` -> 'DORA'."""
    if not identifier:
        return DASH
    words = identifier.replace("-", " ").replace("_", " ").split()
    shown = [ACRONYMS.get(w.lower(), w) for w in words]
    if shown and shown[0] == words[0]:
        shown[0] = shown[0][:1].upper() + shown[0][1:]
    return " ".join(shown)


def level_label(level: int | None, name: str | None) -> str:
    """`2 Defined`; an unrated entity reads `Unrated`."""
    if level is None:
        return name or "Unrated"
    return f"{level} {name}" if name else str(level)


def change_text(value: float | None, previous: float | None, unit: str | None) -> str:
    """How a figure moved from the period before: '+0.4/wk', '-3 h', '+2 pts'."""
    if value is None or previous is None:
        return ""
    delta = float(value) - float(previous)
    if unit == "ratio":
        points = delta * 100
        return f"{points:+.0f} pts" if abs(points) >= 0.5 else "no change"
    if abs(delta) < 1e-9:
        return "no change"
    sign = "+" if delta > 0 else "-"
    return sign + fmt_metric(abs(delta), unit)


def change_direction(
    value: float | None, previous: float | None, better: str | None, unit: str | None = None
) -> str:
    """better / worse / same, for the metric's direction (`higher` or `lower` is better);
    `same` whenever change_text reads "no change"."""
    if value is None or previous is None or better not in ("higher", "lower"):
        return ""
    if change_text(value, previous, unit) == "no change":
        return "same"
    up = float(value) > float(previous)
    return "better" if up == (better == "higher") else "worse"


_MD_SPECIAL = re.compile(r"([\\`\[\]<>&|])")


def md_name(text: Any) -> str:
    """A name (team, service, rule title) as Markdown text: the characters that make links,
    code, HTML or table cells backslash-escaped, line breaks as spaces."""
    plain = " ".join(str(text if text is not None else DASH).split())
    return _MD_SPECIAL.sub(r"\\\1", plain)


def md_cell(value: Any) -> str:
    """A value (a figure, a threshold) as a Markdown table cell: only `|` and line breaks
    would break the table; names go through md_name instead."""
    return " ".join(str(value if value is not None else DASH).split()).replace("|", "\\|")
