"""API mode: pull a source from its live API, incrementally, and land it like an export.

Each source's `api.py` asks for the pages (with `ingestion.http.Client`) and writes them in the
export layout (a temporary folder, or `save_export`); they are then landed with the export
reader through `landing.land`, so the raw tables are export mode's by construction. Rows name
the API endpoint they came from (`source_file`), rejections the page URL. Cursors
(`ingestion.cursors`) move only after the landing succeeded, and only for streams pulled
completely, so a failure never loses a record and a re-run never adds one.

A stream that fails (5xx or timeouts after every retry, a repo that is gone) is reported and
the others go on; a refused token or a rate limit too long to wait stops the source. Either
way what was pulled lands, the source is reported as failed, and the other sources run.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import glob
import importlib
import logging
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ingestion.cursors import Cursors, load_cursors, save_cursors
from ingestion.export import ExportReader, ReadLog, Rejected
from ingestion.http import ApiError, Client, Page, Redactor, RetryPolicy, credentials
from ingestion.landing import Progress, SourceReport, land
from ingestion.records import timestamp_or_none
from ingestion.registry import source as source_spec
from ingestion.save_export import ExportWriter

log = logging.getLogger(__name__)

PROGRESS_LOG_SECONDS = 10.0


@dataclass
class ApiSettings:
    """What a test (or an impatient user) may change about how pulls behave."""

    policy: RetryPolicy = field(default_factory=RetryPolicy)
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.time
    env: Mapping[str, str] | None = None  # default: os.environ
    per_page: int | None = None  # default: the source's config, else 100
    full_refresh: bool = False  # ignore the stored cursors
    history_days: int | None = None  # first pull of PagerDuty: its default otherwise


# --- time values in API objects -----------------------------------------------------------------


def parse_time(value: Any) -> dt.datetime | None:
    return timestamp_or_none(value) if isinstance(value, str) else None


def later(a: str | None, b: Any) -> str | None:
    """The later of two ISO timestamps; a missing or unreadable one is ignored (the reader
    rejects that record with its reason)."""
    if parse_time(b) is None:
        return a
    if a is None or parse_time(a) is None:
        return b
    return b if parse_time(b) > parse_time(a) else a  # type: ignore[operator]


def older(value: Any, than: dt.datetime | None) -> bool:
    moment = parse_time(value)
    return than is not None and moment is not None and moment < than


def iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def as_int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


# --- one pull -----------------------------------------------------------------------------------


class Stop(Exception):
    """A fatal error: the source stops pulling (what was pulled still lands)."""


@dataclass
class Pull:
    """One source's pull in progress: what a source's `api.py` works with."""

    source: str
    config: Any
    writer: ExportWriter
    cursors: Cursors
    redact: Redactor
    settings: ApiSettings
    progress: Progress | None
    client: Client | None = None
    rejected: list[Rejected] = field(default_factory=list)
    skipped: dict[str, int] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    repos: list[str] = field(default_factory=list)  # GitHub: the repos it pulled
    stream_counts: dict[str, int] = field(default_factory=dict)
    _current: str = ""
    _last_log: float = 0.0

    @property
    def api(self) -> Client:
        if self.client is None:
            raise RuntimeError(f"{self.source} has no HTTP client")
        return self.client

    @property
    def section(self) -> Any:
        return getattr(self.config.sources, self.source)

    @property
    def now(self) -> dt.datetime:
        return dt.datetime.fromtimestamp(self.settings.clock(), tz=dt.UTC)

    def count(self, table: str, n: int, where: str = "") -> None:
        total = self.counts[table] = self.counts.get(table, 0) + n
        if self._current:
            self.stream_counts[self._current] = self.stream_counts.get(self._current, 0) + n
        if self.progress:
            self.progress(self.source, f"{table} (pulled)", total)
        moment = time.monotonic()
        if moment - self._last_log >= PROGRESS_LOG_SECONDS:
            self._last_log = moment
            log.info("%s.%s: %d records pulled so far%s", self.source, table, total, where)

    def reject_page(self, page: Page, why: str) -> None:
        self.rejected.append(
            Rejected(
                self.source,
                page.url,
                None,
                f"GET {page.url}: {why}; the page was skipped and the next run asks for it again",
            )
        )

    def skip(self, what: str, n: int = 1) -> None:
        self.skipped[what] = self.skipped.get(what, 0) + n

    @contextlib.contextmanager
    def stream(self, name: str) -> Iterator[None]:
        """Run one stream; a non-fatal failure is reported, its cursor kept, the next goes on."""
        self._current = name
        try:
            yield
            if name in self.cursors.pending:
                value, _ = self.cursors.pending[name]
                self.cursors.pending[name] = (value, self.stream_counts.get(name, 0))
        except ApiError as exc:
            self.cursors.fail(name)
            self.errors.append(self.redact(str(exc)))
            log.warning("%s", self.redact(str(exc)))
            if exc.fatal:
                raise Stop() from None
        finally:
            self._current = ""

    def items(self, page: Page, wrapper: str | None, stream: str) -> list[Any] | None:
        """The objects of a page, or None (rejected, stream marked incomplete)."""
        if page.error:
            self.reject_page(page, page.error)
            self.cursors.fail(stream)
            return None
        body = page.body
        if wrapper is not None and isinstance(body, dict):
            body = body.get(wrapper)
        if not isinstance(body, list):
            expected = f"an object with a '{wrapper}' list" if wrapper else "a JSON list"
            self.reject_page(page, f"expected {expected}")
            self.cursors.fail(stream)
            return None
        return body


# --- catalog and inputs: files named in the config ----------------------------------------------


def configured_paths(config: Any, source: str) -> list[Path]:
    """The files `sources.<source>.paths` matches (globs relative to the config's folder)."""
    section = getattr(config.sources, source, None)
    if section is None:
        return []
    found: dict[Path, None] = {}
    for pattern in section.paths:
        absolute = config.resolve(pattern)
        for match in sorted(glob.glob(str(absolute), recursive=True)):
            if Path(match).is_file():
                found.setdefault(Path(match).resolve(), None)
    return list(found)


def copy_files(pull: Pull) -> None:
    """Copy the configured catalog / inputs files into the layout; rows name the original."""
    base = Path(pull.config.base_dir).resolve()
    paths = configured_paths(pull.config, pull.source)
    if not paths:
        log.warning("%s: sources.%s.paths match no file", pull.source, pull.source)
    taken: set[str] = set()
    for path in paths:
        try:
            origin = path.relative_to(base).as_posix()
        except ValueError:
            origin = path.as_posix()
        rel = f"{pull.source}/{path.name}"
        if rel in taken:  # same name from two folders: keep both
            rel = f"{pull.source}/{origin.replace('/', '__').lstrip('_')}"
        taken.add(rel)
        pull.writer.copy(path, rel, origin=origin)
        pull.count("files", 1)


# --- the entry point ----------------------------------------------------------------------------


def _client(pull: Pull, api: Any) -> Client:
    src, section, settings = source_spec(pull.source), pull.section, pull.settings
    env = settings.env if settings.env is not None else os.environ
    creds = credentials(src.auth or "", env, section.token_env, getattr(section, "user_env", None))
    if creds.missing:
        log.warning(
            "%s: %s not set: pulling without credentials (a private server answers 401)",
            pull.source,
            " and ".join(creds.missing),
        )
    if not section.base_url:
        raise ApiError(f"{pull.source}: sources.{pull.source}.base_url is empty: set its URL")
    return Client(
        pull.source,
        section.base_url,
        creds,
        redact=pull.redact,
        headers=getattr(api, "HEADERS", None),
        policy=settings.policy,
        sleep=settings.sleep,
        clock=settings.clock,
    )


def _run(pull: Pull) -> None:
    """Pull with the source's `api.py` (or copy its files); errors go to `pull.errors`."""
    src = source_spec(pull.source)
    try:
        if src.api is None:
            copy_files(pull)
            if src.file_history is not None:
                importlib.import_module(src.file_history).pull(pull)
            return
        api = importlib.import_module(src.api)
        pull.client = _client(pull, api)
        api.pull(pull)
    except Stop:
        pass
    except ApiError as exc:
        pull.errors.append(pull.redact(str(exc)))
    except Exception as exc:  # a bug must not leak a token through its message
        log.error("%s: pull failed: %s", pull.source, pull.redact(f"{type(exc).__name__}: {exc}"))
        pull.errors.append(pull.redact(f"{type(exc).__name__}: {exc}"))
    if pull.client is not None:
        log.info(
            "%s: %d requests, %.0f s waited for rate limits and retries",
            pull.source,
            pull.client.requests,
            pull.client.waited,
        )


def pull_source(
    source: str,
    config: Any,
    warehouse: str | Path,
    *,
    progress: Progress | None = None,
    save_export: Path | None = None,
    settings: ApiSettings | None = None,
) -> SourceReport:
    """Pull `source` from its API (or its configured files), land it, advance its cursors.

    `save_export`: also keep what was pulled in the export layout under that directory (its
    `<source>/` folder must be new or empty), to replay later with `--export-dir`.
    """
    src = source_spec(source)
    warehouse = Path(warehouse).resolve()
    warehouse.parent.mkdir(parents=True, exist_ok=True)
    settings = settings or ApiSettings()
    redact = Redactor()
    started = time.monotonic()
    section = getattr(config.sources, source, None)
    server = "files" if src.api is None else str(getattr(section, "base_url", ""))
    spool: Path | None = None
    if save_export is not None:
        writer = ExportWriter.for_source(
            Path(save_export), source, must_be_empty=True, scrub=redact.known
        )
    else:
        spool = Path(tempfile.mkdtemp(prefix=f"pull-{source}-", dir=warehouse.parent))
        writer = ExportWriter(spool, redact.known)
    try:
        cursors = load_cursors(warehouse, source, redact(server), full=settings.full_refresh)
        pull = Pull(source, config, writer, cursors, redact, settings, progress)
        if section is not None:
            _run(pull)
        report = _land(pull, warehouse, progress)
        if report.error is None:  # cursors move only past rows that landed
            try:
                save_cursors(warehouse, cursors, redact=redact)
            except Exception as exc:  # the rows landed; the next run re-asks: nothing lost
                pull.errors.append(redact(f"{source}: cursors not saved: {exc}"))
        errors = ([report.error] if report.error else []) + pull.errors
        report.error = redact("; ".join(errors)) if errors else None
        report.seconds = time.monotonic() - started
        return report
    finally:
        if spool is not None:
            shutil.rmtree(spool, ignore_errors=True)


class _UrlRejections(list):
    """The reader's rejections, renamed from the spooled file to the API page it came from."""

    def __init__(self, writer: ExportWriter) -> None:
        super().__init__()
        self.writer = writer

    def append(self, item: Rejected) -> None:
        super().append(replace(item, file=self.writer.url_of(item.file)))


def _provenance(rows: Iterator[dict[str, Any]], writer: ExportWriter) -> Iterator[dict[str, Any]]:
    """Rows name the endpoint they were pulled from, stable from run to run."""
    for row in rows:
        row["source_file"] = writer.endpoint_of(row["source_file"])
        yield row


def _land(pull: Pull, warehouse: Path, progress: Progress | None) -> SourceReport:
    """Land the pulled pages through the export reader and dlt, like an export directory."""
    source, writer = pull.source, pull.writer
    reader = ExportReader(writer.root, known_repos=pull.repos)
    read_log = ReadLog(rejected=_UrlRejections(writer))
    read_log.rejected.extend(pull.rejected)
    for what, n in pull.skipped.items():
        read_log.skip(what, n)
    for rejected in reader.logs[source].rejected:  # found while reading the catalog
        read_log.rejected.append(rejected)
    reader.logs[source] = read_log
    return land(
        source,
        warehouse,
        lambda table: _provenance(reader.rows(source, table), writer),
        read_log,
        progress=progress,
    )
