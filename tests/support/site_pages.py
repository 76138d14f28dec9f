"""Reading the static site the way a browser and a reader do: the tables each page embeds
(JSON for assets/site.js, shared values put back), its links, and what it would fetch."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

SPEC = re.compile(r'<script type="application/json" class="datatable-spec">(.*?)</script>', re.S)


def tables(page: str) -> dict[str, dict]:
    """Every table a page embeds, by id, with its shared columns expanded."""
    out = {}
    for raw in SPEC.findall(page):
        spec = json.loads(raw)
        for i, column in enumerate(spec["columns"]):
            if column.get("shared"):
                values = spec["values"][column["key"]]
                for row in spec["rows"]:
                    if row[i] is not None:
                        row[i] = values[row[i]]
        out[spec["id"]] = spec
    return out


def records(spec: dict) -> list[dict]:
    """A table's rows as {column key: cell}."""
    keys = [c["key"] for c in spec["columns"]]
    return [dict(zip(keys, row, strict=True)) for row in spec["rows"]]


def text(cell) -> str | None:
    """What a cell reads as (a link's text, a number's shown form)."""
    if isinstance(cell, list) and cell and not isinstance(cell[0], list):
        return cell[0]
    return cell


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []
        self.fetched: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "a" and a.get("href"):
            self.hrefs.append(a["href"])
        if tag in ("script", "img", "iframe", "embed", "source") and a.get("src"):
            self.fetched.append(a["src"])
        if tag == "link" and a.get("href"):
            self.fetched.append(a["href"])
        if tag == "object" and a.get("data"):
            self.fetched.append(a["data"])


def links(page: str) -> tuple[list[str], list[str]]:
    """(every link a reader can follow: anchors and table cells, what the page loads)."""
    parser = _Links()
    parser.feed(page)
    hrefs = list(parser.hrefs)
    for spec in tables(page).values():
        for i, column in enumerate(spec["columns"]):
            for row in spec["rows"]:
                cell = row[i]
                if column["type"] == "link" and cell and cell[1]:
                    hrefs.append(cell[1])
                elif column["type"] == "heat" and cell and cell[2]:
                    hrefs.append(cell[2])
            if column.get("href"):
                hrefs.append(column["href"])
    return hrefs, parser.fetched


def local_target(page_path: Path, href: str) -> Path | None:
    """The file a relative link opens (None for a web address)."""
    parts = urlsplit(href)
    if parts.scheme or href.startswith("//"):
        return None
    if not parts.path:
        return page_path
    return (page_path.parent / unquote(parts.path)).resolve()
