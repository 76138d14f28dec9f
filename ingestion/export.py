"""Export mode: read a directory of saved API responses (the layout of DESIGN.md) into raw rows.

The reader never stops at a bad file or record: invalid JSON, a record without its key, or a
repo nobody configured becomes a `Rejected` entry naming the file, the key and the reason,
and the walk goes on.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ingestion import catalog, github, gitlab, inputs, jenkins, opsgenie, pagerduty
from ingestion.records import RecordError
from ingestion.tables import SOURCES


@dataclass(frozen=True)
class Rejected:
    source: str
    file: str
    record_key: str | None
    reason: str

    def as_row(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "file": self.file,
            "record_key": self.record_key or "",
            "reason": self.reason,
        }


@dataclass
class ReadLog:
    """What a read rejected and skipped, per source."""

    rejected: list[Rejected] = field(default_factory=list)
    skipped: dict[str, int] = field(default_factory=dict)

    def skip(self, what: str, n: int = 1) -> None:
        self.skipped[what] = self.skipped.get(what, 0) + n


def _natural(path: Path) -> tuple[int, str]:
    match = re.search(r"-(\d+)\.json$", path.name)
    return (int(match.group(1)) if match else 1, path.name)


def _pages(folder: Path, stem: str) -> list[Path]:
    """`stem.json`, `stem-2.json`, ... in page order."""
    pattern = re.compile(rf"^{re.escape(stem)}(-\d+)?\.json$")
    return sorted((p for p in folder.iterdir() if pattern.match(p.name)), key=_natural)


class ExportReader:
    """Walks one export directory; `rows(source, table)` yields that table's raw rows."""

    def __init__(self, export_dir: str | Path, *, known_repos: Iterable[str] = ()) -> None:
        self.root = Path(export_dir)
        if not self.root.is_dir():
            raise FileNotFoundError(f"{self.root}: export directory not found")
        self.logs: dict[str, ReadLog] = {s: ReadLog() for s in SOURCES}
        self._catalog = list(self._catalog_documents())
        self.known_repos = {r.lower() for r in known_repos} | catalog.repos_of(
            doc for _, doc, _ in self._catalog
        )
        self._unknown_reported: set[str] = set()

    # -- discovery -------------------------------------------------------------------------

    def sources(self) -> list[str]:
        """The sources this directory holds data for."""
        present = {
            "catalog": (self.root / "catalog").is_dir(),
            "inputs": (self.root / "inputs").is_dir(),
        }
        for source in ("github", "gitlab", "jenkins", "pagerduty", "opsgenie"):
            present[source] = (self.root / source).is_dir()
        return [s for s in SOURCES if present.get(s)]

    def _rel(self, path: Path) -> str:
        return path.relative_to(self.root).as_posix()

    def _reject(self, source: str, path: Path, key: str | None, reason: str) -> None:
        self.logs[source].rejected.append(Rejected(source, self._rel(path), key, reason))

    def _load_json(self, source: str, path: Path) -> Any:
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            self._reject(
                source,
                path,
                None,
                f"invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}; "
                "the whole file was skipped: fix or re-export it",
            )
        except (OSError, UnicodeDecodeError) as exc:
            self._reject(source, path, None, f"cannot read file: {exc}")
        return None

    def _items(self, source: str, path: Path, wrapper: str | None) -> list[Any]:
        page = self._load_json(source, path)
        if page is None:
            return []
        if wrapper is not None and isinstance(page, dict):
            page = page.get(wrapper)
        if not isinstance(page, list):
            expected = f"an object with a '{wrapper}' list" if wrapper else "a JSON list"
            self._reject(source, path, None, f"expected {expected}; the file was skipped")
            return []
        return page

    def _rows(
        self, source: str, path: Path, items: Iterable[Any], build: Any
    ) -> Iterator[dict[str, Any]]:
        rel = self._rel(path)
        for index, item in enumerate(items):
            try:
                out = build(item)
            except RecordError as exc:
                key = exc.key or f"item {index + 1}"
                self._reject(source, path, key, exc.reason)
                continue
            out["payload"] = item
            out["source_file"] = rel
            yield out

    # -- per source ------------------------------------------------------------------------

    def rows(self, source: str, table: str) -> Iterator[dict[str, Any]]:
        reader = getattr(self, f"_rows_{source}")
        yield from reader(table)

    def _rows_github(self, table: str) -> Iterator[dict[str, Any]]:
        base = self.root / "github"
        if not base.is_dir():
            return
        for repo_dir in sorted(
            p for owner in base.iterdir() if owner.is_dir() for p in owner.iterdir()
        ):
            if not repo_dir.is_dir():
                continue
            repo = f"{repo_dir.parent.name}/{repo_dir.name}"
            if repo.lower() not in self.known_repos:
                if repo not in self._unknown_reported:
                    self._unknown_reported.add(repo)
                    self._reject(
                        "github",
                        repo_dir,
                        repo,
                        f"repo {repo} is not in the catalog (annotation "
                        f"'{catalog.REPO_ANNOTATION}') nor in sources.github.repos: add it to "
                        "one of them, or remove the folder; its files were skipped",
                    )
                continue
            if table in github.ENDPOINTS:
                stem, wrapper = github.ENDPOINTS[table]
                for path in _pages(repo_dir, stem):
                    items = self._items("github", path, wrapper)
                    if table == "issues":
                        issues = [
                            i
                            for i in items
                            if not (isinstance(i, dict) and github.is_pull_request(i))
                        ]
                        if len(issues) < len(items):
                            skipped = len(items) - len(issues)
                            self.logs["github"].skip("pull requests in the issues list", skipped)
                        items = issues
                    yield from self._rows(
                        "github", path, items, lambda i, t=table, r=repo: github.row(t, i, repo=r)
                    )
            else:
                yield from self._github_children(repo_dir, repo, table)

    def _github_children(self, repo_dir: Path, repo: str, table: str) -> Iterator[dict[str, Any]]:
        stem, parent_key = github.CHILD_ENDPOINTS[table]
        folder = repo_dir / stem
        if folder.is_dir():
            for path in sorted(folder.glob("*.json"), key=lambda p: (len(p.stem), p.stem)):
                if not path.stem.isdigit():
                    self._reject("github", path, path.stem, f"file name must be the {parent_key}")
                    continue
                parent = int(path.stem)
                items = self._items("github", path, None)
                yield from self._rows(
                    "github",
                    path,
                    items,
                    lambda i, p=parent: github.row(table, i, repo=repo, parent=p),
                )
        ndjson = repo_dir / f"{stem}.ndjson"
        if ndjson.is_file():
            yield from self._github_ndjson(ndjson, repo, table, parent_key)

    def _github_ndjson(
        self, path: Path, repo: str, table: str, parent_key: str
    ) -> Iterator[dict[str, Any]]:
        with path.open(encoding="utf-8") as lines:
            for number, line in enumerate(lines, start=1):
                if not line.strip():
                    continue
                try:
                    record = json.loads(line)
                    parent = int(record[parent_key])
                    items = record["items"]
                    if not isinstance(items, list):
                        raise TypeError("'items' is not a list")
                except (json.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
                    self._reject(
                        "github",
                        path,
                        f"line {number}",
                        f'line {number}: expected {{"{parent_key}": N, "items": [...]}}: {exc}',
                    )
                    continue
                yield from self._rows(
                    "github",
                    path,
                    items,
                    lambda i, p=parent: github.row(table, i, repo=repo, parent=p),
                )

    def _rows_gitlab(self, table: str) -> Iterator[dict[str, Any]]:
        base = self.root / "gitlab"
        stem, wrapper = gitlab.ENDPOINTS[table]
        for path in sorted(base.rglob(f"{stem}*.json")) if base.is_dir() else []:
            if path not in _pages(path.parent, stem):
                continue
            project = path.parent.relative_to(base).as_posix()
            items = self._items("gitlab", path, wrapper)
            yield from self._rows(
                "gitlab", path, items, lambda i, p=project: gitlab.row(table, i, project=p)
            )

    def _rows_jenkins(self, table: str) -> Iterator[dict[str, Any]]:
        base = self.root / "jenkins"
        stem, wrapper = jenkins.ENDPOINTS[table]
        for path in sorted(base.rglob(f"{stem}*.json")) if base.is_dir() else []:
            if path not in _pages(path.parent, stem):
                continue
            job = path.parent.relative_to(base).as_posix()
            page = self._load_json("jenkins", path)
            if page is None:
                continue
            items = page.get(wrapper, page.get("builds")) if isinstance(page, dict) else page
            if not isinstance(items, list):
                self._reject("jenkins", path, None, "expected a list or {'allBuilds': [...]}")
                continue
            yield from self._rows(
                "jenkins", path, items, lambda i, j=job: jenkins.row(table, i, job=j)
            )

    def _rows_pagerduty(self, table: str) -> Iterator[dict[str, Any]]:
        yield from self._flat("pagerduty", table, pagerduty.ENDPOINTS, pagerduty.row)

    def _rows_opsgenie(self, table: str) -> Iterator[dict[str, Any]]:
        yield from self._flat("opsgenie", table, opsgenie.ENDPOINTS, opsgenie.row)

    def _flat(self, source: str, table: str, endpoints: dict, build: Any) -> Iterator[dict]:
        base = self.root / source
        if not base.is_dir():
            return
        stem, wrapper = endpoints[table]
        for path in _pages(base, stem):
            items = self._items(source, path, wrapper)
            yield from self._rows(source, path, items, lambda i: build(table, i))

    def _catalog_documents(self) -> Iterator[tuple[Path, Any, int]]:
        base = self.root / "catalog"
        if not base.is_dir():
            return
        for path in sorted([*base.rglob("*.yaml"), *base.rglob("*.yml")]):
            try:
                documents = list(yaml.safe_load_all(path.read_text(encoding="utf-8")))
            except yaml.YAMLError as exc:
                mark = getattr(exc, "problem_mark", None)
                where = f" at line {mark.line + 1} column {mark.column + 1}" if mark else ""
                self._reject("catalog", path, None, f"invalid YAML{where}: the file was skipped")
                continue
            for index, document in enumerate(documents):
                if document is not None:
                    yield path, document, index

    def _rows_catalog(self, table: str) -> Iterator[dict[str, Any]]:
        for path, document, index in self._catalog:
            try:
                out = catalog.row(document)
            except RecordError as exc:
                self._reject("catalog", path, exc.key or f"document {index + 1}", exc.reason)
                continue
            yield out | {"payload": document, "source_file": self._rel(path)}

    def _rows_inputs(self, table: str) -> Iterator[dict[str, Any]]:
        base = self.root / "inputs"
        for path in sorted(base.glob("*.csv")) if base.is_dir() else []:
            with path.open(encoding="utf-8", newline="") as handle:
                reader = csv.DictReader(handle)
                missing = [c for c in inputs.REQUIRED if c not in (reader.fieldnames or [])]
                if missing:
                    self._reject(
                        "inputs",
                        path,
                        None,
                        f"header lacks column(s) {', '.join(missing)}; expected "
                        f"{','.join(inputs.REQUIRED)},unit,source",
                    )
                    continue
                for line, record in enumerate(reader, start=2):
                    try:
                        out = inputs.row(record, line=line)
                    except RecordError as exc:
                        self._reject("inputs", path, exc.key or f"line {line}", exc.reason)
                        continue
                    yield out | {"payload": dict(record), "source_file": self._rel(path)}
