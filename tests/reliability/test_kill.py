"""`kill -9` of `stature run` in each stage, and two runs at once, with real processes.

The kills run as one chain on a copy of the clean run's workspace (a nightly run over
yesterday's warehouse): each run is killed one stage later than the one before, so each
rerun first proves it got past what the previous kill interrupted (the raw tables after the
ingestion kill, the marts after the dbt kill, the scorecards after the rules kill), and the
last one runs to the end and must equal the clean run row for row. Throughout, a reader in
its own process keeps opening the published copy; after every kill no process of the killed
run is left, and the warehouse lock is free.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from dagster_project.runlock import holder_of, lock_path
from tests.reliability.conftest import AS_OF, CleanRun, reliability_workspace
from tests.reliability.harness import (
    Reader,
    Run,
    copy_workspace,
    raw_fingerprints,
    start_reader,
    start_run,
    survivors,
)
from tests.support.compare_published import compare

pytestmark = pytest.mark.slow


def _runs(ws) -> list[tuple[str, str, dict]]:
    instance = dg.DagsterInstance.from_config(str(ws.root / "dagster_home"))
    try:
        return [(r.run_id, r.status.value, dict(r.tags)) for r in instance.get_runs()]
    finally:
        instance.dispose()


def _publish_info(published: Path) -> tuple:
    with duckdb.connect(str(published / "stature.duckdb"), read_only=True) as con:
        return con.execute("select run_id, published_at from reporting.publish_info").fetchone()


# --- two runs at once --------------------------------------------------------------------------


def test_a_second_run_on_the_same_warehouse_exits_2_at_once_naming_the_first(clean_run: CleanRun):
    refused, ws, first = clean_run.refused, clean_run.ws, clean_run.run
    assert refused.returncode == 2, refused.stdout + refused.stderr
    lines = refused.stderr.strip().splitlines()
    assert len(lines) == 1, refused.stderr
    assert lines[0].startswith(f"stature: another run holds {ws.warehouse} (PID {first.pid}, ")
    assert lines[0].endswith(", stature run); wait for it or stop it")
    assert refused.stdout == ""
    assert clean_run.refused_seconds < 30  # the time to start Python, not to wait for the lock
    # Nothing of the refused run reached Dagster, and the first one finished, published and
    # released the lock.
    statuses = [status for _, status, tags in _runs(ws) if "stature/continues" not in tags]
    assert statuses == ["SUCCESS"]
    assert "All well." in first.stdout()
    assert holder_of(ws.warehouse) is None
    assert lock_path(ws.warehouse).read_text() == ""  # a normal end leaves it empty


# --- kill -9 in each stage, then a rerun --------------------------------------------------------


@dataclass
class Chain:
    ws: object
    clean: CleanRun
    reader: Reader
    published_before: tuple
    killed: list[Run] = field(default_factory=list)


@pytest.fixture(scope="module")
def chain(tmp_path_factory, clean_run, reliability_org, reliability_rules):
    ws = copy_workspace(
        clean_run.ws,
        tmp_path_factory.mktemp("chain") / "ws",
        lambda root: reliability_workspace(root, reliability_org, reliability_rules),
    )
    reader = start_reader(ws.published, ws.root)
    state = Chain(ws, clean_run, reader, _publish_info(ws.published))
    yield state
    if reader.proc.poll() is None:
        reader.finish()


def _kill_in(chain: Chain, stage: str) -> Run:
    run = start_run(chain.ws, "--as-of", AS_OF.isoformat(), name=f"kill-{stage}")
    # For dbt, the stage's line is dbt's own "START sql table model" in the step log: dbt
    # runs in the run's process, and is building when the run is killed.
    run.wait_for_stage(stage)
    run.kill()
    assert survivors(run.pid) == [], f"processes of killed run {run.pid} are still running"
    assert holder_of(chain.ws.warehouse) is None  # the kernel released the lock
    if chain.killed:
        # this run took over the lock the previous killed run left, and said so
        assert "did not finish (killed); its lock was cleared" in run.stderr()
    chain.killed.append(run)
    return run


def _tables(comparison, schema: str) -> tuple[list[str], dict[str, str]]:
    equal = [t for t in comparison.equal if t.startswith(schema + ".")]
    different = {t: why for t, why in comparison.different.items() if t.startswith(schema + ".")}
    return equal, different


def test_kill_during_ingestion(chain: Chain):
    _kill_in(chain, "ingestion")
    assert _publish_info(chain.ws.published) == chain.published_before


def test_kill_during_dbt_and_the_rerun_landed_every_record(chain: Chain):
    _kill_in(chain, "dbt")
    # This run got past ingestion after the last one was killed in it: every raw table is
    # the clean run's, row for row.
    assert raw_fingerprints(chain.ws.warehouse) == raw_fingerprints(chain.clean.ws.warehouse)
    assert _publish_info(chain.ws.published) == chain.published_before


def test_kill_during_rules_after_the_rerun_built_every_mart(chain: Chain):
    _kill_in(chain, "rules")
    equal, different = _tables(compare(chain.clean.ws.warehouse, chain.ws.warehouse), "marts")
    assert different == {}
    assert "marts.fct_deployments" in equal and "marts.dora_metrics" in equal
    assert _publish_info(chain.ws.published) == chain.published_before


def test_kill_during_publish_after_the_rerun_graded_every_rule(chain: Chain):
    _kill_in(chain, "publish")
    equal, different = _tables(compare(chain.clean.ws.warehouse, chain.ws.warehouse), "scorecards")
    assert different == {}
    assert "scorecards.check_results" in equal and "scorecards.maturity_snapshots" in equal
    _publish_info(chain.ws.published)  # still a readable copy, whichever side of the swap


def test_the_rerun_after_the_kills_equals_a_clean_run_and_leaves_nothing_behind(chain: Chain):
    run = start_run(chain.ws, "--as-of", AS_OF.isoformat(), name="rerun")
    assert run.wait() == 0, run.stdout()[-3000:] + run.stderr()[-3000:]
    assert "All well." in run.stdout()
    clean, ws = chain.clean.ws, chain.ws

    warehouse = compare(clean.warehouse, ws.warehouse)
    assert warehouse.ok, warehouse.different
    published = compare(clean.published / "stature.duckdb", ws.published / "stature.duckdb")
    assert published.ok, published.different
    assert raw_fingerprints(ws.warehouse) == raw_fingerprints(clean.warehouse)

    # What a killed publish left is gone: no temporary copy or WAL, one Parquet version
    # besides the one it replaced, the link pointing at a complete one.
    leftovers = sorted(p.name for p in ws.published.glob(".*"))
    assert leftovers == [], leftovers
    versions = sorted(p.name for p in ws.published.glob("parquet-*"))
    assert 1 <= len(versions) <= 2
    current = (ws.published / "parquet").resolve()
    assert current.name in versions
    assert sorted(p.name for p in (current / "marts").glob("*.parquet")) == sorted(
        p.name for p in (clean.published / "parquet" / "marts").glob("*.parquet")
    )
    assert _publish_info(ws.published)[0] != chain.published_before[0]

    # The published copy stayed readable the whole time, in a process of its own.
    seen = chain.reader.finish()
    assert seen["failed"] == 0, seen["errors"]
    assert seen["ok"] > 20

    # No run is left STARTED: the killed ones were marked failed by the runs after them.
    by_id = {run_id: (status, tags) for run_id, status, tags in _runs(ws)}
    stuck = [run_id for run_id, (status, _) in by_id.items() if status in ("STARTED", "STARTING")]
    assert stuck == []
    killed = {
        run_id
        for run_id, (_, tags) in by_id.items()
        if tags.get("stature/pid") in {str(r.pid) for r in chain.killed}
    }
    assert len(killed) == len(chain.killed) == 4
    assert {by_id[run_id][0] for run_id in killed} == {"FAILURE"}
