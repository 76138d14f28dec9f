"""Land raw rows in the warehouse through dlt: one pipeline (dataset `raw_<source>`) per source,
and a check that what landed is exactly what this run read.

Every table is merged on its natural key, so landing the same pages twice changes nothing;
every declared table is created even when a source has no data, so the dbt sources always
resolve. Rejected records land in `raw_<source>._rejected`.

A run never lands someone else's data: load packages left in dlt's working folder by a run that
was killed (or failed) between extract and load are discarded at the start, under a lock that
keeps two runs from landing the same source at once. The run then extracts, normalizes and
loads its own package and checks that the package loaded, that no job failed, and that each
table got the rows the reader produced; otherwise the source is reported as failed.
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

from ingestion.export import ReadLog, Rejected
from ingestion.registry import source as source_spec
from ingestion.spec import REJECTED_COLUMNS, REJECTED_KEY, REJECTED_TABLE, RawTable

log = logging.getLogger(__name__)

BATCH = 5_000
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


def _rejected_resource(rejected: list[Rejected]) -> Any:
    def produce() -> Iterator[Any]:
        yield dlt.mark.materialize_table_schema()
        if rejected:
            yield [r.as_row() for r in rejected]

    return dlt.resource(
        produce,
        name=REJECTED_TABLE,
        primary_key=list(REJECTED_KEY),
        write_disposition="merge",
        columns=_hints(REJECTED_COLUMNS, REJECTED_KEY),
    )


def pipeline_for(source: str, warehouse: Path) -> dlt.Pipeline:
    return dlt.pipeline(
        pipeline_name=f"stature_{source}",
        destination=dlt.destinations.duckdb(str(warehouse)),
        dataset_name=f"raw_{source}",
        pipelines_dir=str(warehouse.parent / "dlt"),
    )


# --- one landing at a time, and nothing left over -----------------------------------------------


@contextlib.contextmanager
def _exclusive(pipeline: dlt.Pipeline) -> Iterator[None]:
    """Hold the pipeline's lock file: a second run landing the same source waits for the
    first, so neither sees the other's packages as leftovers. The OS drops the lock of a
    killed process."""
    wait = LOCK_WAIT_SECONDS
    lock_path = Path(pipeline.pipelines_dir) / f"{pipeline.pipeline_name}.lock"
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
                        f"another run has been landing {pipeline.dataset_name} for more than "
                        f"{wait:.0f} s (lock {lock_path}): let it finish, then run again"
                    ) from None
                time.sleep(0.2)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


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


def _land(
    pipeline: dlt.Pipeline,
    tables: tuple[RawTable, ...],
    rows_of: Callable[[str], Iterable[dict[str, Any]]],
    read_log: ReadLog,
    produced: dict[str, int],
    progress: Progress | None,
) -> dict[str, int]:
    """Extract, normalize and load this run's rows; returns the rows landed per table."""
    resources = [_table_resource(t, rows_of(t.name), produced, progress) for t in tables]
    extracted = list(pipeline.extract(resources, loader_file_format="parquet").loads_ids)
    normalized = dict(pipeline.normalize().row_counts)
    # Rejections are known only once every table was read: they are a second package.
    extracted += pipeline.extract([_rejected_resource(read_log.rejected)]).loads_ids
    normalized.update(pipeline.normalize().row_counts)
    info = pipeline.load()
    failed = [
        f"{job.job_file_info.table_name}: {job.failed_message}"
        for package in info.load_packages
        for job in package.jobs.get("failed_jobs", [])
    ]
    if failed:
        raise LandingError("dlt could not load " + "; ".join(failed))
    missing = set(extracted) - set(info.loads_ids)
    if missing:
        raise LandingError(f"load package(s) {', '.join(sorted(missing))} were not loaded")
    expected = {**produced, REJECTED_TABLE: len(read_log.rejected)}
    for name, count in expected.items():
        if normalized.get(name, 0) != count:
            raise LandingError(
                f"{name}: read {count} rows but dlt prepared {normalized.get(name, 0)} for loading"
            )
    return {t.name: normalized.get(t.name, 0) for t in tables}


def land(
    source: str,
    warehouse: Path,
    rows_of: Callable[[str], Iterable[dict[str, Any]]],
    read_log: ReadLog,
    *,
    progress: Progress | None = None,
) -> SourceReport:
    """Land every table of `source` (rows from `rows_of(table)`), then its rejections."""
    report = SourceReport(source)
    started = time.monotonic()
    warehouse = Path(warehouse).resolve()
    warehouse.parent.mkdir(parents=True, exist_ok=True)
    pipeline = pipeline_for(source, warehouse)
    produced: dict[str, int] = {}
    try:
        with _exclusive(pipeline):
            report.discarded = discard_leftovers(pipeline)
            # As `pipeline.run` would: take the destination's state and schemas, or start
            # afresh for a new warehouse (several warehouses may share one working folder).
            pipeline.sync_destination()
            try:
                report.rows = _land(
                    pipeline, source_spec(source).tables, rows_of, read_log, produced, progress
                )
            except Exception:
                # What this run extracted but did not load must not wait for the next run.
                with contextlib.suppress(Exception):
                    discard_leftovers(pipeline, "this landing could not load")
                raise
    except Exception as exc:  # one broken source never takes the others down
        log.exception("landing of %s failed", source)
        report.error = f"{type(exc).__name__}: {exc}"
        report.rows = {name: 0 for name in produced}
    report.rejected = list(read_log.rejected)
    report.skipped = dict(read_log.skipped)
    report.seconds = time.monotonic() - started
    return report
