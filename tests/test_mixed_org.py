"""Every source joins the same change model: a hand-worked org (tests/support/mixed_org.py, whose
docstring tells its week) with code on GitHub and GitLab, deployments by GitHub Actions, GitLab
deployments, GitLab pipelines and Jenkins, incidents from PagerDuty and Opsgenie (one team
annotated by name), landed once from its export directory and once over HTTP from the replay
server, then built by the real dbt project. Every DORA figure is asserted exactly, per service,
team and org, in both modes, and so is what maps to no service.
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
from dagster_project.summary import unmapped_summary
from ingestion import ApiSettings, http, ingest_export, pull_source
from ingestion.registry import SOURCES
from tests.support.api_shapes import sha
from tests.support.mixed_org import write_mixed_org
from tests.support.replay_server import ExportApi, LocalServer
from tests.support.scenario import at, build, records
from tests.test_api_ingest import snapshot

os.environ.setdefault("RUNTIME__DLTHUB_TELEMETRY", "false")

pytestmark = pytest.mark.slow

TOKEN = "mixed-org-token"
ENV = {f"{s.upper()}_TOKEN": TOKEN for s in SOURCES} | {"JENKINS_USER": "stature"}
NOW = dt.datetime(2026, 3, 10, tzinfo=dt.UTC).timestamp()
UTC = dt.UTC


# --- the org, built once per mode ---------------------------------------------------------------


@pytest.fixture(scope="session")
def mixed_export(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_mixed_org(tmp_path_factory.mktemp("mixed_org") / "export")


@pytest.fixture(scope="session")
def mixed_by_export(mixed_export: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("mixed_by_export")
    report = ingest_export(mixed_export, work / "warehouse.duckdb")
    assert report.ok, report.lines()
    return build(work / "warehouse.duckdb", work)


@pytest.fixture(scope="session")
def mixed_by_api(mixed_export: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Pulled from the replay server: projects, jobs and repos come from the catalog's
    annotations (billing's project by its numeric id); the config adds what no component names."""
    work = tmp_path_factory.mktemp("mixed_by_api")
    warehouse = work / "warehouse.duckdb"
    settings = ApiSettings(
        policy=http.RetryPolicy(timeout=(2.0, 2.0)),
        sleep=lambda seconds: None,
        clock=lambda: NOW,
        env=ENV,
        history_days=200,
    )
    with LocalServer(ExportApi(mixed_export, token=TOKEN)) as server:
        config = StatureConfig(
            base_dir=mixed_export,
            sources=SourcesConfig(
                github=GithubSource(base_url=f"{server.url}/github"),
                gitlab=GitlabSource(
                    base_url=f"{server.url}/gitlab/api/v4", projects=["sandbox/experiments"]
                ),
                jenkins=JenkinsSource(base_url=f"{server.url}/jenkins", jobs=["deploy/tools"]),
                pagerduty=PagerdutySource(base_url=f"{server.url}/pagerduty"),
                opsgenie=OpsgenieSource(base_url=f"{server.url}/opsgenie"),
                catalog=PathsSource(paths=["catalog/*.yaml"]),
                inputs=PathsSource(paths=["inputs/*.csv"]),
            ),
        )
        reports = {s: pull_source(s, config, warehouse, settings=settings) for s in SOURCES}
    assert {s: r.error for s, r in reports.items()} == dict.fromkeys(SOURCES)
    assert not any(r.rejected for r in reports.values())
    return build(warehouse, work)


@pytest.fixture(scope="module", params=["export", "api"])
def mixed_org(request: pytest.FixtureRequest) -> Path:
    return request.getfixturevalue(f"mixed_by_{request.param}")


def test_api_mode_lands_exactly_what_the_export_lands(mixed_by_export, mixed_by_api):
    assert snapshot(mixed_by_api) == snapshot(mixed_by_export)
    with duckdb.connect(str(mixed_by_api), read_only=True) as con:
        projects = con.execute("select distinct project from raw_gitlab.commits order by 1")
        # billing was named by its id (4242) and still lands under its path
        assert projects.fetchall() == [("acme/search",), ("platform/billing",)]


# --- deployments: every deploying system, one service each ----------------------------------


WEB1, WEB2 = "actions:acme/web:100", "actions:acme/web:101"
S501, S503, S505, S506 = (f"gitlab:acme/search:{n}" for n in (501, 503, 505, 506))
BILL20, LEG5 = "jenkins:deploy/billing:20", "jenkins:deploy/legacy:5"
API900, API601 = "pipeline:ci/api:900", "gitlab:ci/api:601"


def test_every_deploying_system_gives_production_deployments_of_one_service(mixed_org):
    found = records(
        mixed_org,
        """select deployment_id, service_id, team_id, source, deployed_at, is_failure,
                  failure_reasons, is_rework, rework_reason, recovery_hours
           from marts.fct_deployments""",
    )
    fields = ("service_id", "team_id", "source", "deployed_at", "is_failure", "failure_reasons",
              "is_rework", "rework_reason", "recovery_hours")  # fmt: skip
    # fmt: off
    expected = {
        # run 101 carries PagerDuty PI1 (15:00-17:00) and alert A4 (20:00-21:00): 12:00 -> 21:00
        WEB1: ("web", "storefront", "github_actions", at("2026-03-02T14:00"), False, [], False, None, None),
        WEB2: ("web", "storefront", "github_actions", at("2026-03-03T12:00"), True, ["incident"], False, None, 9.0),
        # 505 ships q2 again (below 503's d4): a rollback, so 503 failed; 503 recovers with the
        # next deployment that did not fail, 506 (14:00 -> 10:00 next day = 20 h); 505 carries
        # alert A1 (17:00-19:00): 3 h. 502 (staging) and 504 (failed) are not deployments.
        S501: ("search", "discovery", "gitlab_deployment", at("2026-03-02T12:30"), False, [], False, None, None),
        S503: ("search", "discovery", "gitlab_deployment", at("2026-03-04T14:00"), True, ["rollback"], False, None, 20.0),
        S505: ("search", "discovery", "gitlab_deployment", at("2026-03-04T16:00"), True, ["incident"], True, "rollback", 3.0),
        S506: ("search", "discovery", "gitlab_deployment", at("2026-03-05T10:00"), False, [], False, None, None),
        # build 20: 12:00 + 30 min; alert A2 (team t-billing) 20:00-21:00: 8.5 h
        BILL20: ("billing", "payments", "jenkins", at("2026-03-05T12:30"), True, ["incident"], False, None, 8.5),
        LEG5: ("legacy", "payments", "jenkins", at("2026-03-04T08:10"), False, [], False, None, None),
        # pipeline 900 is followed by the hotfix deployment 601 within 24 h: failed, 2.5 h;
        # pipeline 902 ran while 601 was created for the same sha: the same deployment
        API900: ("api", "payments", "gitlab_pipeline", at("2026-03-06T11:00"), True, ["hotfix"], False, None, 2.5),
        API601: ("api", "payments", "gitlab_deployment", at("2026-03-06T13:30"), False, [], True, "hotfix", None),
    }
    # fmt: on
    assert {k: tuple(v[f] for f in fields) for k, v in found.items()} == expected


# --- changes: GitHub PRs and GitLab MRs alike -----------------------------------------------


def test_github_and_gitlab_changes_have_the_same_columns_and_lead_times(mixed_org):
    found = records(
        mixed_org,
        """select change_id, service_id, repo, repo_host, sha, deployment_id, linkage,
                  lead_time_hours, coding_hours, pickup_hours, review_hours, deploy_hours
           from marts.fct_changes""",
    )
    search, billing = "gitlab:acme/search", "gitlab:platform/billing"
    # fmt: off
    expected = {
        # web: PR #1 08:00 -> run 100 14:00 = 6 = coding 1 + pickup 1 + review 2 + deploy 2;
        # direct commit w2 09:00 -> run 101 12:00 = 3.
        "acme/web#1": ("web", "acme/web", "github", sha("w1"), WEB1, 6.0, 1.0, 1.0, 2.0, 2.0),
        f"acme/web@{sha('w2')}": ("web", "acme/web", "github", sha("w2"), WEB2, 3.0, None, None, None, None),
        # search !1 (merge commit m1): a1 08:00 -> 501 12:30 = 4.5 = 1 + 1 (bob's approval
        # 10:00; ann's own comment does not count) + 1 + 1.5
        f"{search}!1": ("search", "acme/search", "gitlab", sha("m1"), S501, 4.5, 1.0, 1.0, 1.0, 1.5),
        # !2 (squash q2): b2 03-03 08:00 -> 503 03-04 14:00 = 30 = 0.5 + 0.5 (carl's comment
        # 09:00; the review request is no review) + 1 + 28
        f"{search}!2": ("search", "acme/search", "gitlab", sha("q2"), S503, 30.0, 0.5, 0.5, 1.0, 28.0),
        # !3 (fast-forward: its head f3 is on the mainline): 09:00 -> 14:00 = 5 = 0.25 + 4.5
        f"{search}!3": ("search", "acme/search", "gitlab", sha("f3"), S503, 5.0, 0.25, None, None, 4.5),
        f"{search}@{sha('d4')}": ("search", "acme/search", "gitlab", sha("d4"), S503, 1.0, None, None, None, None),
        # billing !7 (GitLab, by id 4242) deployed by Jenkins build 20: 09:00 -> 12:30 = 3.5
        f"{billing}!7": ("billing", "platform/billing", "gitlab", sha("b1"), BILL20, 3.5, 0.5, 0.5, 1.0, 1.5),
        # api (GitHub) deployed by GitLab: PR #5 07:00 -> pipeline 900 11:00 = 4 = 1+1+1+1;
        # hotfix PR #6 11:30 -> deployment 601 13:30 = 2 = 0.5 + deploy 1 (no review)
        "acme/api#5": ("api", "acme/api", "github", sha("a1"), API900, 4.0, 1.0, 1.0, 1.0, 1.0),
        "acme/api#6": ("api", "acme/api", "github", sha("a2"), API601, 2.0, 0.5, None, None, 1.0),
    }
    # fmt: on
    fields = (
        "service_id",
        "repo",
        "repo_host",
        "sha",
        "deployment_id",
        "lead_time_hours",
        "coding_hours",
        "pickup_hours",
        "review_hours",
        "deploy_hours",
    )  # fmt: skip
    assert {k: tuple(v[f] for f in fields) for k, v in found.items()} == expected
    # every change is linked through its code repository's commit graph, whatever deployed it
    assert {v["linkage"] for v in found.values()} == {"graph"}


def test_incidents_map_by_service_id_team_name_team_id_and_tag(mixed_org):
    found = records(
        mixed_org,
        "select incident_id, service_id, team_id, deployment_id, restore_hours "
        "from marts.fct_incidents",
    )
    assert {k: tuple(v.values()) for k, v in found.items()} == {
        "pagerduty:PI1": ("web", "storefront", WEB2, 2.0),
        "opsgenie:A4": ("web", "storefront", WEB2, 1.0),  # selector tag service:web
        "opsgenie:A1": ("search", "discovery", S505, 2.0),  # team named "Search On-Call"
        "opsgenie:A2": ("billing", "payments", BILL20, 1.0),  # team id t-billing
        "pagerduty:PI2": (None, None, None, 4.0),  # PUNKNOWN: no service
        "opsgenie:A3": (None, None, None, 3.0),  # Data Team: no service
    }


# --- DORA figures per service, team and org ---------------------------------------------------

FIGURES = (
    "deployments", "deploy_days", "deployment_frequency", "lead_time_sample_size",
    "lead_time_p50_hours", "lead_time_p75_hours", "lead_time_p90_hours", "failed_deployments",
    "change_failure_rate", "recovery_sample_size", "recovery_time_p50_hours",
    "rework_deployments", "rework_rate", "incidents", "restore_time_p50_hours", "changes",
    "changes_linked_by_graph", "linkage_coverage", "services_with_deployments",
    "services_with_changes", "lead_time_coverage",
)  # fmt: skip
# fmt: off
WEEK = {
    # 10 deployments on 5 days. Lead times 1, 2, 3, 3.5, 4, 4.5, 5, 6, 30: p50 4; p75 at rank
    # 6 = 5; p90 at rank 7.2 = 6 + 0.2 * 24 = 10.8. Failed: run 101, 503, 505, build 20,
    # pipeline 900; rework 505, 601. Recoveries 2.5, 3, 8.5, 9, 20: p50 8.5. Incidents
    # restored in 1, 1, 2, 2, 3, 4 h: p50 2. legacy deployed without changes: 4 of 5 services.
    ("org", "org"): (10, 5, 10.0, 9, 4.0, 5.0, 10.8, 5, 0.5, 5, 8.5, 2, 0.2, 6, 2.0, 9, 9, 1.0, 5, 4, 0.8),
    # storefront = web: lead 3, 6 (p75 3 + 0.75 * 3, p90 3 + 0.9 * 3); incidents PI1 (2 h), A4 (1 h)
    ("team", "storefront"): (2, 2, 2.0, 2, 4.5, 5.25, 5.7, 1, 0.5, 1, 9.0, 0, 0.0, 2, 1.5, 2, 2, 1.0, 1, 1, 1.0),
    ("service", "web"): (2, 2, 2.0, 2, 4.5, 5.25, 5.7, 1, 0.5, 1, 9.0, 0, 0.0, 2, 1.5, 2, 2, 1.0, 1, 1, 1.0),
    # discovery = search: lead 1, 4.5, 5, 30 (p75 5 + 0.25 * 25, p90 5 + 0.7 * 25); recoveries
    # 3, 20; one rollback among 4 deployments; alert A1 restored in 2 h
    ("team", "discovery"): (4, 3, 4.0, 4, 4.75, 11.25, 22.5, 2, 0.5, 2, 11.5, 1, 0.25, 1, 2.0, 4, 4, 1.0, 1, 1, 1.0),
    ("service", "search"): (4, 3, 4.0, 4, 4.75, 11.25, 22.5, 2, 0.5, 2, 11.5, 1, 0.25, 1, 2.0, 4, 4, 1.0, 1, 1, 1.0),
    # payments: billing, api and legacy; lead 2, 3.5, 4 (p75 3.5 + 0.5 * 0.5, p90 3.5 + 0.8 *
    # 0.5); recoveries 2.5, 8.5; its lead time covers 2 of the 3 services that deployed
    ("team", "payments"): (4, 3, 4.0, 3, 3.5, 3.75, 3.9, 2, 0.5, 2, 5.5, 1, 0.25, 1, 1.0, 3, 3, 1.0, 3, 2, 2 / 3),
    ("service", "billing"): (1, 1, 1.0, 1, 3.5, 3.5, 3.5, 1, 1.0, 1, 8.5, 0, 0.0, 1, 1.0, 1, 1, 1.0, 1, 1, 1.0),
    ("service", "api"): (2, 1, 2.0, 2, 3.0, 3.5, 3.8, 1, 0.5, 1, 2.5, 1, 0.5, 0, None, 2, 2, 1.0, 1, 1, 1.0),
    ("service", "legacy"): (1, 1, 1.0, 0, None, None, None, 0, 0.0, 0, None, 0, 0.0, 0, None, 0, 0, None, 1, 0, 0.0),
}
# fmt: on


def test_dora_figures_per_service_team_and_org(mixed_org):
    columns = ", ".join(FIGURES)
    with duckdb.connect(str(mixed_org), read_only=True) as con:
        rows = con.execute(
            f"select entity_type, entity_id, period_label, {columns} from marts.dora_metrics "
            "where period_grain = 'week'"
        ).fetchall()
    found = {(r[0], r[1]): r[3:] for r in rows}
    assert {r[2] for r in rows} == {"2026-W10"}
    assert found.keys() == WEEK.keys()
    for entity, figures in WEEK.items():
        assert found[entity] == pytest.approx(figures), entity


# --- what maps to no service ------------------------------------------------------------------

UNMAPPED = [
    ("gitlab", "project", "sandbox/experiments", 1, at("2026-03-03T10:00"), at("2026-03-03T10:00"),
     "no catalog component has gitlab.com/project-slug: sandbox/experiments (or id 900)"),
    ("jenkins", "job", "deploy/tools", 2, at("2026-03-03T08:00"), at("2026-03-04T08:00"),
     "no catalog component has jenkins.io/job-full-name: deploy/tools"),
    ("opsgenie", "team", "Data Team", 1, at("2026-03-06T09:00"), at("2026-03-06T09:00"),
     "no catalog component has opsgenie.com/team: Data Team (or id t-data), "
     "nor a component-selector tag of these alerts"),
    ("pagerduty", "service", "PUNKNOWN", 1, at("2026-03-05T09:00"), at("2026-03-05T09:00"),
     "no catalog component has pagerduty.com/service-id: PUNKNOWN"),
]  # fmt: skip


def test_what_maps_to_no_service_is_reported_not_dropped(mixed_org):
    with duckdb.connect(str(mixed_org), read_only=True) as con:
        con.execute("set TimeZone = 'UTC'")
        rows = con.execute(
            "select source, entity_kind, entity_key, records, first_seen_at, last_seen_at, reason "
            "from marts.unmapped_entities order by all"
        ).fetchall()
        summary = unmapped_summary(con)
    assert rows == UNMAPPED
    assert (
        summary.splitlines()[0]
        == "Not mapped to any service (4): their records count for no service"
    )
    assert "  jenkins    job      deploy/tools" in summary
    assert "no catalog component has opsgenie.com/team: Data Team" in summary
