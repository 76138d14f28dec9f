"""Ingestion assets: one multi-asset per source system, one asset per raw table.

Keys are `raw_<source>/<table>`, the same as the dbt sources, so dagster-dbt links the models
downstream. In export mode (an export directory is set) the files are read; otherwise a
configured source is pulled from its API, and an unconfigured one lands empty tables so the
models always resolve. Rejected records never fail the step: they are counted in the
materialization metadata (`rejected`), the source's `raw_<source>/_rejected` asset carries a
check that fails when a landing set anything aside, and the run reports them. A source that
fails while pulling from its API is retried (operations.ingest_retries), with a growing wait.
"""

# No `from __future__ import annotations` here: Dagster checks the type object of the
# `context` annotation, and a string annotation fails that check.
import re
import time
from pathlib import Path

import dagster as dg
from dagster import AssetExecutionContext

from dagster_project.defs.resources import StatureResource, run_as_of
from ingestion import SourceReport, ingest_source, land_empty
from ingestion.registry import SOURCES, tables_of
from ingestion.spec import REJECTED_TABLE

GROUP = "ingestion"
PROGRESS_EVERY_SECONDS = 10.0


def _known_repos(stature: StatureResource) -> list[str]:
    github = stature.load().sources.github
    return list(github.repos) if github else []


def _ingest(context: AssetExecutionContext, stature: StatureResource, source: str) -> SourceReport:
    last_report: dict[str, float] = {}

    def progress(src: str, table: str, n: int) -> None:
        # Long pulls say how far they are, at most every 10 s per table.
        now = time.monotonic()
        if now - last_report.get(table, 0.0) >= PROGRESS_EVERY_SECONDS:
            last_report[table] = now
            context.log.info(f"{src}.{table}: {n} records so far")

    report = _land(context, stature, source, progress)
    if source == "catalog" and report.rows:  # landed (the git history may have failed)
        _record_catalog(context, stature)
    return report


def _record_catalog(context: AssetExecutionContext, stature: StatureResource) -> None:
    """Add the catalog just landed to its history, as of the run's date. A failure here costs
    that day's history entry, not the run: it is logged and the rest goes on."""
    from ingestion.catalog_history import record_catalog

    config = stature.load()
    as_of = run_as_of(context, config)
    try:
        added = record_catalog(stature.warehouse_path(config), as_of)
    except Exception as exc:
        context.log.error(f"catalog history not recorded for {as_of}: {type(exc).__name__}: {exc}")
        return
    context.log.info(f"catalog history: {added} version(s) recorded as of {as_of}")


def _land(
    context: AssetExecutionContext, stature: StatureResource, source: str, progress
) -> SourceReport:
    config = stature.load()
    warehouse = stature.warehouse_path(config)
    export_dir = stature.export_path(config)
    if export_dir is not None:
        context.log.info(f"{source}: reading export directory {export_dir}")
        return ingest_source(
            source,
            export_dir,
            warehouse,
            known_repos=_known_repos(stature),
            progress=progress,
            full_refresh=stature.full_refresh,
        )
    if getattr(config.sources, source, None) is not None:
        from ingestion import ApiSettings, RetryPolicy, pull_source  # API mode only

        ops = config.operations
        policy = RetryPolicy(
            attempts=ops.api_request_attempts, backoff_seconds=ops.api_backoff_seconds
        )

        save = Path(stature.save_export_dir).resolve() if stature.save_export_dir else None
        return pull_source(
            source,
            config,
            warehouse,
            progress=progress,
            save_export=save,
            settings=ApiSettings(policy=policy, full_refresh=stature.full_refresh),
        )
    context.log.info(f"{source}: no export directory and not configured: empty tables only")
    return land_empty(source, warehouse, progress=progress)


NO_NEW_REJECTIONS = "no_new_rejections"
# "<source>: 401 Unauthorized for GET ...": an HTTP 4xx other than 429 (rate limited)
_CLIENT_ERROR = re.compile(r": 4(?!29)\d\d ")


def rejected_key(source: str) -> dg.AssetKey:
    return dg.AssetKey([f"raw_{source}", REJECTED_TABLE])


def _build(source: str) -> dg.AssetsDefinition:
    specs = [
        dg.AssetSpec(
            key=dg.AssetKey([table.schema, table.name]),
            description=table.description,
            group_name=GROUP,
            kinds={"dlt", "duckdb"},
            metadata={"natural_key": ", ".join(table.primary_key)},
            skippable=False,
        )
        for table in tables_of(source)
    ]
    specs.append(
        dg.AssetSpec(
            key=rejected_key(source),
            description=(
                f"Records and files of {source} set aside at landing (raw_{source}._rejected): "
                "source, file or page, record key, field, value and reason. Its check fails "
                "when a landing set anything aside."
            ),
            group_name=GROUP,
            kinds={"dlt", "duckdb"},
            skippable=False,
        )
    )

    @dg.multi_asset(
        name=f"ingest_{source}",
        specs=specs,
        check_specs=[
            dg.AssetCheckSpec(
                NO_NEW_REJECTIONS,
                asset=rejected_key(source),
                description=f"This landing of {source} set no record or file aside.",
            )
        ],
        description=f"Land {source} records in raw_{source} (export files or API).",
        # No retry policy: a source that failed in API mode asks for a retry itself (below);
        # an export directory reads the same every time, and a bug would only fail again.
    )
    def _asset(context: AssetExecutionContext, stature: StatureResource):
        report = _ingest(context, stature, source)
        for rejected in report.rejected:
            key = f" [{rejected.record_key}]" if rejected.record_key else ""
            context.log.warning(f"rejected {rejected.file}{key}: {rejected.reason}")
        if report.error:
            context.log.error(f"{source} failed: {report.error}")
            _retry_if_transient(context, stature, report.error)
        for table in tables_of(source):
            yield dg.MaterializeResult(
                asset_key=dg.AssetKey([table.schema, table.name]),
                metadata={
                    "rows_loaded": dg.MetadataValue.int(report.rows.get(table.name, 0)),
                    "rejected": dg.MetadataValue.int(len(report.rejected)),
                    "skipped": dg.MetadataValue.json(report.skipped),
                    "failed": dg.MetadataValue.text(report.error or ""),
                    "seconds": dg.MetadataValue.float(round(report.seconds, 2)),
                },
            )
        yield from _rejections(context, stature, source, report)

    return _asset


def _retry_if_transient(context: AssetExecutionContext, stature: StatureResource, error: str):
    """A source that failed while pulling from its API (a server down, a rate limit past
    what the client waits out; not a client error such as a refused token) is tried again,
    with a growing wait; export files are read
    the same every time, so an export failure is not retried. The last attempt lands what
    it can and the run goes on (the source is reported failed)."""
    config = stature.load()
    ops = config.operations
    if stature.export_path(config) is not None or context.retry_number >= ops.ingest_retries:
        return
    if _CLIENT_ERROR.search(error):
        return  # a refused token or a missing repository: asking again changes nothing
    wait = ops.ingest_retry_delay_seconds * 2**context.retry_number
    context.log.warning(
        f"retrying in {wait:g} s (attempt {context.retry_number + 2} of {ops.ingest_retries + 1})"
    )
    raise dg.RetryRequested(max_retries=ops.ingest_retries, seconds_to_wait=wait)


def _rejections(context, stature: StatureResource, source: str, report: SourceReport):
    """The `_rejected` table's materialization and its check: what this landing set aside."""
    from dagster_project.warehouse import connect, table_exists

    warehouse = stature.warehouse_path()
    total = 0
    if warehouse.exists():
        with connect(warehouse, read_only=True) as con:
            if table_exists(con, f"raw_{source}", REJECTED_TABLE):
                total = con.execute(
                    f'select count(*) from raw_{source}."{REJECTED_TABLE}"'
                ).fetchone()[0]
    rejected = report.rejected
    sample = "\n".join(
        f"{r.file}{f' [{r.record_key}]' if r.record_key else ''}: {r.reason}" for r in rejected[:20]
    )
    yield dg.MaterializeResult(
        asset_key=rejected_key(source),
        metadata={"rejected_this_run": len(rejected), "rows": total},
    )
    yield dg.AssetCheckResult(
        asset_key=rejected_key(source),
        check_name=NO_NEW_REJECTIONS,
        passed=not rejected,
        severity=dg.AssetCheckSeverity.WARN,
        description=None if not rejected else f"{len(rejected)} record(s) or file(s) set aside",
        metadata={
            "rejected_this_run": len(rejected),
            "rows": total,
            "sample": dg.MetadataValue.text(sample + ("\n..." if len(rejected) > 20 else "")),
        },
    )


def build_ingestion_assets() -> list[dg.AssetsDefinition]:
    return [_build(source) for source in SOURCES]
