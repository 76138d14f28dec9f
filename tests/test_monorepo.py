"""A monorepo gives each of its services its own DORA figures: one GitHub repository shared by
three services (tests/support/monorepo_org.py, whose docstring works the week out by hand),
changes attributed by the PR and commit files their paths globs match, deployments by each
service's deploy-environment or deploy-workflow annotation, incidents by PagerDuty service.
Landed once from its export directory and once over HTTP from the replay server, then built by
the real dbt project; every figure is asserted exactly, per service, in both modes.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import duckdb
import pytest

from dagster_project.config import (
    GithubSource,
    GitlabSource,
    JenkinsSource,
    OpsgenieSource,
    PagerdutySource,
    PathsSource,
    SourcesConfig,
    StatureConfig,
)
from ingestion import ApiSettings, http, ingest_export, pull_source
from ingestion.registry import SOURCES
from tests.support.api_shapes import sha
from tests.support.monorepo_org import REPO, write_monorepo_org
from tests.support.replay_server import ExportApi, LocalServer
from tests.support.scenario import at, build, records
from tests.test_api_ingest import snapshot

os.environ.setdefault("RUNTIME__DLTHUB_TELEMETRY", "false")

pytestmark = pytest.mark.slow

TOKEN = "monorepo-token"
ENV = {f"{s.upper()}_TOKEN": TOKEN for s in SOURCES} | {"JENKINS_USER": "stature"}
NOW = dt.datetime(2026, 3, 10, tzinfo=dt.UTC).timestamp()


@pytest.fixture(scope="session")
def monorepo_export(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_monorepo_org(tmp_path_factory.mktemp("monorepo_org") / "export")


@pytest.fixture(scope="session")
def monorepo_by_export(monorepo_export: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("monorepo_by_export")
    report = ingest_export(monorepo_export, work / "warehouse.duckdb")
    assert report.ok, report.lines()
    return build(work / "warehouse.duckdb", work)


@pytest.fixture(scope="session")
def monorepo_by_api(monorepo_export: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Pulled from the replay server; the repo comes from the catalog, which also says it is a
    monorepo (stature.dev/paths), so its PR files and commit files are asked for."""
    work = tmp_path_factory.mktemp("monorepo_by_api")
    warehouse = work / "warehouse.duckdb"
    settings = ApiSettings(
        policy=http.RetryPolicy(timeout=(2.0, 2.0)),
        sleep=lambda seconds: None,
        clock=lambda: NOW,
        env=ENV,
        history_days=200,
    )
    with LocalServer(ExportApi(monorepo_export, token=TOKEN)) as server:
        config = StatureConfig(
            base_dir=monorepo_export,
            sources=SourcesConfig(
                github=GithubSource(base_url=f"{server.url}/github"),
                gitlab=GitlabSource(base_url=f"{server.url}/gitlab/api/v4"),
                jenkins=JenkinsSource(base_url=f"{server.url}/jenkins"),
                pagerduty=PagerdutySource(base_url=f"{server.url}/pagerduty"),
                opsgenie=OpsgenieSource(base_url=f"{server.url}/opsgenie"),
                catalog=PathsSource(paths=["catalog/*.yaml"]),
                inputs=PathsSource(paths=["inputs/*.csv"]),
            ),
        )
        reports = {s: pull_source(s, config, warehouse, settings=settings) for s in SOURCES}
    assert {s: r.error for s, r in reports.items()} == dict.fromkeys(reports)
    assert not any(r.rejected for r in reports.values())
    return build(warehouse, work)


@pytest.fixture(scope="module", params=["export", "api"])
def monorepo(request: pytest.FixtureRequest) -> Path:
    return request.getfixturevalue(f"monorepo_by_{request.param}")


def test_api_mode_lands_the_files_the_export_holds(monorepo_by_export, monorepo_by_api):
    assert snapshot(monorepo_by_api) == snapshot(monorepo_by_export)
    with duckdb.connect(str(monorepo_by_api), read_only=True) as con:
        pull_files = con.execute(
            "select pr_number, filename from raw_github.pull_files order by all"
        ).fetchall()
        commit_files = con.execute("select count(*) from raw_github.commit_files").fetchone()
    assert pull_files == [
        (1, "services/payments/api.py"),
        (2, "libs/common/retry.py"),
        (2, "services/search/index.py"),
        (4, "apps/web/page.tsx"),
        (5, "services/payments/timeout.py"),
    ]
    assert commit_files == (7,)  # m0 1, m1 1, m2 2, m3 1, m4 1, m5 1
    with duckdb.connect(str(monorepo_by_api), read_only=True) as con:
        diffs = con.execute(
            "select 'mr', cast(mr_iid as varchar), new_path from raw_gitlab.merge_request_diffs "
            "union all select 'commit', sha, new_path from raw_gitlab.commit_diffs order by all"
        ).fetchall()
    assert sorted(diffs) == sorted(
        [
            ("mr", "1", "cli/main.go"),
            ("commit", sha("t0"), "README.md"),
            ("commit", sha("t1"), "cli/main.go"),
            ("commit", sha("t2"), "site/index.md"),
        ]
    )


def test_the_paths_annotation_reads_commas_and_new_lines(monorepo):
    with duckdb.connect(str(monorepo), read_only=True) as con:
        rows = con.execute(
            "select service_id, path_glob from staging.stg_catalog__service_paths order by all"
        ).fetchall()
    assert rows == [
        ("cli", "cli/**"),
        ("docsite", "site"),
        ("payments", "libs/common/**"),
        ("payments", "services/payments/**"),
        ("search", "libs/common/**"),
        ("search", "services/search/**"),
        ("web", "apps/web/**"),
    ]


P701, P702, P703 = (f"github:{REPO}:{n}" for n in (701, 702, 703))
S801, S802 = f"actions:{REPO}:801", f"actions:{REPO}:802"
W901, W902 = f"github:{REPO}:901", f"github:{REPO}:902"


def test_each_service_gets_the_deployments_its_annotation_names(monorepo):
    found = records(
        monorepo,
        """select deployment_id, service_id, team_id, deployed_at, is_failure, failure_reasons,
                  is_rework, recovery_hours
           from marts.fct_deployments""",
    )
    # fmt: off
    expected = {
        P701: ("payments", "commerce", at("2026-03-02T14:00"), True, ["incident"], False, 4.0),
        P702: ("payments", "commerce", at("2026-03-03T12:00"), True, ["hotfix"], False, 22.0),
        P703: ("payments", "commerce", at("2026-03-04T10:00"), False, [], True, None),
        S801: ("search", "discovery", at("2026-03-02T15:00"), False, [], False, None),
        S802: ("search", "discovery", at("2026-03-04T12:00"), True, ["incident"], False, 3.0),
        W901: ("web", "commerce", at("2026-03-03T11:00"), False, [], False, None),
        W902: ("web", "commerce", at("2026-03-05T09:00"), False, [], False, None),
    }
    # fmt: on
    assert {k: tuple(v.values()) for k, v in found.items()} == expected


def test_deployments_the_annotations_claim_are_not_reported_unmapped(monorepo):
    # web's deployments go to `production`, which names none of acme/mono's services: only
    # web's stature.dev/deploy-environment claims them, and nothing is left unmapped
    with duckdb.connect(str(monorepo), read_only=True) as con:
        assert con.execute("select * from marts.unmapped_entities").fetchall() == []


def test_a_change_belongs_to_every_service_whose_paths_it_touches(monorepo):
    found = records(
        monorepo,
        """select change_id, service_id, sha, deployment_id, linkage, lead_time_hours,
                  coding_hours, pickup_hours, review_hours, deploy_hours, attributed_by
           from marts.fct_changes""",
    )
    # fmt: off
    expected = {
        # PR #1 08:00 -> 701 14:00 = 6 = coding 1 + pickup 1 + review 1 + deploy 3
        f"{REPO}#1/payments": ("payments", sha("m1"), P701, "graph", 6.0, 1.0, 1.0, 1.0, 3.0, "paths"),
        # PR #2 touches the shared libs/common and search: one change of each service
        f"{REPO}#2/payments": ("payments", sha("m2"), P701, "graph", 5.0, 1.0, 1.0, 1.0, 2.0, "paths"),
        f"{REPO}#2/search": ("search", sha("m2"), S801, "graph", 6.0, 1.0, 1.0, 1.0, 3.0, "paths"),
        f"{REPO}#4/web": ("web", sha("m4"), W901, "graph", 2.0, 0.5, 0.5, 0.5, 0.5, "paths"),
        # the hotfix: 09:00 -> 703 10:00, unreviewed
        f"{REPO}#5/payments": ("payments", sha("m5"), P703, "graph", 1.0, 0.25, None, None, 0.5, "paths"),
        # GitLab acme/tools: by its merge request diffs and commit diffs; not deployed yet
        "gitlab:acme/tools!1/cli": ("cli", sha("t1"), None, None, None, 1.0, None, None, None, "paths"),
        f"gitlab:acme/tools@{sha('t2')}/docsite": ("docsite", sha("t2"), None, None, None, None, None, None, None, "paths"),
    }
    # fmt: on
    # m3 changed README.md only, which no service's globs match: no service's change (and m0
    # is history). 702 and 802 ship m3..m5 but none of it is payments' or search's.
    assert {k: tuple(v.values()) for k, v in found.items()} == expected


def test_incidents_count_for_their_own_service(monorepo):
    found = records(
        monorepo,
        "select incident_id, service_id, deployment_id, restore_hours from marts.fct_incidents",
    )
    assert {k: tuple(v.values()) for k, v in found.items()} == {
        "pagerduty:PI1": ("payments", P701, 2.0),
        "pagerduty:PI2": ("search", S802, 2.0),
    }


FIGURES = (
    "deployments", "lead_time_sample_size", "lead_time_p50_hours", "failed_deployments",
    "change_failure_rate", "recovery_sample_size", "recovery_time_p50_hours",
    "rework_deployments", "rework_rate", "incidents", "changes", "changes_linked_by_graph",
    "linkage_coverage", "lead_time_coverage", "changes_in_shared_repos",
    "changes_attributed_by_paths", "path_coverage",
)  # fmt: skip
# fmt: off
WEEK = {
    # lead times 6, 5, 1: p50 5; recoveries 4 (PI1 resolved) and 22 (to 703): p50 13
    # every change of the shared repo was attributed by its files: path coverage 1
    "payments": (3, 3, 5.0, 2, 2 / 3, 2, 13.0, 1, 1 / 3, 1, 3, 3, 1.0, 1.0, 3, 3, 1.0),
    "search": (2, 1, 6.0, 1, 0.5, 1, 3.0, 0, 0.0, 1, 1, 1, 1.0, 1.0, 1, 1, 1.0),
    "web": (2, 1, 2.0, 0, 0.0, 0, None, 0, 0.0, 0, 1, 1, 1.0, 1.0, 1, 1, 1.0),
}
# fmt: on


def test_dora_figures_per_service_of_the_monorepo(monorepo):
    columns = ", ".join(FIGURES)
    with duckdb.connect(str(monorepo), read_only=True) as con:
        rows = con.execute(
            f"select entity_id, period_label, {columns} from marts.dora_metrics "
            "where period_grain = 'week' and entity_type = 'service'"
        ).fetchall()
    assert {r[1] for r in rows} == {"2026-W10"}
    found = {r[0]: r[2:] for r in rows}
    assert found.keys() == WEEK.keys()
    for service, figures in WEEK.items():
        assert found[service] == pytest.approx(figures), service
