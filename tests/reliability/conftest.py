"""One small org and one clean run, shared by the fault-injection tests.

The org is the smallest the generator makes (12 services, 4 teams) over 60 days; the rules
are six of the shipped standards (one per kind of input: catalog, CI runs, DORA metrics,
incidents, a balanced-scorecard measure), and one quarter of maturity backfill: every stage
runs, and a run takes about a minute on a quiet machine.
"""

from __future__ import annotations

import datetime as dt
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import REPO, Workspace, make_workspace
from tests.reliability.harness import Run, start_run

AS_OF = dt.date(2026, 11, 15)
RULES = (
    "production_readiness/runbook_linked.sql",
    "security/static_analysis_ci.sql",
    "dora/deployment_frequency_tier.sql",
    "engineering_maturity/deploys_weekly.sql",
    "engineering_maturity/mttr_target.sql",
    "balanced_scorecard/lead_time.sql",
)


@pytest.fixture(scope="session")
def reliability_org(tmp_path_factory) -> Path:
    from ingestion.sample_org import generate_sample_org

    out = tmp_path_factory.mktemp("reliability_org") / "export"
    generate_sample_org(out, end=AS_OF, days=60, services=12, teams=4)
    return out


@pytest.fixture(scope="session")
def reliability_rules(tmp_path_factory) -> Path:
    rules = tmp_path_factory.mktemp("reliability_rules") / "rules_sql"
    for rel in RULES:
        target = rules / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(REPO / "rules_sql" / rel, target)
    (rules / "exemptions.yml").write_text("[]\n")
    return rules


def reliability_workspace(root: Path, export: Path, rules: Path, **overrides) -> Workspace:
    return make_workspace(
        root,
        export,
        rules={"dir": str(rules), "timeout_seconds": 30},
        maturity={"backfill_quarters": 1},
        **overrides,
    )


@dataclass
class CleanRun:
    ws: Workspace
    run: Run
    refused: object  # the CompletedProcess of the second run started meanwhile
    refused_seconds: float


@pytest.fixture(scope="session")
def clean_run(tmp_path_factory, reliability_org, reliability_rules) -> CleanRun:
    """The reference run; while it runs, a second run on the same warehouse is started and
    must be refused at once."""
    import time

    from dagster_project.runlock import holder_of

    ws = reliability_workspace(tmp_path_factory.mktemp("clean"), reliability_org, reliability_rules)
    run = start_run(ws, "--as-of", AS_OF.isoformat(), name="clean")
    deadline = time.monotonic() + 120
    while (holder := holder_of(ws.warehouse)) is None or holder.pid != run.pid:
        assert run.proc.poll() is None, run.stderr()
        assert time.monotonic() < deadline, "the run never took the warehouse lock"
        time.sleep(0.05)
    started = time.monotonic()
    refused = ws.stature("run", "--as-of", AS_OF.isoformat(), timeout=120)
    refused_seconds = time.monotonic() - started
    assert run.wait() == 0, run.stdout()[-3000:] + run.stderr()[-3000:]
    return CleanRun(ws, run, refused, refused_seconds)
