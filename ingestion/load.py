"""Land raw rows in the warehouse through dlt: one pipeline (dataset `raw_<source>`) per source.

Every table is merged on its natural key, so loading the same pages twice changes nothing;
every declared table is created even when a source has no data, so the dbt sources always
resolve. Rejected records land in `raw_<source>._rejected`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Any

import dlt

from ingestion.export import ExportReader, ReadLog, Rejected
from ingestion.tables import REJECTED_COLUMNS, REJECTED_KEY, SOURCES, RawTable, tables_of

log = logging.getLogger(__name__)

BATCH = 5_000
Progress = Callable[[str, str, int], None]  # (source, table, rows so far)


@dataclass
class SourceReport:
    source: str
    rows: dict[str, int] = field(default_factory=dict)
    rejected: list[Rejected] = field(default_factory=list)
    skipped: dict[str, int] = field(default_factory=dict)
    error: str | None = None
    seconds: float = 0.0

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
            total = sum(s.rows.values())
            parts = [f"{name}: {total} rows"]
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
        name="_rejected",
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


def load_source(
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
    pipeline = pipeline_for(source, warehouse)
    resources = [
        _table_resource(table, rows_of(table.name), report.rows, progress)
        for table in tables_of(source)
    ]
    try:
        pipeline.run(resources, loader_file_format="parquet")
        # Rejections are known only once every table was read: land them in a second step.
        pipeline.run([_rejected_resource(read_log.rejected)])
    except Exception as exc:  # one broken source never takes the others down
        log.exception("ingestion of %s failed", source)
        report.error = f"{type(exc).__name__}: {exc}"
    report.rejected = list(read_log.rejected)
    report.skipped = dict(read_log.skipped)
    report.seconds = time.monotonic() - started
    return report


def ingest_export(
    export_dir: str | Path,
    warehouse: str | Path,
    *,
    known_repos: Iterable[str] = (),
    sources: Iterable[str] | None = None,
    progress: Progress | None = None,
) -> IngestReport:
    """Read an export directory and land every source in it (and empty tables for the rest)."""
    warehouse = Path(warehouse).resolve()
    warehouse.parent.mkdir(parents=True, exist_ok=True)
    reader = ExportReader(export_dir, known_repos=known_repos)
    wanted = list(sources) if sources is not None else list(SOURCES)
    report = IngestReport()
    for source in wanted:
        report.sources[source] = load_source(
            source,
            warehouse,
            lambda table, s=source: reader.rows(s, table),
            reader.logs[source],
            progress=progress,
        )
    return report
