"""Tables for the terminal, drawn by rich: a header, a rule under it, aligned columns, two
spaces between them. The same text on a terminal, in a log file and in a test's capture: no
colour, no box characters, and no wrapping (a long cell is cut with an ellipsis where a
column has a width limit; otherwise the line is as long as it needs to be).
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from typing import Any

from rich import box
from rich.console import Console
from rich.table import Table

# Columns apart by two spaces, a dashed rule under the header, nothing else.
PLAIN = box.Box("    \n    \n -  \n    \n    \n    \n    \n    \n", ascii=True)
WIDE = 100_000  # render width: a table is never squeezed to fit


def cell(value: Any) -> str:
    """A value as a table shows it: `-` for nothing, two decimals for a float, lists joined."""
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:,.2f}"
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value) or "-"
    return str(value)


def table_text(
    headers: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    max_widths: Mapping[int, int] | None = None,
    indent: int = 0,
    raw: bool = False,
) -> str:
    """The table as text. `max_widths` caps columns by index (cut with …); `indent` spaces
    before every line; `raw` leaves the cells as given (strings) instead of `cell()`."""
    table = Table(
        box=PLAIN,
        show_edge=False,
        pad_edge=False,
        padding=(0, 1),
        collapse_padding=True,
        header_style="",
    )
    for i, header in enumerate(headers):
        limit = (max_widths or {}).get(i)
        table.add_column(header, no_wrap=True, overflow="ellipsis", max_width=limit)
    for row in rows:
        table.add_row(*(str(v) if raw else cell(v) for v in row))
    out = io.StringIO()
    Console(file=out, width=WIDE, color_system=None, force_terminal=False).print(table)
    lines = [line.rstrip() for line in out.getvalue().splitlines()]
    return "\n".join(" " * indent + line for line in lines if line.strip() or not lines)


def print_table(headers: Sequence[str], rows: Sequence[Sequence[Any]], **kwargs: Any) -> None:
    print(table_text(headers, rows, raw=True, **kwargs))
