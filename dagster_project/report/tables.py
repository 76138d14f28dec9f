"""The site's tables as data: columns, rows and filters, embedded in the page as JSON
(`<script type="application/json">`) and drawn, sorted, filtered, searched and paged by
assets/site.js. A page carries its rows once, compactly (a row is a list, a cell a string,
a number or a short list), which keeps a 2,000-service table to a few hundred kilobytes.

Cell shapes by column type (site.js reads the same):

    text     "text"                         num     [shown, number|null]
    link     [text, href, title]            level   [shown, level|null]
    status   "fail"                         heat    [shown, rate|null, href, title]
    check    [status, shown, detail]        tags    ["fail", "pass", ...] (filter only, hidden)
    history  [[quarter, status, title], ...] (a row of small status squares, oldest first)

A `shared` column (a team, a tier, a level: few values, many rows) keeps its distinct
values once, under `values`, and each row the position of its value there. A `check`
cell's hover text starts with its column's title (the rule, its threshold) and its link
is the column's `href`, so each cell carries only what is its own.

A filter names a column; its choices are the column's distinct values (a link's text, a
level's shown text, each tag). A `status` filter also offers "red" (fail, not reported,
error); on a grid of `check` columns it matches a row with such a cell among the shown
columns, and a `group` filter (a scorecard) shows only the check columns of one group.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from dagster_project.report.format import DASH, STATUS_LABEL, STATUS_ORDER, safe_href


def _identity(value: Any) -> Any:
    """A key equal for equal cell values and distinct for distinct ones (1, 1.0 and True
    stay apart, as in the JSON the page embeds): the value itself with its type for
    scalars, its canonical JSON for lists and objects."""
    if isinstance(value, (str, int, float)):
        return (type(value), value)
    return json.dumps(value, sort_keys=True)


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    type: str = "text"  # text | link | num | level | status | heat | check | tags
    title: str = ""  # shown on hover over the header (an id, a unit, what it counts)
    group: str = ""  # check columns: the scorecard, for the group filter
    search: bool = False  # the search box looks in this column
    hidden: bool = False  # filter-only data
    shared: bool = False  # rows hold positions in a list of the column's distinct values
    href: str = ""  # check columns: where a cell links to


@dataclass(frozen=True)
class Filter:
    key: str  # its name in the page's address (#status=red)
    label: str
    column: str = ""  # the column whose values it offers; "" for a group filter
    kind: str = "value"  # value | status | group
    labels: tuple[tuple[str, str], ...] = ()  # value -> how it reads, where they differ


@dataclass
class Table:
    id: str
    columns: list[Column]
    rows: list[list[Any]] = field(default_factory=list)
    filters: list[Filter] = field(default_factory=list)
    sort: tuple[str, str] = ("", "asc")  # column key, asc | desc
    page_size: int = 50
    empty: str = "Nothing to show."
    caption: str = ""

    def add(self, **cells: Any) -> None:
        self.rows.append([cells.get(c.key) for c in self.columns])

    def spec(self) -> dict[str, Any]:
        """What the page embeds for site.js."""
        keys = [c.key for c in self.columns]
        rows = [list(row) for row in self.rows]
        values: dict[str, list[Any]] = {}
        for i, column in enumerate(self.columns):
            if not column.shared:
                continue
            distinct: dict[str, int] = {}
            values[column.key] = []
            for row in rows:
                if row[i] is None:
                    continue
                seen = _identity(row[i])
                if seen not in distinct:
                    distinct[seen] = len(values[column.key])
                    values[column.key].append(row[i])
                row[i] = distinct[seen]
        return {
            "id": self.id,
            "columns": [
                {
                    k: v
                    for k, v in (
                        ("key", c.key),
                        ("label", c.label),
                        ("type", c.type),
                        ("title", c.title),
                        ("group", c.group),
                        ("search", c.search),
                        ("hidden", c.hidden),
                        ("shared", c.shared),
                        ("href", c.href),
                    )
                    if v not in ("", False)
                }
                for c in self.columns
            ],
            "rows": rows,
            "values": values,
            "filters": [
                {
                    "key": f.key,
                    "label": f.label,
                    "kind": f.kind,
                    **({"column": keys.index(f.column)} if f.column else {}),
                    **({"labels": dict(f.labels)} if f.labels else {}),
                }
                for f in self.filters
            ],
            "sort": [keys.index(self.sort[0]) if self.sort[0] else 0, self.sort[1]],
            "pageSize": self.page_size,
            "empty": self.empty,
            "caption": self.caption,
        }


def site_vocabulary() -> dict[str, Any]:
    """The words and orders site.js needs, embedded once per page."""
    return {
        "statusLabel": STATUS_LABEL,
        "statusOrder": list(STATUS_ORDER),
        "red": ["fail", "not_reported", "error"],
        "dash": DASH,
    }


def link(text: str | None, href: str | None, title: str | None = None) -> list[str | None]:
    return [text or DASH, safe_href(href), title]


def num(shown: str, value: float | int | None) -> list[Any]:
    return [shown, value]
