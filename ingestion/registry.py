"""Every source Stature lands, in landing order. Adding a source is its package under
`ingestion/sources/<name>/` and one line here (docs/sources.md has the recipe)."""

from __future__ import annotations

from ingestion.sources import catalog, github, gitlab, inputs, jenkins, opsgenie, pagerduty
from ingestion.spec import RawTable, Source

REGISTRY: tuple[Source, ...] = (
    github.SOURCE,
    gitlab.SOURCE,
    jenkins.SOURCE,
    pagerduty.SOURCE,
    opsgenie.SOURCE,
    catalog.SOURCE,
    inputs.SOURCE,
)

SOURCES: tuple[str, ...] = tuple(s.name for s in REGISTRY)
RAW_TABLES: tuple[RawTable, ...] = tuple(t for s in REGISTRY for t in s.tables)


def source(name: str) -> Source:
    for candidate in REGISTRY:
        if candidate.name == name:
            return candidate
    raise KeyError(f"unknown source {name!r}; expected one of {', '.join(SOURCES)}")


def tables_of(name: str) -> tuple[RawTable, ...]:
    return source(name).tables
