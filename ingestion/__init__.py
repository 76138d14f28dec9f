"""Ingestion: one package per source system (`ingestion/sources/<name>/`), listed in
`ingestion.registry`, landed through dlt into `raw_<source>` schemas from an export directory
or the live APIs; plus the sample-org generator.

What the orchestration layer calls (imported on first use, so `import ingestion` stays cheap):

- `ingest_source(source, export_dir, warehouse, *, known_repos=(), progress=None, limits=None)`
- `ingest_export(export_dir, warehouse, *, known_repos=(), sources=None, progress=None,
  limits=None)`
- `land_empty(source, warehouse, *, progress=None)`
- `pull_source(source, config, warehouse, *, progress=None, save_export=None, settings=None)`
  (`settings`: an `ApiSettings`, whose `RetryPolicy` sets per-request retries and backoff)
- `SOURCES`, `RAW_TABLES`, `tables_of(source)`, `source(name)` (the registry)

Each returns a `SourceReport` (`IngestReport` for `ingest_export`): rows landed per table,
rejections, skips, the error if the source failed.
"""

import importlib
import os
from typing import Any

# dlt reports usage to an outside server by default; Stature runs offline and never phones home.
os.environ.setdefault("RUNTIME__DLTHUB_TELEMETRY", "false")

_PUBLIC = {
    "ingest_source": "ingestion.ingest",
    "ingest_export": "ingestion.ingest",
    "land_empty": "ingestion.ingest",
    "pull_source": "ingestion.pulling",
    "ApiSettings": "ingestion.pulling",
    "RetryPolicy": "ingestion.http",
    "SourceReport": "ingestion.landing",
    "IngestReport": "ingestion.landing",
    "Limits": "ingestion.files",
    "SOURCES": "ingestion.registry",
    "RAW_TABLES": "ingestion.registry",
    "tables_of": "ingestion.registry",
    "source": "ingestion.registry",
}
__all__ = sorted(_PUBLIC)


def __getattr__(name: str) -> Any:
    if name in _PUBLIC:
        return getattr(importlib.import_module(_PUBLIC[name]), name)
    raise AttributeError(f"module 'ingestion' has no attribute {name!r}")
