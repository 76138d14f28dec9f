"""Export mode's entry points: land one source, or all of them, from an export directory; land
empty tables for a source that has nothing to read."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from ingestion import registry
from ingestion.export import ExportReader, ReadLog
from ingestion.files import Limits
from ingestion.landing import IngestReport, Progress, SourceReport, land
from ingestion.manifest import Manifest


def ingest_source(
    source: str,
    export_dir: str | Path,
    warehouse: str | Path,
    *,
    known_repos: Iterable[str] = (),
    progress: Progress | None = None,
    limits: Limits | None = None,
    full_refresh: bool = False,
) -> SourceReport:
    """Read `source`'s folder of an export directory and land it (empty tables if absent).
    Files the manifest says were landed as they are now are not read, unless `full_refresh`."""
    manifest = Manifest.load(Path(warehouse), source, full=full_refresh)
    reader = ExportReader(
        export_dir, known_repos=known_repos, limits=limits, manifests={source: manifest}
    )
    return land(
        source,
        Path(warehouse),
        lambda table: reader.rows(source, table),
        reader.logs[source],
        progress=progress,
        manifest=manifest,
    )


def land_empty(
    source: str, warehouse: str | Path, *, progress: Progress | None = None
) -> SourceReport:
    """Create `source`'s raw tables without rows, so the models resolve."""
    return land(source, Path(warehouse), lambda table: [], ReadLog(), progress=progress)


def ingest_export(
    export_dir: str | Path,
    warehouse: str | Path,
    *,
    known_repos: Iterable[str] = (),
    sources: Iterable[str] | None = None,
    progress: Progress | None = None,
    limits: Limits | None = None,
    full_refresh: bool = False,
) -> IngestReport:
    """Read an export directory and land every source in it (and empty tables for the rest);
    unchanged files are not read again unless `full_refresh`."""
    names = list(sources) if sources is not None else registry.SOURCES
    manifests = {s: Manifest.load(Path(warehouse), s, full=full_refresh) for s in names}
    reader = ExportReader(export_dir, known_repos=known_repos, limits=limits, manifests=manifests)
    report = IngestReport()
    for source in names:
        report.sources[source] = land(
            source,
            Path(warehouse),
            lambda table, s=source: reader.rows(s, table),
            reader.logs[source],
            progress=progress,
            manifest=manifests[source],
        )
    return report
