"""Export mode: walk a directory of saved API responses and turn it into raw rows, for every
source alike, from what each source's package declares (its files, tables, row mapping).

Nothing here stops at a bad file or record. Every file under a source's folder is read or
reported: a file no pattern names, a file that cannot be read, a record that fails its checks,
a duplicate entity or a repo nobody configured becomes a `Rejected` entry naming the file, the
key, the field and what to do, and the walk goes on.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from ingestion import files, registry
from ingestion.files import FileProblem, Limits
from ingestion.manifest import Manifest
from ingestion.records import RecordError, dig, shown
from ingestion.sources import catalog
from ingestion.spec import ExportFile, RawTable, Source
from ingestion.validate import ENCODED_PAYLOAD, encoded_record, first_problem


@dataclass(frozen=True)
class Rejected:
    source: str
    file: str
    record_key: str | None
    reason: str
    field: str | None = None
    value: str | None = None

    def as_row(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "file": self.file,
            "record_key": self.record_key or "",
            "field": self.field,
            "value": self.value,
            "reason": self.reason,
        }


@dataclass
class ReadLog:
    """What a read rejected and skipped, per source."""

    rejected: list[Rejected] = field(default_factory=list)
    skipped: dict[str, int] = field(default_factory=dict)

    def skip(self, what: str, n: int = 1) -> None:
        self.skipped[what] = self.skipped.get(what, 0) + n


def _sort_key(match: dict[str, str]) -> tuple:
    """Folders by name, per-parent files by number, pages in page order."""
    out: list[tuple[int, str]] = []
    for name, value in match.items():
        if name == "page":
            out.append((int(value or 1), ""))
        elif name == "parent":
            out.append((len(value), value))
        else:
            out.append((0, value))
    return tuple(out)


def _common_prefix(a: str, b: str) -> int:
    """How many leading characters two file names share."""
    n = 0
    while n < min(len(a), len(b)) and a[n] == b[n]:
        n += 1
    return n


@dataclass
class _Table:
    """One table being read: its source, its declaration, and the natural keys seen so far
    (for sources whose keys must be unique) with where each was first declared."""

    src: Source
    table: RawTable
    seen: dict[tuple[str, ...], str] = field(default_factory=dict)


class ExportReader:
    """Walks one export directory; `rows(source, table)` yields that table's raw rows."""

    def __init__(
        self,
        export_dir: str | Path,
        *,
        known_repos: Iterable[str] = (),
        limits: Limits | None = None,
        manifests: dict[str, Manifest] | None = None,
    ) -> None:
        self.root = Path(export_dir)
        # With a source's manifest, files landed before and unchanged since are not read.
        self.manifests = manifests or {}
        if not self.root.is_dir():
            raise FileNotFoundError(f"{self.root}: export directory not found")
        self.limits = limits or Limits()
        self.logs: dict[str, ReadLog] = {s.name: ReadLog() for s in registry.REGISTRY}
        self._listed: dict[str, list[tuple[ExportFile, Path, dict[str, str]]]] = {}
        self._refused: set[tuple[str, str]] = set()
        self._yaml: dict[Path, list[tuple[int, int, Any]] | FileProblem] = {}
        self._whole: dict[str, bool] = {}  # unique-key sources: read whole this run?
        self._rels: dict[Path, str] = {}
        self._named_repos = {r.lower() for r in known_repos}

    @cached_property
    def known_repos(self) -> set[str]:
        """The repos given and those the catalog names: GitHub's folders are read for these.
        Read when a source that is scoped to them asks, not by every source's reader (at
        2,000 services the catalog takes seconds to parse)."""
        documents = [
            doc
            for _, path, _ in self._list(registry.source("catalog"))
            for *_, doc in self._documents(path)
        ]
        return self._named_repos | catalog.repos_of(documents)

    def sources(self) -> list[str]:
        """The sources this directory holds a folder for."""
        return [s.name for s in registry.REGISTRY if (self.root / s.name).is_dir()]

    def _rel(self, path: Path) -> str:
        rel = self._rels.get(path)
        if rel is None:  # asked once per record: worth remembering
            rel = self._rels[path] = path.relative_to(self.root).as_posix()
        return rel

    def _reject(self, src: str, where: str, key: str | None, reason: str, **fault: Any) -> None:
        self.logs[src].rejected.append(Rejected(src, where, key, reason, **fault))

    # -- which file is what ------------------------------------------------------------------

    def _list(self, src: Source) -> list[tuple[ExportFile, Path, dict[str, str]]]:
        """Every file of the source's folder with the pattern it matches, folders and pages in
        order (cached); the files no pattern matches are reported once, as skipped."""
        if src.name in self._listed:
            return self._listed[src.name]
        found = []
        base = self.root / src.name
        self._misspelled(src)
        for path in sorted(p for p in base.rglob("*") if p.is_file()) if base.is_dir() else []:
            rel = path.relative_to(base).as_posix()
            for order, export_file in enumerate(src.files):
                if hit := export_file.regex.match(rel):
                    found.append((_sort_key(hit.groupdict()), order, export_file, path, hit))
                    break
            else:
                self._reject(src.name, self._rel(path), None, self._unmatched(src, rel))
        found.sort(key=lambda entry: entry[:2])
        listed = [(f, path, hit.groupdict()) for _, _, f, path, hit in found]
        self._listed[src.name] = listed
        return listed

    def _misspelled(self, src: Source) -> None:
        """Report a top-level folder whose name is close to this source's (`githb/`): its
        files would otherwise never be read, and nobody told. Other folders and files at the
        top (a README, the config) are not the sources' business."""
        names = set(registry.SOURCES)
        for entry in sorted(self.root.iterdir()):
            if not entry.is_dir() or entry.name in names:
                continue
            if difflib.get_close_matches(entry.name, names, n=1, cutoff=0.75) == [src.name]:
                self._reject(
                    src.name,
                    f"{entry.name}/",
                    None,
                    f"skipped: {entry.name}/ is not a source folder, so none of its files were "
                    f"read: did you mean {src.name}/?",
                )

    def _unmatched(self, src: Source, rel: str) -> str:
        name = rel.rpartition("/")[2]
        here = [f for f in src.files if f.folder_regex.match(rel)]
        if not here:
            expected = ", ".join(dict.fromkeys(f"{src.name}/{f.pattern}" for f in src.files))
            return f"skipped: not a file a {src.name} export holds (expected {expected})"
        best = max(_common_prefix(name, f.example) for f in here)
        if best >= 3:  # `pulls 4.json` is meant to be a pulls page: say how pages are named
            here = [f for f in here if _common_prefix(name, f.example) == best]
        expected = ", ".join(dict.fromkeys(f.example for f in here))
        return f"skipped: file name matches no export pattern (expected {expected})"

    def _admitted(self, src: Source, match: dict[str, str]) -> bool:
        """False for a file in a folder its source does not want (reported once per folder)."""
        if not src.scope or src.admit is None:
            return True
        scope = "/".join(match[name] for name in src.scope)
        why = src.admit(scope, self.known_repos)
        if why is None:
            return True
        if (src.name, scope) not in self._refused:
            self._refused.add((src.name, scope))
            self._reject(src.name, f"{src.name}/{scope}", scope, why)
        return False

    # -- rows --------------------------------------------------------------------------------

    def rows(self, source_name: str, table_name: str) -> Iterator[dict[str, Any]]:
        src = registry.source(source_name)
        walk = _Table(src, src.table(table_name))
        for export_file, path, match in self._list(src):
            if (
                export_file.table == table_name
                and self._admitted(src, match)
                and not self._unchanged(src, path)
            ):
                yield from self._file(walk, export_file, path, match)

    def _unchanged(self, src: Source, path: Path) -> bool:
        """True if the manifest says `path` was landed as it is now. A source whose keys must
        be unique across files (catalog, inputs) is read whole if any of its files changed,
        so a duplicate is still caught against the files that did not."""
        manifest = self.manifests.get(src.name)
        if manifest is None:
            return False
        if not src.unique_keys:
            return manifest.is_unchanged(self._rel(path), path)
        if src.name not in self._whole:
            files = [(self._rel(p), p) for _, p, _ in self._list(src)]
            changed = [rel for rel, p in files if not manifest.is_unchanged(rel, p)]
            self._whole[src.name] = bool(changed)
            if changed:  # every file is read: note the unchanged ones' state to store again
                manifest.unchanged = 0
                for rel, p in files:
                    if rel not in manifest.seen:
                        manifest.seen[rel] = manifest.state_of(p)
        return not self._whole[src.name]

    def _file(
        self, walk: _Table, export_file: ExportFile, path: Path, match: dict[str, str]
    ) -> Iterator[dict[str, Any]]:
        rel = self._rel(path)
        if "parent" in match and export_file.parent_of(match["parent"]) is None:
            name = export_file.parent_key
            self._reject(walk.src.name, rel, match["parent"], f"file name must be the {name}")
            return
        try:
            if export_file.kind == "ndjson":
                yield from self._bundle(walk, export_file, path, match)
            elif export_file.kind == "csv":
                yield from self._csv(walk, export_file, path, match)
            elif export_file.kind == "yaml":
                documents = self._documents(path)
                if isinstance(self._yaml[path], FileProblem):
                    raise self._yaml[path]  # type: ignore[misc]
                for index, line, document in documents:
                    where = f"document {index} (line {line})"
                    yield from self._record(walk, document, match, path, where)
            else:
                items = self._page_items(files.read_json(path, self.limits), export_file)
                for index, item in enumerate(items, start=1):
                    yield from self._record(walk, item, match, path, f"item {index}")
        except FileProblem as problem:
            self._reject(walk.src.name, rel, None, problem.reason)

    def _documents(self, path: Path) -> list[tuple[int, int, Any]]:
        """A YAML file's documents, read once (an unreadable file has none)."""
        if path not in self._yaml:
            try:
                self._yaml[path] = files.yaml_documents(path, self.limits)
            except FileProblem as problem:
                self._yaml[path] = problem
        read = self._yaml[path]
        return [] if isinstance(read, FileProblem) else read

    @staticmethod
    def _page_items(page: Any, export_file: ExportFile) -> list[Any]:
        wrappers = export_file.wrapper
        if isinstance(wrappers, str):
            wrappers = (wrappers,)
        if wrappers and isinstance(page, dict):
            page = next((page[w] for w in wrappers if w in page), None)
        if not isinstance(page, list):
            expected = f"an object with a '{wrappers[0]}' list" if wrappers else "a JSON list"
            raise FileProblem(f"expected {expected}; the file was skipped")
        return page

    def _bundle(
        self, walk: _Table, export_file: ExportFile, path: Path, match: dict[str, str]
    ) -> Iterator[dict[str, Any]]:
        key_name = export_file.parent_key
        for number, line in files.ndjson_lines(path, self.limits):
            if isinstance(line, FileProblem):
                self._reject(walk.src.name, self._rel(path), f"line {number}", line.reason)
                continue
            parent = export_file.parent_of(line.get(key_name)) if isinstance(line, dict) else None
            items = line.get("items") if isinstance(line, dict) else None
            if parent is None or not isinstance(items, list):
                self._reject(
                    walk.src.name,
                    self._rel(path),
                    f"line {number}",
                    f'line {number}: expected {{"{key_name}": {_placeholder(export_file)}, '
                    '"items": [...]}; '
                    "the line was set aside",
                    value=shown(line),
                )
                continue
            context = {**match, "parent": parent}
            for index, item in enumerate(items, start=1):
                yield from self._record(walk, item, context, path, f"line {number} item {index}")

    def _csv(
        self, walk: _Table, export_file: ExportFile, path: Path, match: dict[str, str]
    ) -> Iterator[dict[str, Any]]:
        header, lines = files.csv_rows(path, self.limits)
        missing = [c for c in export_file.columns if c not in header]
        if missing:
            raise FileProblem(
                f"header lacks column(s) {', '.join(missing)}; expected "
                f"{','.join(export_file.columns + export_file.optional_columns)}"
            )
        for line, record in lines:
            if None in record:
                self._reject(
                    walk.src.name,
                    self._rel(path),
                    f"line {line}",
                    f"line {line} has more values than the header has columns; "
                    "the row was set aside: quote values that hold commas",
                )
                continue
            yield from self._record(walk, record, {**match, "line": line}, path, f"line {line}")

    def _record(
        self, walk: _Table, item: Any, context: dict[str, Any], path: Path, where: str
    ) -> Iterator[dict[str, Any]]:
        """The row of one record (nothing if it fails a check: it is rejected instead)."""
        src, table, rel = walk.src, walk.table, self._rel(path)
        if not isinstance(item, dict):
            what = "a YAML mapping" if path.suffix in (".yaml", ".yml") else "a JSON object"
            self._reject(src.name, rel, where, f"expected {what}, got {type(item).__name__}")
            return
        if src.skip and (label := src.skip(table.name, item)):
            self.logs[src.name].skip(label)
            return
        problem = first_problem(table, item)
        # The record's name in a rejection (its key field, unless that is what is wrong):
        # worked out only for a record that is rejected or must be unique.
        bad_key = problem is not None and problem.field == table.key_path
        key = lambda: (None if bad_key else _record_key(table, item)) or where  # noqa: E731
        if problem is None:
            try:
                out = src.row(table.name, item, context)
            except RecordError as exc:
                fault = {"field": exc.field, "value": shown(exc.value)}
                self._reject(src.name, rel, exc.key or key(), exc.reason, **fault)
                return
            encoded, problem = encoded_record(item)
        if problem is not None:
            fault = {"field": problem.field, "value": problem.value}
            self._reject(src.name, rel, key(), problem.reason, **fault)
            return
        if src.unique_keys and self._duplicate(walk, out, f"{rel} {where}", rel, key()):
            return
        # The payload travels as the JSON just written, not as the parsed record: rows wait in
        # the writer's batch, and thousands of parsed records there make every garbage
        # collection walk them all (a fifth of a landing's time).
        yield {**out, "source_file": rel, ENCODED_PAYLOAD: encoded}

    def _duplicate(self, walk: _Table, out: dict[str, Any], here: str, rel: str, key: str) -> bool:
        """True (and rejected) if an earlier record had the same natural key."""
        columns = walk.table.primary_key
        first = walk.seen.setdefault(tuple(str(out[c]).lower() for c in columns), here)
        if first == here:
            return False
        label = "/".join(str(out[c]) for c in columns)
        self._reject(
            walk.src.name,
            rel,
            key,
            f"duplicate {label}: first declared in {first}; this one ({here}) was set aside: "
            "keep one of them",
        )
        return True


def _record_key(table: RawTable, item: dict[str, Any]) -> str | None:
    if table.key_path is None:
        return None
    value = dig(item, table.key_path)
    if value is None or isinstance(value, dict | list):
        return None
    return f"{table.key_prefix}{value}"


def _placeholder(export_file: ExportFile) -> str:
    return '"<sha>"' if export_file.parent_kind == "sha" else "N"
