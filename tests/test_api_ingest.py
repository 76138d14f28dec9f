"""API mode against real HTTP servers on 127.0.0.1: recorded pages with the real APIs' quirks
(rate limits, 5xx, a truncated page, a 401, an empty repo, a `next` link in another form, PRs in
the issues list), and export directories served as fake APIs, which must land exactly the raw
tables export mode lands, incrementally and without a token ever reaching a file."""

from __future__ import annotations

import base64
import datetime as dt
import json
import logging
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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
from ingestion.cursors import load_cursors
from ingestion.registry import RAW_TABLES, SOURCES
from tests.support.replay_server import ExportApi, Fault, LocalServer, RecordedApi, Request

# dlt phones home unless told not to; no network here, and nothing to tell.
os.environ.setdefault("RUNTIME__DLTHUB_TELEMETRY", "false")

FIXTURES = Path(__file__).parent / "fixtures"
NOW = dt.datetime(2026, 11, 16, tzinfo=dt.UTC).timestamp()
TOKEN = "ghp_CANARY0123456789abcdefCANARY"  # a canary: must never reach a file the run writes
ENV = {
    "GITHUB_TOKEN": TOKEN,
    "GITLAB_TOKEN": TOKEN,
    "JENKINS_USER": "stature",
    "JENKINS_TOKEN": TOKEN,
    "PAGERDUTY_TOKEN": TOKEN,
    "OPSGENIE_TOKEN": TOKEN,
}


class Sleeper:
    """Stands in for time.sleep: records the waits, never waits."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.waits.append(round(seconds, 3))


def settings(sleeper: Sleeper | None = None, **overrides: Any) -> ApiSettings:
    policy = http.RetryPolicy(timeout=(2.0, 2.0))
    return ApiSettings(
        policy=overrides.pop("policy", policy),
        sleep=sleeper or Sleeper(),
        clock=lambda: NOW,
        env=overrides.pop("env", ENV),
        **overrides,
    )


def config(tmp_path: Path, **sources: Any) -> StatureConfig:
    return StatureConfig(sources=SourcesConfig(**sources), base_dir=tmp_path)


def recorded(*scenarios: str) -> RecordedApi:
    return RecordedApi.from_fixtures(*(p for s in scenarios for p in sorted(FIXTURES.glob(s))))


def snapshot(warehouse: Path, *, drop: tuple[str, ...] = ("source_file",)) -> dict[str, list]:
    """Every raw table's rows without dlt's bookkeeping (and the provenance column)."""
    out: dict[str, list] = {}
    with duckdb.connect(str(warehouse), read_only=True) as con:
        for table in RAW_TABLES:
            columns = [c for c in table.all_columns if c not in drop]
            select = ", ".join(f"{c}::varchar" if c == "payload" else c for c in columns)
            out[f"{table.schema}.{table.name}"] = con.execute(
                f"select {select} from {table.schema}.{table.name} order by all"
            ).fetchall()
        for source in SOURCES:
            out[f"raw_{source}._rejected"] = con.execute(
                f"select source, record_key, reason from raw_{source}._rejected order by all"
            ).fetchall()
    return out


def count(warehouse: Path, table: str) -> int:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(f"select count(*) from {table}").fetchone()[0]


def assert_no_token_in_files(root: Path, but: Path | None = None) -> None:
    """No form of the canary in any file under `root` (warehouse, dlt's working files and
    state, snapshots), nor in any table of any DuckDB file there (DuckDB may compress text)."""
    forms = [
        TOKEN,
        base64.b64encode(f"stature:{TOKEN}".encode()).decode(),  # Jenkins basic auth
        base64.b64encode(TOKEN.encode()).decode()[:20],
    ]
    for path in root.rglob("*"):
        if path.is_file() and not (but and path.is_relative_to(but)):
            data = path.read_bytes()
            for form in forms:
                assert form.encode() not in data, f"{form[:6]}... found in {path}"
    for database in root.rglob("*.duckdb"):
        with duckdb.connect(str(database), read_only=True) as con:
            tables = con.execute(
                "select table_schema, table_name from information_schema.tables"
            ).fetchall()
            for schema, table in tables:
                hits = con.execute(
                    f'select count(*) from "{schema}"."{table}" t where t::varchar like ?',
                    [f"%{TOKEN}%"],
                ).fetchone()[0]
                assert hits == 0, f"token in {database.name}: {schema}.{table}"


# --- the shared HTTP client ---------------------------------------------------------------------


def client(server: LocalServer, sleeper: Sleeper, **policy: Any) -> http.Client:
    creds = http.credentials("bearer", ENV, "GITHUB_TOKEN")
    return http.Client(
        "github",
        server.url,
        creds,
        redact=http.Redactor(),
        policy=http.RetryPolicy(**{"timeout": (2.0, 2.0), **policy}),
        sleep=sleeper,
        clock=lambda: NOW,
    )


def test_rate_limits_are_waited_out_and_the_next_link_is_followed_as_given():
    sleeper = Sleeper()
    with LocalServer(recorded("github/pulls/alpha")) as server:
        pages = list(client(server, sleeper).link_pages("repos/acme/alpha/pulls", PULLS))
    # 403 with x-ratelimit-remaining 0: wait until x-ratelimit-reset (+1 s), then go on;
    # the 502 on page 2 is retried after 1 s of backoff.
    assert sleeper.waits == [61.0, 1.0]
    assert [p["number"] for page in pages for p in page.body] == [3, 2, 1]
    # page 2 is asked for at the /repositories/{id} URL the Link header gave, verbatim
    assert server.paths()[-1] == (
        "/repositories/4242/pulls?state=all&sort=updated&direction=desc&per_page=2&page=2"
    )
    assert all(r.headers["Authorization"] == f"Bearer {TOKEN}" for r in server.requests)


PULLS = {"state": "all", "sort": "updated", "direction": "desc", "per_page": 2}


def test_retry_after_is_honoured():
    sleeper = Sleeper()
    with LocalServer(recorded("github/commits/alpha")) as server:
        page = client(server, sleeper).get("repos/acme/alpha/commits")
    assert sleeper.waits == [7.0]
    assert len(page.body) == 2


def test_5xx_and_timeouts_back_off_exponentially_up_to_a_cap_then_fail():
    sleeper = Sleeper()
    with (
        LocalServer(recorded("github/pulls/down")) as server,
        pytest.raises(http.RetriesExhausted, match=r"failed 6 times \(last: 502"),
    ):
        client(server, sleeper, backoff_cap_seconds=8.0).get("repos/acme/alpha/pulls")
    assert sleeper.waits == [1.0, 2.0, 4.0, 8.0, 8.0]
    assert len(server.requests) == 6

    sleeper = Sleeper()
    with (
        LocalServer(recorded("github/pulls/slow")) as server,
        pytest.raises(http.RetriesExhausted, match="ReadTimeout"),
    ):
        client(server, sleeper, timeout=(1.0, 0.1), attempts=3).get("repos/acme/alpha/pulls")
    assert sleeper.waits == [1.0, 2.0]


def test_a_rate_limit_longer_than_the_run_may_wait_fails_with_when():
    with (
        LocalServer(recorded("github/pulls/alpha")) as server,
        pytest.raises(http.RateLimitError, match="run again later"),
    ):
        client(server, Sleeper(), max_wait_seconds=30).get("repos/acme/alpha/pulls", PULLS)


def test_a_page_that_stays_malformed_is_returned_with_its_error_and_its_next_link():
    sleeper = Sleeper()
    with LocalServer(recorded("github/workflow_runs/alpha")) as server:
        pages = list(
            client(server, sleeper, attempts=3).link_pages("repos/acme/alpha/actions/runs")
        )
    assert pages[0].error.startswith("invalid JSON at line 1 column")
    assert "after 3 attempts" in pages[0].error
    assert [r["id"] for r in pages[1].body["workflow_runs"]] == [3003]
    assert sleeper.waits == [1.0, 2.0]


def test_a_401_names_the_variable_to_set_and_never_the_token(tmp_path):
    with LocalServer(ExportApi(tmp_path, token="right", echo_auth=True)) as server:
        creds = http.credentials("bearer", ENV, "GITHUB_TOKEN")
        c = http.Client("github", server.url, creds, redact=http.Redactor(), sleep=Sleeper())
        with pytest.raises(http.AuthError) as caught:
            c.get("github/repos/acme/alpha/pulls")
    message = str(caught.value)
    assert "401" in message and "GITHUB_TOKEN" in message and "docs/sources.md" in message
    assert "Bad credentials" in message and "you sent" in message  # the server echoed it ...
    assert TOKEN not in message  # ... and it was redacted

    missing = http.credentials("bearer", {}, "GITHUB_TOKEN")
    assert missing.auth is None and missing.missing == ("GITHUB_TOKEN",)


def test_link_header_parsing():
    header = (
        '<https://api.github.com/repositories/1/issues?page=3>; rel="next", '
        '<https://api.github.com/repositories/1/issues?page=9>; rel="last"'
    )
    assert http.link_next(header) == "https://api.github.com/repositories/1/issues?page=3"
    assert http.link_next('<https://x/?page=1>; rel="prev"') is None
    assert http.link_next(None) is None


# --- GitHub from recorded pages -----------------------------------------------------------------


def test_github_recorded_pages_land_with_every_quirk_handled(tmp_path):
    sleeper = Sleeper()
    warehouse = tmp_path / "w.duckdb"
    seen: list[tuple[str, str, int]] = []
    with LocalServer(recorded("github/*/alpha", "github/*/empty")) as server:
        cfg = config(
            tmp_path, github=GithubSource(base_url=server.url, repos=["acme/alpha", "acme/empty"])
        )
        report = pull_source(
            "github",
            cfg,
            warehouse,
            progress=lambda *event: seen.append(event),
            settings=settings(sleeper, per_page=2, policy=http.RetryPolicy(attempts=3)),
        )

    assert report.error is None
    assert report.rows == {
        "pulls": 3,
        "pull_commits": 4,
        "pull_reviews": 2,
        "commits": 2,
        "deployments": 1,
        "deployment_statuses": 2,
        "workflow_runs": 1,  # page 2; page 1 stayed truncated
        "issues": 1,  # the PR in the issues list is skipped, not rejected
        # no catalog component maps these repos with stature.dev/paths: no file is asked for
        "pull_files": 0,
        "commit_files": 0,
    }
    assert report.skipped == {"pull requests in the issues list": 1, "empty repositories": 1}
    [rejected] = report.rejected
    assert rejected.file.endswith("/repos/acme/alpha/actions/runs?per_page=2")
    assert "invalid JSON" in rejected.reason and "next run asks for it again" in rejected.reason
    assert 61.0 in sleeper.waits and 7.0 in sleeper.waits  # 403 reset, 429 Retry-After
    assert ("github", "pulls (pulled)", 2) in seen and ("github", "pulls (pulled)", 3) in seen

    with duckdb.connect(str(warehouse), read_only=True) as con:
        source_file, hotfix = con.execute(
            "select source_file, payload->>'$.head.ref' from raw_github.pulls where number = 3"
        ).fetchone()
        assert source_file == f"{server.url}/repos/acme/alpha/pulls"
        assert hotfix == "hotfix/login"
        assert con.execute("select count(*) from raw_github._rejected").fetchone()[0] == 1

    assert_no_token_in_files(tmp_path)
    cursors = load_cursors(warehouse, "github", server.url)
    assert cursors.get("acme/alpha pulls") == {"updated_at": "2026-11-12T10:00:00Z"}
    assert cursors.get("acme/alpha commits") == {"committed_at": "2026-11-12T10:00:00Z"}
    # the stream with a skipped page keeps no cursor: the next run asks for all of it again
    assert cursors.get("acme/alpha workflow_runs") is None
    assert cursors.get("acme/empty commits") is None


def test_a_refused_token_fails_the_source_with_the_variable_and_the_others_finish(tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    warehouse = tmp_path / "w.duckdb"
    with LocalServer(recorded("github/pulls/unauthorized", "pagerduty/incidents/paged")) as server:
        cfg = config(
            tmp_path,
            github=GithubSource(base_url=server.url, repos=["acme/alpha", "acme/beta"]),
            pagerduty=PagerdutySource(base_url=server.url, service_ids=["PALPHA"]),
        )
        github_report = pull_source("github", cfg, warehouse, settings=settings())
        pd_report = pull_source(
            "pagerduty", cfg, warehouse, settings=settings(history_days=30, per_page=2)
        )

    assert "401 Unauthorized" in github_report.error
    assert "set GITHUB_TOKEN to a valid" in github_report.error
    assert "acme/beta" not in server.paths()[0]
    assert all("acme/beta" not in p for p in server.paths())  # a bad token stops the source
    assert pd_report.error is None and pd_report.rows == {"incidents": 3}
    assert count(warehouse, "raw_github.pulls") == 0
    assert TOKEN not in caplog.text


def test_a_repo_whose_server_stays_down_is_reported_while_the_others_land(tmp_path):
    warehouse = tmp_path / "w.duckdb"
    down = Fault(r"^/github/repos/acme/beta/", lambda base: (502, {}, b"Bad Gateway"), times=10**6)
    export = tmp_path / "export"
    _small_github_export(export, repos=("acme/alpha", "acme/beta"))
    with LocalServer(ExportApi(export, token=TOKEN, faults=[down])) as server:
        cfg = config(
            tmp_path,
            github=GithubSource(base_url=f"{server.url}/github", repos=["acme/alpha", "acme/beta"]),
        )
        report = pull_source(
            "github", cfg, warehouse, settings=settings(policy=http.RetryPolicy(attempts=2))
        )
    assert "GET " in report.error and "/repos/acme/beta/" in report.error
    assert "failed 2 times (last: 502" in report.error
    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert con.execute("select distinct repo from raw_github.pulls").fetchall() == [
            ("acme/alpha",)
        ]
    failed = load_cursors(warehouse, "github", f"{server.url}/github")
    assert failed.get("acme/alpha pulls") is not None
    assert failed.get("acme/beta pulls") is None


# --- PagerDuty ----------------------------------------------------------------------------------


def test_pagerduty_pages_by_offset_until_more_is_false(tmp_path):
    sleeper = Sleeper()
    warehouse = tmp_path / "w.duckdb"
    with LocalServer(recorded("pagerduty/incidents/paged")) as server:
        cfg = config(
            tmp_path, pagerduty=PagerdutySource(base_url=server.url, service_ids=["PALPHA"])
        )
        report = pull_source(
            "pagerduty", cfg, warehouse, settings=settings(sleeper, history_days=30, per_page=2)
        )
    assert report.error is None and report.rows == {"incidents": 3}
    assert sleeper.waits == [1.0]  # a 429 without rate headers: backoff
    first = server.requests[0]
    assert first.headers["Authorization"] == f"Token token={TOKEN}"
    assert first.headers["Accept"] == "application/vnd.pagerduty+json;version=2"
    assert first.query["service_ids[]"] == ["PALPHA"]
    assert first.query["since"] == ["2026-10-17T00:00:00Z"]
    assert first.query["until"] == ["2026-11-16T00:00:00Z"]
    cursors = load_cursors(warehouse, "pagerduty", server.url)
    assert cursors.get("incidents services=PALPHA") == {
        "open": ["PINC003"],
        "until": "2026-11-16T00:00:00Z",
    }


def test_pagerduty_windows_respect_six_months_and_the_offset_cap(tmp_path, monkeypatch):
    export = tmp_path / "export"
    _incidents_export(export, n=900, days=400)
    warehouse = tmp_path / "w.duckdb"
    # The 10,000 offset cap, scaled down to 150 on both sides so the test stays small.
    monkeypatch.setattr("ingestion.sources.pagerduty.api.OFFSET_CAP", 150)
    with LocalServer(ExportApi(export, token=TOKEN, pagerduty_offset_cap=150)) as server:
        cfg = config(tmp_path, pagerduty=PagerdutySource(base_url=f"{server.url}/pagerduty"))
        report = pull_source(
            "pagerduty", cfg, warehouse, settings=settings(history_days=420, per_page=50)
        )
    assert report.error is None
    assert count(warehouse, "raw_pagerduty.incidents") == 900
    offsets = [int(r.query["offset"][0]) for r in server.requests]
    assert max(offsets) + 50 <= 150  # never asked past the cap: the window restarted instead
    for r in server.requests:
        since = dt.datetime.fromisoformat(r.query["since"][0].replace("Z", "+00:00"))
        until = dt.datetime.fromisoformat(r.query["until"][0].replace("Z", "+00:00"))
        assert until - since <= dt.timedelta(days=183)


# --- a whole org over HTTP equals export mode ---------------------------------------------------


def _small_github_export(root: Path, repos: tuple[str, ...]) -> None:
    for index, repo in enumerate(repos):
        folder = root / "github" / repo
        (folder / "pull_commits").mkdir(parents=True)
        (folder / "pull_reviews").mkdir()
        pulls = [
            {
                "id": 7000 + 100 * index + n,
                "number": n,
                "state": "closed",
                "title": f"Change {n}",
                "created_at": f"2026-11-{n:02d}T09:00:00Z",
                "updated_at": f"2026-11-{n:02d}T12:00:00Z",
                "merged_at": f"2026-11-{n:02d}T12:00:00Z",
                "labels": [],
            }
            for n in range(1, 6)
        ]
        (folder / "pulls.json").write_text(json.dumps(pulls))
        for n in range(1, 6):
            sha = f"{index}{n}".ljust(40, "a")
            (folder / "pull_commits" / f"{n}.json").write_text(
                json.dumps([{"sha": sha, "parents": [], "commit": {"message": "x"}}])
            )
            (folder / "pull_reviews" / f"{n}.json").write_text(
                json.dumps([{"id": 90000 + 100 * index + n, "state": "APPROVED"}])
            )
        commits = [
            {
                "sha": f"{index}{n}".ljust(40, "b"),
                "parents": [],
                "commit": {"committer": {"date": f"2026-11-{n:02d}T12:00:00Z"}},
            }
            for n in range(5, 0, -1)
        ]
        (folder / "commits.json").write_text(json.dumps(commits))
        (folder / "issues.json").write_text("[]")
        (folder / "deployments.json").write_text("[]")
        (folder / "workflow_runs.json").write_text(
            json.dumps({"total_count": 0, "workflow_runs": []})
        )


def _incidents_export(root: Path, *, n: int, days: int) -> None:
    start = dt.datetime.fromtimestamp(NOW, dt.UTC) - dt.timedelta(days=days)
    incidents = []
    for i in range(n):
        created = start + dt.timedelta(hours=i * days * 24 / n)
        stamp = created.strftime("%Y-%m-%dT%H:%M:%SZ")
        resolved = (created + dt.timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
        incidents.append(
            {
                "id": f"Q{i:05d}",
                "incident_number": i + 1,
                "title": "errors",
                "status": "resolved" if i < n - 2 else "acknowledged",
                "created_at": stamp,
                "updated_at": resolved,
                "last_status_change_at": resolved,
                "service": {"id": "PALPHA" if i % 2 else "PBETA", "type": "service_reference"},
                "urgency": "high",
            }
        )
    (root / "pagerduty").mkdir(parents=True, exist_ok=True)
    for page, start_at in enumerate(range(0, n, 100)):
        chunk = incidents[start_at : start_at + 100]
        body = {"incidents": chunk, "limit": 100, "offset": start_at, "more": start_at + 100 < n}
        name = "incidents.json" if page == 0 else f"incidents-{page + 1}.json"
        (root / "pagerduty" / name).write_text(json.dumps(body))


def write_other_sources(root: Path) -> None:
    """GitLab, Jenkins and Opsgenie in the export layout (the sample org has none of them)."""
    base = dt.datetime(2026, 8, 1, tzinfo=dt.UTC)

    def at(hours: float) -> str:
        return (base + dt.timedelta(hours=hours)).strftime("%Y-%m-%dT%H:%M:%S.000Z")

    project = root / "gitlab" / "group" / "app"
    project.mkdir(parents=True)
    mrs = [
        {
            "id": 50000 + i,
            "iid": i,
            "project_id": 77,
            "title": f"Change {i}",
            "state": "merged" if i % 5 else "opened",
            "created_at": at(i * 10),
            "updated_at": at(i * 10 + 3),
            "merged_at": at(i * 10 + 3) if i % 5 else None,
            "sha": f"{i:040x}",
            "merge_commit_sha": f"{i + 1000:040x}" if i % 5 else None,
            "source_branch": f"feature/{i}",
            "target_branch": "main",
            "labels": ["hotfix"] if i == 7 else [],
            "web_url": f"https://gitlab.example.com/group/app/-/merge_requests/{i}",
        }
        for i in range(1, 131)
    ]
    (project / "merge_requests.json").write_text(json.dumps(mrs[:100]))
    (project / "merge_requests-2.json").write_text(json.dumps(mrs[100:]))
    pipelines = [
        {
            "id": 880000 + i,
            "iid": i,
            "project_id": 77,
            "sha": f"{i + 1000:040x}",
            "ref": "main",
            "status": "success" if i % 7 else "failed",
            "source": "push",
            "created_at": at(i * 10 + 3),
            "updated_at": at(i * 10 + 4),
            "started_at": at(i * 10 + 3.1),
            "finished_at": at(i * 10 + 3.9),
            "duration": 2880,
            "web_url": f"https://gitlab.example.com/group/app/-/pipelines/{880000 + i}",
        }
        for i in range(1, 121)
    ]
    (project / "pipelines.json").write_text(json.dumps(pipelines[:100]))
    (project / "pipelines-2.json").write_text(json.dumps(pipelines[100:]))
    deployments = [
        {
            "id": 990000 + i,
            "iid": i,
            "ref": "main",
            "sha": f"{i * 3 + 1000:040x}",
            "created_at": at(i * 30 + 4),
            "updated_at": at(i * 30 + 4.5),
            "status": "success",
            "environment": {"id": 5, "name": "production"},
            "deployable": {"id": 123 + i, "status": "success", "finished_at": at(i * 30 + 4.4)},
        }
        for i in range(1, 26)
    ]
    (project / "deployments.json").write_text(json.dumps(deployments))

    start_ms = int(base.timestamp() * 1000)
    for job, n in (("deploy-app", 230), ("platform/deploy-api", 12)):
        builds = [
            {
                "_class": "hudson.model.FreeStyleBuild",
                "number": k,
                "url": f"https://ci.example.com/job/{job}/{k}/",
                "result": None if k == n else ("SUCCESS" if k % 9 else "FAILURE"),
                "building": k == n,
                "timestamp": start_ms + k * 3_600_000,
                "duration": 0 if k == n else 95_000,
                "displayName": f"#{k}",
                "id": str(k),
                "actions": [
                    {
                        "_class": "hudson.model.ParametersAction",
                        "parameters": [{"name": "ENVIRONMENT", "value": "production"}],
                    },
                    {
                        "_class": "hudson.plugins.git.util.BuildData",
                        "lastBuiltRevision": {"SHA1": f"{k + 1000:040x}"},
                    },
                ],
            }
            for k in range(n, 0, -1)
        ]
        folder = root / "jenkins" / job
        folder.mkdir(parents=True)
        (folder / "builds.json").write_text(
            json.dumps({"_class": "hudson.model.FreeStyleProject", "allBuilds": builds})
        )

    alerts = [
        {
            "id": f"70a{i:05d}-aaaa-bbbb-cccc-000000000000",
            "tinyId": str(i),
            "alias": f"alias-{i}",
            "message": "High error rate",
            "status": "closed" if i < 149 else "open",
            "acknowledged": True,
            "isSeen": True,
            "tags": ["checkout"],
            "snoozed": False,
            "count": 1,
            "lastOccurredAt": at(i * 5),
            "createdAt": at(i * 5),
            "updatedAt": at(i * 5 + 1.5),
            "source": "grafana",
            "owner": "oncall@acme.example",
            "priority": "P2",
            "teams": [{"id": "team-1"}],
            "responders": [{"type": "team", "id": "team-1"}],
            "report": {"ackTime": 60000, "closeTime": 5_400_000, "closedBy": "oncall"},
        }
        for i in range(1, 151)
    ]
    (root / "opsgenie").mkdir()
    (root / "opsgenie" / "alerts.json").write_text(json.dumps({"data": alerts[:100]}))
    (root / "opsgenie" / "alerts-2.json").write_text(json.dumps({"data": alerts[100:]}))


def api_config(export: Path, server: LocalServer, repos: list[str]) -> StatureConfig:
    """Every source pointed at `server`; the config lives in the export directory."""
    return config(
        export,
        github=GithubSource(base_url=f"{server.url}/github", repos=repos),
        gitlab=GitlabSource(base_url=f"{server.url}/gitlab/api/v4", projects=["group/app"]),
        jenkins=JenkinsSource(
            base_url=f"{server.url}/jenkins", jobs=["deploy-app", "platform/deploy-api"]
        ),
        pagerduty=PagerdutySource(base_url=f"{server.url}/pagerduty"),
        opsgenie=OpsgenieSource(base_url=f"{server.url}/opsgenie"),
        catalog=PathsSource(paths=["catalog/*.yaml"]),
        inputs=PathsSource(paths=["inputs/*.csv"]),
    )


def pull_all(cfg: StatureConfig, warehouse: Path, **kw: Any) -> dict[str, Any]:
    return {s: pull_source(s, cfg, warehouse, **kw) for s in SOURCES}


MISBEHAVIOUR = [
    Fault(
        r"/github/repos/acme/checkout-api/pulls\?",
        lambda base: (
            403,
            {"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(int(NOW) + 30)},
            b'{"message": "API rate limit exceeded"}',
        ),
    ),
    Fault(r"/github/.*/commits", lambda base: (429, {"Retry-After": "3"}, b"{}"), times=2),
    Fault(r"/github/.*/deployments/\d+/statuses", lambda base: (502, {}, b"<html>502</html>")),
    Fault(r"/pagerduty/incidents\?.*offset=0", lambda base: (503, {}, b"")),
    Fault(r"/gitlab/.*/pipelines/\d+", lambda base: (500, {}, b"{}"), times=3),
    Fault(r"/jenkins/job/deploy-app/", lambda base: (504, {}, b"Gateway Timeout")),
    Fault(r"/opsgenie/", lambda base: (429, {}, b'{"message": "rate limit"}')),
]


@dataclass
class OrgOverHttp:
    export: Path
    by_export: Path
    by_api: Path
    reports: dict[str, Any]
    waits: list[float]
    requests: list[Request]


@pytest.fixture(scope="module")
def org_over_http(tmp_path_factory) -> OrgOverHttp:
    """The sample org (plus GitLab, Jenkins, Opsgenie) landed twice: from its export
    directory, and over HTTP from a fake API that misbehaves along the way."""
    from ingestion.sample_org import generate_sample_org

    root = tmp_path_factory.mktemp("org_over_http")
    export = root / "export"
    generate_sample_org(export, end=dt.date(2026, 11, 15), days=120)
    write_other_sources(export)
    by_export = root / "export.duckdb"
    assert ingest_export(export, by_export).ok

    by_api = root / "api.duckdb"
    sleeper = Sleeper()
    with LocalServer(ExportApi(export, token=TOKEN, faults=MISBEHAVIOUR)) as server:
        # The config sits beside catalog/ and inputs/, as a user's would; no repos listed:
        # they come from the catalog's github.com/project-slug annotations.
        cfg = api_config(export, server, repos=[])
        reports = pull_all(cfg, by_api, settings=settings(sleeper, history_days=400))
    return OrgOverHttp(export, by_export, by_api, reports, sleeper.waits, server.requests)


@pytest.mark.slow
def test_the_sample_org_over_http_lands_exactly_what_export_mode_lands(org_over_http):
    org = org_over_http
    assert {s: r.error for s, r in org.reports.items()} == dict.fromkeys(SOURCES)
    assert all(not r.rejected for r in org.reports.values())
    assert 31.0 in org.waits and 3.0 in org.waits  # the faults were really met

    assert snapshot(org.by_api) == snapshot(org.by_export)
    assert count(org.by_api, "raw_github.pulls") > 100
    assert count(org.by_api, "raw_jenkins.builds") == 242
    assert count(org.by_api, "raw_opsgenie.alerts") == 150
    # GitLab: keyset where offered (pipelines), offset + Link where refused with 405 (MRs)
    targets = [r.target for r in org.requests]
    assert any("pipelines?" in t and "cursor=" in t for t in targets)
    assert any("merge_requests?" in t and "pagination=keyset" in t for t in targets)
    assert any("merge_requests?" in t and "page=2" in t for t in targets)
    # Jenkins: allBuilds ranges, 100 at a time
    ranges = [r.query["tree"][0][-9:] for r in org.requests if "tree" in r.query]
    assert "{200,300}" in ranges


@pytest.mark.slow
def test_the_sample_org_over_http_gives_the_same_marts(org_over_http, tmp_path):
    from tests.test_dbt_models import run_dbt

    marts = {}
    for name, warehouse in (("export", org_over_http.by_export), ("api", org_over_http.by_api)):
        copy = tmp_path / f"{name}.duckdb"
        shutil.copyfile(warehouse, copy)
        for step in ("seed", "run"):
            result = run_dbt(copy, tmp_path / name, step)
            assert result.returncode == 0, result.stdout[-3000:]
        with duckdb.connect(str(copy), read_only=True) as con:
            tables = con.execute(
                "select table_name from information_schema.tables "
                "where table_schema = 'marts' order by 1"
            ).fetchall()
            marts[name] = {
                t: con.execute(f"select * from marts.{t} order by all").fetchall()
                for (t,) in tables
            }
    assert marts["api"].keys() == marts["export"].keys() and marts["api"]
    for table in marts["export"]:
        assert marts["api"][table] == marts["export"][table], table


@pytest.mark.slow
def test_a_nightly_run_asks_only_for_what_changed_and_twice_changes_nothing(tmp_path):
    from ingestion.sample_org import generate_sample_org

    export = tmp_path / "export"
    generate_sample_org(export, end=dt.date(2026, 11, 15), days=60)
    write_other_sources(export)
    warehouse = tmp_path / "w.duckdb"
    with LocalServer(ExportApi(export, token=TOKEN)) as server:
        cfg = api_config(export, server, repos=[])
        pull_all(cfg, warehouse, settings=settings(history_days=120))
        first = snapshot(warehouse, drop=())
        first_requests = len(server.requests)

        server.requests.clear()
        reports = pull_all(cfg, warehouse, settings=settings(history_days=120))
        assert all(r.error is None for r in reports.values())
        assert snapshot(warehouse, drop=()) == first  # identical, provenance included
        targets = server.paths()
        assert len(targets) < first_requests / 3
        pulls = [t for t in targets if t.startswith("/github/repos/acme/checkout-api/pulls?")]
        assert len(pulls) == 1  # newest-updated first: page 1 reached the cursor
        assert any("/commits?" in t and "since=" in t for t in targets)
        assert any("/issues?" in t and "since=" in t for t in targets)
        assert any("/actions/runs?" in t and "created=%3E%3D" in t for t in targets)
        assert any("updated_after=" in t for t in targets if t.startswith("/gitlab/"))
        jenkins = [t for t in targets if t.startswith("/jenkins/job/deploy-app/")]
        assert len(jenkins) == 1  # the running build is on the first range
        pd = [t for t in targets if t.startswith("/pagerduty/incidents?")]
        assert all("since=2026-11-15T23%3A00%3A00Z" in t for t in pd)

        # Something changes upstream: a PR is edited, an open incident is resolved.
        repo = export / "github" / "acme" / "checkout-api"
        pulls_page = json.loads((repo / "pulls.json").read_text())
        pulls_page[-1]["updated_at"] = "2026-11-15T23:59:00Z"
        pulls_page[-1]["title"] = "edited after the first pull"
        (repo / "pulls.json").write_text(json.dumps(pulls_page))
        incidents = export / "pagerduty" / "incidents.json"
        body = json.loads(incidents.read_text())
        still_open = [i for i in body["incidents"] if i["status"] != "resolved"]
        for i in still_open:
            i["status"] = "resolved"
            i["updated_at"] = i["last_status_change_at"] = "2026-11-15T23:30:00Z"
        incidents.write_text(json.dumps(body))
        pull_all(cfg, warehouse, settings=settings(history_days=120))

    with duckdb.connect(str(warehouse), read_only=True) as con:
        titles = con.execute(
            "select payload->>'title' from raw_github.pulls where repo = 'acme/checkout-api' "
            "and number = ? order by updated_at",
            [pulls_page[-1]["number"]],
        ).fetchall()
        assert titles[-1] == ("edited after the first pull",)
        for i in still_open:
            statuses = con.execute(
                "select payload->>'status' from raw_pagerduty.incidents where incident_id = ? "
                "order by updated_at",
                [i["id"]],
            ).fetchall()
            assert statuses[-1] == ("resolved",)


# --- secrets and snapshots ----------------------------------------------------------------------


@pytest.mark.slow
def test_no_token_in_any_file_written_and_a_saved_export_replays_the_same(tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    export = tmp_path / "export"
    _small_github_export(export, repos=("acme/alpha",))
    _incidents_export(export, n=30, days=20)
    write_other_sources(export)
    (export / "catalog").mkdir()
    (export / "catalog" / "alpha.yaml").write_text(
        "apiVersion: backstage.io/v1alpha1\nkind: Component\n"
        "metadata:\n  name: alpha\n  annotations:\n    github.com/project-slug: acme/alpha\n"
        "spec: {type: service, lifecycle: production, owner: team-a}\n"
    )
    (export / "inputs").mkdir()
    (export / "inputs" / "people.csv").write_text(
        "period,entity_type,entity_id,measure_id,value\n2026-Q3,org,acme,enps,31\n"
    )
    leaky = [
        # a server that echoes the credentials in an error body and in headers
        Fault(r"/github/repos/acme/alpha/commits", lambda b: (500, {}, f"bad {TOKEN}".encode())),
    ]
    warehouse = tmp_path / "data" / "w.duckdb"
    saved = tmp_path / "snapshot"
    with LocalServer(ExportApi(export, token=TOKEN, faults=leaky, echo_auth=True)) as server:
        cfg = api_config(export, server, repos=[])
        reports = pull_all(cfg, warehouse, save_export=saved, settings=settings(history_days=30))
        # a wrong token too: the 401 body quotes it back
        wrong = {**ENV, "PAGERDUTY_TOKEN": TOKEN + "-wrong"}
        refused = pull_source("pagerduty", cfg, warehouse, settings=settings(env=wrong))
    assert {s: r.error for s, r in reports.items()} == dict.fromkeys(SOURCES)
    assert "PAGERDUTY_TOKEN" in refused.error and TOKEN not in refused.error

    assert_no_token_in_files(tmp_path, but=export)
    assert TOKEN not in caplog.text
    assert TOKEN not in "".join(str(r.error) for r in reports.values())

    # The snapshot replays, through export mode, to the same raw tables.
    replayed = tmp_path / "replayed.duckdb"
    report = ingest_export(saved, replayed, known_repos=["acme/alpha"])
    assert report.ok, report.lines()
    assert snapshot(replayed) == snapshot(warehouse)
    assert (saved / "github" / "acme" / "alpha" / "pulls.json").is_file()
    assert (saved / "catalog" / "alpha.yaml").is_file()
    with pytest.raises(Exception, match="already holds an export"):
        pull_source("github", cfg, warehouse, save_export=saved, settings=settings())


MONO_CATALOG = """\
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: payments
  annotations:
    github.com/project-slug: acme/mono
    stature.dev/paths: services/payments/**
spec: {type: service, lifecycle: production, owner: team-a}
"""


def test_a_monorepos_pr_files_and_commit_files_are_pulled_page_by_page_and_once(tmp_path):
    """A repo the catalog maps with stature.dev/paths gets its PR files and each commit's files
    (the single-commit response's `files`, paged with Link like the PR files); the next run
    asks again for the changed PR's files but not for files of commits already landed."""
    (tmp_path / "catalog").mkdir()
    (tmp_path / "catalog" / "mono.yaml").write_text(MONO_CATALOG)
    warehouse = tmp_path / "w.duckdb"
    api = recorded("github/*/mono")
    with LocalServer(api) as server:
        cfg = config(
            tmp_path,
            github=GithubSource(base_url=server.url),
            catalog=PathsSource(paths=["catalog/*.yaml"]),
        )
        report = pull_source("github", cfg, warehouse, settings=settings())
        assert report.error is None and not report.rejected
        assert report.rows == {
            "pulls": 1,
            "pull_commits": 1,
            "pull_reviews": 0,
            "pull_files": 3,  # two pages
            "commits": 2,
            "commit_files": 4,  # the merge commit's two pages, and the first commit's
            "deployments": 0,
            "deployment_statuses": 0,
            "workflow_runs": 0,
            "issues": 0,
        }
        again = pull_source("github", cfg, warehouse, settings=settings())
        assert again.error is None and again.rows["commit_files"] == 0
    merge, base = "5" * 40, "9" * 40
    assert api.served[f"/repos/acme/mono/commits/{merge}?[]"] == 1  # not asked again
    assert api.served[f"/repos/acme/mono/commits/{base}?[]"] == 1
    assert api.served["/repos/acme/mono/pulls/7/files?[]"] == 2  # the PR is asked again
    with duckdb.connect(str(warehouse), read_only=True) as con:
        landed = con.execute(
            "select 'pr', pr_number::varchar, filename from raw_github.pull_files "
            "union all select 'commit', sha, filename from raw_github.commit_files order by all"
        ).fetchall()
        previous = con.execute(
            "select payload->>'previous_filename' from raw_github.pull_files "
            "where filename = 'services/payments/client.py'"
        ).fetchone()
    client = "services/payments/client.py"
    assert landed == [
        ("commit", merge, "libs/common/http.py"),
        ("commit", merge, client),
        ("commit", merge, "services/payments/retry.py"),
        ("commit", base, "README.md"),
        ("pr", "7", "libs/common/http.py"),
        ("pr", "7", client),
        ("pr", "7", "services/payments/retry.py"),
    ]
    assert previous == ("services/payments/old_client.py",)
