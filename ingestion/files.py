"""Reading one export file without letting it stop the others: a file that is too big, not
UTF-8, not valid JSON/YAML/CSV or nested too deeply to parse raises `FileProblem` naming where
and what to do, and the caller sets that file (or that NDJSON line) aside."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

try:  # orjson (installed with dlt) parses several times faster; json explains what it refuses
    from orjson import loads as _fast_loads
except ImportError:  # pragma: no cover
    _fast_loads = None
_FastLoader = getattr(yaml, "CSafeLoader", None)

# A file parsed whole (JSON page, YAML, CSV) or one NDJSON line may hold at most this much.
MAX_FILE_BYTES = 256 * 1024 * 1024

SET_ASIDE = "the file was set aside"


class FileProblem(Exception):
    """A file (or one NDJSON line) that cannot be read; `reason` says where and what to do."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Limits:
    max_file_bytes: int = MAX_FILE_BYTES


def _size(n: int) -> str:
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:,} {unit}" if unit == "bytes" else f"{n:,.1f} {unit}"
        n /= 1024  # type: ignore[assignment]
    return str(n)


def _decode(data: bytes, what: str = "the file") -> str:
    """UTF-8 text (a byte-order mark is dropped), or a FileProblem naming the first bad byte."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise FileProblem(
            f"{what} is not UTF-8: byte 0x{data[exc.start]:02x} at offset {exc.start} "
            f"(line {line}, column {column}); {what.removeprefix('the ')} was set aside: "
            "save it as UTF-8 and load it again"
        ) from None


def read_bytes(path: Path, limits: Limits) -> bytes:
    try:
        size = path.stat().st_size
        if size > limits.max_file_bytes:
            raise FileProblem(
                f"file is {_size(size)}, above the {_size(limits.max_file_bytes)} limit "
                f"(ingestion.files.MAX_FILE_BYTES); {SET_ASIDE}: split it into pages "
                "(pulls.json, pulls-2.json, ...) or use the .ndjson bundle"
            )
        return path.read_bytes()
    except OSError as exc:
        raise FileProblem(f"cannot read file: {exc.strerror or exc}; {SET_ASIDE}") from None


def read_text(path: Path, limits: Limits) -> str:
    return _decode(read_bytes(path, limits))


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def parse_json(text: str, what: str = "the whole file was skipped: fix or re-export it") -> Any:
    """Strict JSON (no NaN/Infinity); a syntax error names its line and column."""
    if _fast_loads is not None:
        try:
            return _fast_loads(text)
        except Exception:  # the standard parser below finds and names the fault
            pass
    try:
        return json.loads(text, parse_constant=_no_constants)
    except json.JSONDecodeError as exc:
        raise FileProblem(
            f"invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}; {what}"
        ) from None
    except ValueError as exc:
        raise FileProblem(f"invalid JSON: {exc}; {what}") from None
    except RecursionError:
        raise FileProblem(
            "JSON nested too deeply to parse (about 1,000 levels or more); "
            f"{SET_ASIDE}: no API answers like this, re-export it"
        ) from None


def _fast_bytes(data: bytes) -> Any:
    """orjson straight from the bytes (it checks they are UTF-8 itself); `_FAILED` if it
    refuses them (a byte-order mark, bad bytes, bad JSON): the slow path says why."""
    if _fast_loads is not None:
        try:
            return _fast_loads(data)
        except Exception:
            pass
    return _FAILED


_FAILED = object()


def read_json(path: Path, limits: Limits) -> Any:
    data = read_bytes(path, limits)
    parsed = _fast_bytes(data)
    return parse_json(_decode(data)) if parsed is _FAILED else parsed


def ndjson_lines(path: Path, limits: Limits) -> Iterator[tuple[int, Any]]:
    """(line number, parsed line or FileProblem) for each non-blank line of an NDJSON file: a
    bad line is set aside on its own, the next lines still land."""
    try:
        handle = path.open("rb")
    except OSError as exc:
        raise FileProblem(f"cannot read file: {exc.strerror or exc}; {SET_ASIDE}") from None
    with handle:
        for number, raw in enumerate(handle, start=1):
            if not raw.strip():
                continue
            if len(raw) > limits.max_file_bytes:
                yield (
                    number,
                    FileProblem(
                        f"line {number} is {_size(len(raw))}, above the "
                        f"{_size(limits.max_file_bytes)} limit (ingestion.files.MAX_FILE_BYTES); "
                        "the line was set aside"
                    ),
                )
                continue
            parsed = _fast_bytes(raw)
            if parsed is not _FAILED:
                yield number, parsed
                continue
            try:
                text = _decode(raw, f"line {number}").removeprefix("\ufeff")
                yield number, parse_json(text, "the line was set aside")
            except FileProblem as problem:
                yield number, problem


def yaml_documents(path: Path, limits: Limits) -> list[tuple[int, int, Any]]:
    """(document index from 1, its first line, its data) for each non-empty document."""
    text = read_text(path, limits)
    if _FastLoader is not None:  # libyaml; a file it refuses is read again to say why
        try:
            return _documents(_FastLoader(text))
        except (yaml.YAMLError, RecursionError):
            pass
    try:
        return _documents(yaml.SafeLoader(text))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1} column {mark.column + 1}" if mark else ""
        raise FileProblem(f"invalid YAML{where}: the file was skipped") from None
    except RecursionError:
        raise FileProblem(f"YAML nested too deeply to parse; {SET_ASIDE}") from None


def _documents(loader: Any) -> list[tuple[int, int, Any]]:
    out = []
    try:
        index = 0
        while loader.check_node():
            node = loader.get_node()
            index += 1
            data = loader.construct_document(node)
            if data is not None:
                out.append((index, node.start_mark.line + 1, data))
    finally:
        loader.dispose()
    return out


def csv_rows(path: Path, limits: Limits) -> tuple[list[str], Iterator[tuple[int, dict]]]:
    """The header and (line number, row) pairs of a CSV file. A CSV syntax error midway raises
    FileProblem from the iterator, naming the line; the rows before it were yielded."""
    text = read_text(path, limits)
    reader = csv.DictReader(io.StringIO(text, newline=""))
    try:
        header = list(reader.fieldnames or [])
    except csv.Error as exc:
        raise FileProblem(f"invalid CSV header: {exc}; {SET_ASIDE}") from None

    def rows() -> Iterator[tuple[int, dict]]:
        line = 1  # the header; a row's number is its place after it, as a spreadsheet shows
        while True:
            try:
                record = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                raise FileProblem(
                    f"invalid CSV at line {reader.line_num}: {exc}; that line and the rest of "
                    "the file were not loaded"
                ) from None
            line += 1
            yield line, record

    return header, rows()
