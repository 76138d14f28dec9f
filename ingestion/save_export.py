"""Pulled pages written in the export layout (docs/sources.md), so a pull can be kept and replayed
(`stature ingest --export-dir DIR`) and API mode lands them through the same export reader.

List pages are written as the server sent them (`pulls.json`, `pulls-2.json`, ...); the pages
of a per-parent endpoint are joined into one file per parent (`pull_commits/12.json`), because
the reader takes one file per parent. Every file written is remembered with the API URL it came
from, so rows and rejections can name the request rather than a temporary file.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


class ExportDirNotEmpty(Exception):
    """--save-export must not mix a new pull into an older snapshot."""


@dataclass
class ExportWriter:
    root: Path
    # Applied to every page before it is written: a server that echoes a token never gets it
    # into the snapshot or the warehouse.
    scrub: Callable[[str], str] = lambda text: text
    files: dict[str, tuple[str, str]] = field(default_factory=dict)  # rel -> (endpoint, page)
    _counters: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.root = Path(self.root)
        self.root.mkdir(parents=True, exist_ok=True)

    @classmethod
    def for_source(
        cls,
        root: Path,
        source: str,
        *,
        must_be_empty: bool,
        scrub: Callable[[str], str] = lambda text: text,
    ) -> ExportWriter:
        folder = Path(root) / source
        if must_be_empty and folder.exists() and any(folder.iterdir()):
            raise ExportDirNotEmpty(
                f"{folder} already holds an export: pass --save-export a new or empty directory "
                "so a snapshot never mixes two pulls"
            )
        return cls(Path(root), scrub)

    def _write(self, rel: str, text: str) -> None:
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".part")
        tmp.write_text(self.scrub(text), encoding="utf-8")
        os.replace(tmp, path)

    def page(self, folder: str, stem: str, text: str, *, endpoint: str, url: str) -> str:
        """Write the next page of `folder/stem` (`stem.json`, `stem-2.json`, ...) verbatim."""
        key = f"{folder}/{stem}"
        n = self._counters[key] = self._counters.get(key, 0) + 1
        rel = f"{key}.json" if n == 1 else f"{key}-{n}.json"
        self._write(rel, text)
        self.files[rel] = (endpoint, url)
        return rel

    def page_json(self, folder: str, stem: str, body: Any, *, endpoint: str, url: str) -> str:
        return self.page(folder, stem, json.dumps(body), endpoint=endpoint, url=url)

    def child(self, folder: str, parent: int | str, items: list[Any], *, endpoint: str) -> str:
        """Write all items of one parent (`folder/<parent>.json`)."""
        rel = f"{folder}/{parent}.json"
        self._write(rel, json.dumps(items))
        self.files[rel] = (endpoint, endpoint)
        return rel

    def text(self, rel: str, text: str, *, endpoint: str, url: str) -> str:
        """Write a file's text as it was fetched (a catalog-info file at one commit)."""
        self._write(rel, text)
        self.files[rel] = (endpoint, url)
        return rel

    def copy(self, source_path: Path, rel: str, *, origin: str) -> str:
        """Copy a local file (catalog YAML, inputs CSV) into the layout."""
        target = self.root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source_path, target)
        self.files[rel] = (origin, origin)
        return rel

    def endpoint_of(self, rel: str) -> str:
        return self.files.get(rel, (rel, rel))[0]

    def url_of(self, rel: str) -> str:
        return self.files.get(rel, (rel, rel))[1]
