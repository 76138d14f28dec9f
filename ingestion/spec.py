"""What a source declares about itself: its raw tables (keys, and the payload fields staging
casts), the files of its export folder, and the `Source` that ties them to its row mapping and
its API puller. Plain data: importing a source costs nothing and pulls in neither dlt nor HTTP.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from ingestion.records import integer_or_none

# --- typed payload fields -----------------------------------------------------------------------

KINDS = ("present", "timestamp", "integer", "boolean", "number", "percent", "epoch_ms")


@dataclass(frozen=True)
class Typed:
    """A payload field the staging model casts (or a key it needs). A record whose field holds
    anything else is set aside at landing, so one bad value never fails a model."""

    path: tuple[str, ...]
    kind: str  # one of KINDS; `present` only asks for a value
    required: bool = False

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown field kind {self.kind!r}; expected one of {KINDS}")

    @property
    def name(self) -> str:
        """`commit.author.date`; a key holding a dot or slash is quoted: `annotations["a.b/c"]`."""
        out = ""
        for part in self.path:
            out += f'["{part}"]' if re.search(r"[./\s]", part) else f".{part}"
        return out.lstrip(".")


def _typed(kind: str) -> Callable[..., Typed]:
    def make(path: str | tuple[str, ...], *, required: bool = False) -> Typed:
        parts = tuple(path.split(".")) if isinstance(path, str) else tuple(path)
        return Typed(parts, kind, required)

    return make


present = _typed("present")  # any non-null value (a key the row needs)
timestamp = _typed("timestamp")  # ISO-8601 text: 2026-01-05T09:00:00Z, with or without zone
integer = _typed("integer")  # whole number (3 or 3.0; 3.7 is lossy); digits in text too
boolean = _typed("boolean")  # JSON true / false
number = _typed("number")  # any finite number, or text that is one
percent = _typed("percent")  # a number, or text like "99.9%"
epoch_ms = _typed("epoch_ms")  # milliseconds since 1970 as a JSON number


# --- raw tables ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class RawTable:
    """One table of `raw_<source>`: merged on `primary_key`, one row per version when
    `versioned_by` is set (staging keeps the newest). Every row keeps the record's full JSON in
    `payload` and names the file or endpoint it came from in `source_file`."""

    source: str
    name: str
    primary_key: tuple[str, ...]
    columns: dict[str, str]  # column -> dlt data type; `payload` and `source_file` are added
    description: str
    versioned_by: str | None = None
    typed: tuple[Typed, ...] = ()  # checked on the payload before the row is built
    key_path: str | None = None  # the payload field that names a record in a rejection
    key_prefix: str = ""  # "#" for "#12"

    @property
    def schema(self) -> str:
        return f"raw_{self.source}"

    @property
    def all_columns(self) -> dict[str, str]:
        return {**self.columns, "payload": "json", "source_file": "text"}


# Where records and files that could not be landed are kept, one table per raw schema.
REJECTED_TABLE = "_rejected"
REJECTED_COLUMNS = {
    "source": "text",
    "file": "text",  # export path, or the URL of the API page
    "record_key": "text",  # "#12", "line 7", "document 2": empty for a whole file
    "field": "text",  # the payload field at fault, when one is
    "value": "text",  # its value as text, shortened
    "reason": "text",  # what is wrong and what to do
}
REJECTED_KEY = ("file", "record_key", "reason")


# --- export files -------------------------------------------------------------------------------

_PLACEHOLDER = re.compile(r"\{(\w+)(\+?)\}")


@dataclass(frozen=True)
class ExportFile:
    """A kind of file under `<export_dir>/<source>/`, written as a pattern: `{name}` is one path
    segment, `{name+}` one or more, `{page}` the optional page suffix (`pulls.json`,
    `pulls-2.json`, ...). What the placeholders match is the row mapping's context."""

    table: str
    pattern: str
    kind: str = "json"  # json | ndjson | yaml | csv
    wrapper: str | tuple[str, ...] | None = None  # where a JSON page keeps its list
    parent_key: str | None = None  # ndjson: each line is {parent_key: id, "items": [...]}
    parent_kind: str = "number"  # what names a parent: a "number" (PR, deployment) or a "sha"
    columns: tuple[str, ...] = ()  # csv: the columns its header must name ...
    optional_columns: tuple[str, ...] = ()  # ... and those it may name

    @cached_property  # frozen dataclass: the cache goes straight into the instance's __dict__
    def regex(self) -> re.Pattern[str]:
        out, last = "", 0
        for match in _PLACEHOLDER.finditer(self.pattern):
            out += re.escape(self.pattern[last : match.start()])
            name, many = match.group(1), match.group(2)
            if name == "page":
                out += r"(?:-(?P<page>\d+))?"
            else:
                out += rf"(?P<{name}>{'.+' if many else '[^/]+'})"
            last = match.end()
        return re.compile(out + re.escape(self.pattern[last:]) + "$")

    @cached_property
    def folder_regex(self) -> re.Pattern[str]:
        """Matches any file in the folder this pattern's files live in."""
        folder = self.pattern.rpartition("/")[0]
        prefix = ExportFile(self.table, folder).regex.pattern[:-1] + "/" if folder else ""
        return re.compile(prefix + r"[^/]+$")

    @property
    def example(self) -> str:
        """How the file is named, for a person: `pulls.json, pulls-2.json, ...`."""
        name = self.pattern.rpartition("/")[2]
        name = _PLACEHOLDER.sub(lambda m: "" if m.group(1) == "page" else f"<{m.group(1)}>", name)
        if "{page}" in self.pattern:
            stem, dot, ext = name.rpartition(".")
            return f"{name}, {stem}-2{dot}{ext}, ..."
        return name

    def parent_of(self, value: Any) -> int | str | None:
        """The parent a file name or bundle line names, or None if it is not one: a whole
        number, or a commit sha (7 to 40 hex digits, kept in lower case)."""
        if self.parent_kind == "sha":
            text = value.strip().lower() if isinstance(value, str) else ""
            return text if _SHA.fullmatch(text) else None
        number = integer_or_none(value)
        return number if number is not None and number >= 0 else None


_SHA = re.compile(r"[0-9a-f]{7,40}")

# --- the source ---------------------------------------------------------------------------------

RowMapper = Callable[[str, dict[str, Any], Mapping[str, Any]], dict[str, Any]]


@dataclass(frozen=True)
class Source:
    """Everything Stature knows about one source system, declared in its own package."""

    name: str
    tables: tuple[RawTable, ...]
    files: tuple[ExportFile, ...]
    # (table, record, context) -> the row's key columns; raises RecordError for a bad record.
    row: RowMapper
    # Python module with `pull(pull)` for API mode (imported only when pulling); None: the
    # source is read from files (catalog, inputs) in both modes.
    api: str | None = None
    # A source read from files: Python module with `pull(pull)` that adds, in API mode, the
    # earlier versions of those files (the catalog's git history); None: nothing more.
    file_history: str | None = None
    auth: str | None = None  # the auth scheme of ingestion.http.credentials
    # Placeholders naming the folder a record belongs to (`owner`, `repo`), and the check that
    # the folder is wanted: returns why it is not, or None. Used by GitHub's known repos.
    scope: tuple[str, ...] = ()
    admit: Callable[[str, set[str]], str | None] | None = None
    # Records that are not this table's and are skipped, not rejected (a label to count them).
    skip: Callable[[str, dict[str, Any]], str | None] | None = None
    # Natural keys must be unique across the whole export (catalog entities, input measures):
    # a second record with the same key is rejected naming both places.
    unique_keys: bool = False

    def table(self, name: str) -> RawTable:
        for table in self.tables:
            if table.name == name:
                return table
        raise KeyError(f"{self.name} has no raw table {name!r}")
