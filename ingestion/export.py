"""Export mode: walk a directory of saved API responses and turn it into raw rows, for every
source alike, from what each source's package declares (its files, tables, row mapping).

Nothing here stops at a bad file or record. Every file under a source's folder is read or
reported: a file no pattern names, a file that cannot be read, a record that fails its checks,
a duplicate entity or a repo nobody configured becomes a `Rejected` entry naming the file, the
key, the field and what to do, and the walk goes on.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ingestion import files, registry
from ingestion.files import FileProblem, Limits
from ingestion.records import RecordError, dig, integer_or_none, shown
from ingestion.sources import catalog
from ingestion.spec import ExportFile, RawTable, Source
from ingestion.validate import first_problem, storable


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
    out: list[Any] = []
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


class ExportReader:
    """Walks one export directory; `rows(source, table)` yields that table's raw rows."""

    def __init__(
        self,
        export_dir: str | Path,
        *,
        known_repos: Iterable[str] = (),
        limits: Limits | None = None,
    ) -> None:
        self.root = Path(export_dir)
        if not self.root.is_dir():
            raise FileNotFoundError(f"{self.root}: export directory not found")
        self.limits = limits or Limits()
        self.logs: dict[str, ReadLog] = {s.name: ReadLog() for s in registry.REGISTRY}
        self._listed: dict[str, dict[ExportFile, list[tuple[Path, dict[str, str]]]]] = {}
        self._refused: set[tuple[str, str]] = set()
        self._documents = list(self._catalog_documents())
        self.known_repos = {r.lower() for r in known_repos} | catalog.repos_of(
            doc for *_, doc in self._documents
        )

    def sources(self) -> list[str]:
        """The sources this directory holds a folder for."""
        return [s.name for s in registry.REGISTRY if (self.root / s.name).is_dir()]

    def _rel(self, path: Path) -> str:
        return path.relative_to(self.root).as_posix()

    def _reject(self, src: str, where: str, key: str | None, reason: str, **fault: Any) -> None:
        self.logs[src].rejected.append(Rejected(src, where, key, reason, **fault))

    # -- which file is what ------------------------------------------------------------------

    def _list(self, src: Source) -> dict[ExportFile, list[tuple[Path, dict[str, str]]]]:
        """Every file of the source's folder matched to its pattern (cached); the others are
        reported once as skipped."""
        if src.name in self._listed:
            return self._listed[src.name]
        matched: dict[ExportFile, list[tuple[Path, dict[str, str]]]] = {f: [] for f in src.files}
        base = self.root / src.name
        paths = sorted(p for p in base.rglob("*") if p.is_file()) if base.is_dir() else []
        for path in paths:
            rel = path.relative_to(base).as_posix()
            for export_file in src.files:
                hit = export_file.regex.match(rel)
                if hit:
                    matched[export_file].append((path, hit.groupdict()))
                    break
            else:
                self._reject(src.name, self._rel(path), None, self._unmatched(src, rel))
        for found in matched.values():
            found.sort(key=lambda pair: _sort_key(pair[1]))
        self._listed[src.name] = matched
        return matched

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

    def _admitted(self, src: Source, path: Path, match: dict[str, str]) -> bool:
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
        table = src.table(table_name)
        seen: dict[tuple[str, ...], str] = {}  # natural key -> where it was first declared
        if src.name == "catalog":
            for path, index, line, document in self._documents:
                where = f"document {index} (line {line})"
                yield from self._records(src, table, [document], {}, path, where, seen)
            return
        for export_file, found in self._list(src).items():
            if export_file.table != table.name:
                continue
            for path, match in found:
                if self._admitted(src, path, match):
                    yield from self._file(src, table, export_file, path, match, seen)

    def _file(
        self,
        src: Source,
        table: RawTable,
        export_file: ExportFile,
        path: Path,
        match: dict[str, str],
        seen: dict[tuple[str, ...], str],
    ) -> Iterator[dict[str, Any]]:
        rel = self._rel(path)
        try:
            if export_file.kind == "ndjson":
                yield from self._bundle(src, table, export_file, path, match, seen)
            elif export_file.kind == "csv":
                yield from self._csv(src, table, export_file, path, match, seen)
            else:
                if "parent" in match and not match["parent"].isdigit():
                    raise FileProblem(f"file name must be the {export_file.parent_key}")
                items = self._page_items(files.read_json(path, self.limits), export_file)
                for index, item in enumerate(items, start=1):
                    yield from self._records(src, table, [item], match, path, f"item {index}", seen)
        except FileProblem as problem:
            key = match.get("parent") if problem.reason.startswith("file name") else None
            self._reject(src.name, rel, key, problem.reason)

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
        self,
        src: Source,
        table: RawTable,
        export_file: ExportFile,
        path: Path,
        match: dict[str, str],
        seen: dict[tuple[str, ...], str],
    ) -> Iterator[dict[str, Any]]:
        key_name = export_file.parent_key
        for number, line in files.ndjson_lines(path, self.limits):
            if isinstance(line, FileProblem):
                self._reject(src.name, self._rel(path), f"line {number}", line.reason)
                continue
            parent = integer_or_none(line.get(key_name)) if isinstance(line, dict) else None
            items = line.get("items") if isinstance(line, dict) else None
            if parent is None or not isinstance(items, list):
                self._reject(
                    src.name,
                    self._rel(path),
                    f"line {number}",
                    f'line {number}: expected {{"{key_name}": N, "items": [...]}}; '
                    "the line was set aside",
                    value=shown(line),
                )
                continue
            context = {**match, "parent": parent}
            for index, item in enumerate(items, start=1):
                where = f"line {number} item {index}"
                yield from self._records(src, table, [item], context, path, where, seen)

    def _csv(
        self,
        src: Source,
        table: RawTable,
        export_file: ExportFile,
        path: Path,
        match: dict[str, str],
        seen: dict[tuple[str, ...], str],
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
                    src.name,
                    self._rel(path),
                    f"line {line}",
                    f"line {line} has more values than the header has columns; "
                    "the row was set aside: quote values that hold commas",
                )
                continue
            context = {**match, "line": line}
            yield from self._records(src, table, [record], context, path, f"line {line}", seen)

    def _records(
        self,
        src: Source,
        table: RawTable,
        items: list[Any],
        context: dict[str, Any],
        path: Path,
        where: str,
        seen: dict[tuple[str, ...], str],
    ) -> Iterator[dict[str, Any]]:
        """The row of each record that passes its checks; the others are rejected."""
        rel = self._rel(path)
        for item in items:
            if not isinstance(item, dict):
                what = "a YAML mapping" if path.suffix in (".yaml", ".yml") else "a JSON object"
                self._reject(src.name, rel, where, f"expected {what}, got {type(item).__name__}")
                continue
            if src.skip and (label := src.skip(table.name, item)):
                self.logs[src.name].skip(label)
                continue
            problem = first_problem(table, item)
            bad_key = problem is not None and problem.field == table.key_path
            key = (None if bad_key else _record_key(table, item)) or where
            if problem is None:
                try:
                    out = src.row(table.name, item, context)
                except RecordError as exc:
                    self._reject(
                        src.name,
                        rel,
                        exc.key or key,
                        exc.reason,
                        field=exc.field,
                        value=shown(exc.value),
                    )
                    continue
                problem = storable(item)
            if problem is not None:
                self._reject(
                    src.name, rel, key, problem.reason, field=problem.field, value=problem.value
                )
                continue
            if src.unique_keys and self._duplicate(src, table, out, (rel, where), key, seen):
                continue
            out["payload"] = item
            out["source_file"] = rel
            yield out

    def _duplicate(
        self,
        src: Source,
        table: RawTable,
        out: dict[str, Any],
        place: tuple[str, str],
        key: str,
        seen: dict[tuple[str, ...], str],
    ) -> bool:
        """True (and rejected) if an earlier record had the same natural key."""
        rel, where = place
        here = f"{rel} {where}"
        natural = tuple(str(out[c]).lower() for c in table.primary_key)
        first = seen.setdefault(natural, here)
        if first == here:
            return False
        label = "/".join(str(out[c]) for c in table.primary_key)
        self._reject(
            src.name,
            rel,
            key,
            f"duplicate {label}: first declared in {first}; this one ({here}) was set aside: "
            "keep one of them",
        )
        return True

    def _catalog_documents(self) -> Iterator[tuple[Path, int, int, Any]]:
        """(file, document index, line, data) of every catalog document, in path order."""
        paths = sorted(
            path for found in self._list(registry.source("catalog")).values() for path, _ in found
        )
        for path in paths:
            try:
                for index, line, document in files.yaml_documents(path, self.limits):
                    yield path, index, line, document
            except FileProblem as problem:
                self._reject("catalog", self._rel(path), None, problem.reason)


def _record_key(table: RawTable, item: dict[str, Any]) -> str | None:
    if table.key_path is None:
        return None
    value = dig(item, table.key_path)
    if value is None or isinstance(value, dict | list):
        return None
    return f"{table.key_prefix}{value}"
