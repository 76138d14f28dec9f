"""Land raw rows in the warehouse: one schema (`raw_<source>`) per source, written by DuckDB in
one transaction, and a check that what landed is exactly what this run read.

Every table is merged on its natural key, so landing the same pages twice changes nothing;
every declared table is created even when a source has no data, so the dbt sources always
resolve. Rejected records land in `raw_<source>._rejected`, and the export files read in
`raw_meta.export_files` (the manifest that lets the next run skip unchanged files).

Rows go in as Arrow batches through DuckDB rather than through dlt's extract, normalize and
load: those stages cost per record in Python, and with fixed columns and the record kept whole
in `payload` there is no schema to evolve. Two runs never land the same source at once (a lock
file under `dlt/` beside the warehouse, released by the system if a process dies), and load
packages that an earlier version's dlt landing left in that folder when it was killed are
discarded at the start, so they can never be loaded in place of newer data. A landing that
fails rolls back: none of its tables, rejections or manifest rows change.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Any

import dlt

from ingestion import raw_writer
from ingestion.export import ReadLog, Rejected
from ingestion.manifest import Manifest
from ingestion.registry import source as source_spec
from ingestion.spec import RawTable

log = logging.getLogger(__name__)

BATCH = 5_000  # rows per item of a dlt resource
LOCK_WAIT_SECONDS = 600.0  # how long a run waits for another one landing the same source
Progress = Callable[[str, str, int], None]  # (source, table, rows so far)


class LandingError(Exception):
    """The rows read were not (all) landed; the message says what happened."""


@dataclass
class SourceReport:
    source: str
    rows: dict[str, int] = field(default_factory=dict)  # rows landed by this run, per table
    rejected: list[Rejected] = field(default_factory=list)
    skipped: dict[str, int] = field(default_factory=dict)
    error: str | None = None
    seconds: float = 0.0
    discarded: list[str] = field(default_factory=list)  # load ids of leftover packages
    unchanged: int = 0  # export files not read: the manifest says they were landed as they are

    @property
    def ok(self) -> bool:
        return self.error is None and not self.rejected


@dataclass
class IngestReport:
    sources: dict[str, SourceReport] = field(default_factory=dict)

    @property
    def rejected(self) -> list[Rejected]:
        return [r for s in self.sources.values() for r in s.rejected]

    @property
    def failed_sources(self) -> list[str]:
        return [name for name, s in self.sources.items() if s.error]

    @property
    def ok(self) -> bool:
        return not self.rejected and not self.failed_sources

    def lines(self) -> list[str]:
        out = []
        for name, s in self.sources.items():
            parts = [f"{name}: {sum(s.rows.values())} rows"]
            if s.rows:
                parts.append("(" + ", ".join(f"{t} {n}" for t, n in s.rows.items() if n) + ")")
            if s.unchanged:
                parts.append(f"{s.unchanged} unchanged file(s) not read")
            if s.skipped:
                parts.append("skipped " + ", ".join(f"{n} {w}" for w, n in s.skipped.items()))
            if s.rejected:
                parts.append(f"REJECTED {len(s.rejected)}")
            if s.error:
                parts.append(f"FAILED: {s.error}")
            out.append(" ".join(parts))
        for r in self.rejected:
            key = f" [{r.record_key}]" if r.record_key else ""
            out.append(f"  rejected {r.source}: {r.file}{key}: {r.reason}")
        return out


# --- dlt resources ------------------------------------------------------------------------------


def _hints(columns: dict[str, str], primary_key: Iterable[str]) -> dict[str, dict[str, Any]]:
    keys = set(primary_key)
    return {
        name: {"data_type": dtype, "nullable": name not in keys} for name, dtype in columns.items()
    }


def _batched(rows: Iterable[dict[str, Any]], size: int = BATCH) -> Iterator[list[dict[str, Any]]]:
    iterator = iter(rows)
    while chunk := list(islice(iterator, size)):
        yield chunk


def _table_resource(
    table: RawTable,
    rows: Iterable[dict[str, Any]],
    counts: dict[str, int],
    progress: Progress | None,
) -> Any:
    def produce() -> Iterator[Any]:
        yield dlt.mark.materialize_table_schema()
        counts[table.name] = 0
        for chunk in _batched(rows):
            counts[table.name] += len(chunk)
            if progress:
                progress(table.source, table.name, counts[table.name])
            yield chunk

    return dlt.resource(
        produce,
        name=table.name,
        primary_key=list(table.primary_key),
        write_disposition="merge",
        columns=_hints(table.all_columns, table.primary_key),
        max_table_nesting=0,
    )


def _pipelines_dir(warehouse: Path) -> Path:
    return warehouse.parent / "dlt"


def pipeline_for(source: str, warehouse: Path) -> dlt.Pipeline:
    return dlt.pipeline(
        pipeline_name=f"stature_{source}",
        destination=dlt.destinations.duckdb(str(warehouse)),
        dataset_name=f"raw_{source}",
        pipelines_dir=str(_pipelines_dir(warehouse)),
    )


# --- one landing at a time, and nothing left over -----------------------------------------------


@contextlib.contextmanager
def _exclusive(warehouse: Path, source: str) -> Iterator[None]:
    """Hold the source's lock file (`dlt/stature_<source>.lock` beside the warehouse): a
    second run landing the same source waits for the first, so neither sees the other's
    packages as leftovers. The OS drops the lock of a killed process."""
    wait = LOCK_WAIT_SECONDS
    lock_path = _pipelines_dir(warehouse) / f"stature_{source}.lock"
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with lock_path.open("a") as handle:
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise LandingError(
                        f"another run has been landing raw_{source} for more than "
                        f"{wait:.0f} s (lock {lock_path}): let it finish, then run again"
                    ) from None
                time.sleep(0.2)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _discard_old_packages(source: str, warehouse: Path) -> list[str]:
    """Discard what an earlier version's dlt landing left; without its pipeline folder there
    is nothing to discard, and setting up a dlt pipeline (a third of a second) is skipped."""
    if not (_pipelines_dir(warehouse) / f"stature_{source}").is_dir():
        return []
    return discard_leftovers(pipeline_for(source, warehouse))


def discard_leftovers(pipeline: dlt.Pipeline, why: str = "left by an interrupted run") -> list[str]:
    """Abort the load packages an interrupted run left behind (extracted or normalized, not
    loaded); returns their load ids. Without this, dlt would load them instead of the data
    this run passes it, and say nothing."""
    leftovers = [
        *pipeline.list_extracted_load_packages(),
        *pipeline.list_normalized_load_packages(),
    ]
    if not leftovers:
        return []
    log.warning(
        "%s: discarding %d load package(s) %s (%s); this run lands what it reads itself",
        pipeline.dataset_name,
        len(leftovers),
        why,
        ", ".join(leftovers),
    )
    pipeline.abort_packages()
    still = [*pipeline.list_extracted_load_packages(), *pipeline.list_normalized_load_packages()]
    if still:
        raise LandingError(
            f"could not discard the load packages {', '.join(still)} left in "
            f"{pipeline.working_dir}: delete that folder and run again"
        )
    return leftovers


# --- land ---------------------------------------------------------------------------------------


def _write(
    warehouse: Path,
    source: str,
    rows_of: Callable[[str], Iterable[dict[str, Any]]],
    read_log: ReadLog,
    manifest: Manifest | None,
    progress: Progress | None,
) -> dict[str, int]:
    """Read and write every table of `source`, its rejections and its manifest rows in one
    DuckDB transaction; returns the rows read per table (all landed, or an exception)."""
    tables = source_spec(source).tables
    load = raw_writer.load_id()

    def on_batch(table: str, n: int) -> None:
        if progress:
            progress(source, table, n)

    con = raw_writer.connect(warehouse)
    try:
        con.execute("begin transaction")
        read = raw_writer.write_tables(
            con,
            [(raw_writer.Target.of(t), rows_of(t.name)) for t in tables],
            load=load,
            on_batch=on_batch,
        )
        # Rejections are known only once every table was read.
        schema = f"raw_{source}"
        rejected = [r.as_row() for r in read_log.rejected]
        raw_writer.write_tables(con, [(raw_writer.Target.rejected(schema), rejected)], load=load)
        if manifest is not None:
            manifest.save(con, load_id=load, rejected_files={r.file for r in read_log.rejected})
        con.execute("commit")
    except BaseException:
        with contextlib.suppress(Exception):
            con.execute("rollback")
        raise
    finally:
        con.close()
    return read


def land(
    source: str,
    warehouse: Path,
    rows_of: Callable[[str], Iterable[dict[str, Any]]],
    read_log: ReadLog,
    *,
    progress: Progress | None = None,
    manifest: Manifest | None = None,
) -> SourceReport:
    """Land every table of `source` (rows from `rows_of(table)`), then its rejections, and
    the manifest of the export files read (if given)."""
    report = SourceReport(source)
    started = time.monotonic()
    warehouse = Path(warehouse).resolve()
    warehouse.parent.mkdir(parents=True, exist_ok=True)
    try:
        with _exclusive(warehouse, source):
            report.discarded = _discard_old_packages(source, warehouse)
            report.rows = _write(warehouse, source, rows_of, read_log, manifest, progress)
    except Exception as exc:  # one broken source never takes the others down
        log.exception("landing of %s failed", source)
        report.error = f"{type(exc).__name__}: {exc}"
        report.rows = {}
    report.rejected = list(read_log.rejected)
    report.skipped = dict(read_log.skipped)
    report.unchanged = manifest.unchanged if manifest is not None else 0
    report.seconds = time.monotonic() - started
    return report
