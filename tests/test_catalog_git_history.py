"""API mode: the catalog's history read from the commits of each catalog-info file, through a
real HTTP server replaying recorded GitHub pages (tests/fixtures/catalog/git_history).

checkout's catalog-info.yaml has three commits: 2026-06-01 (tier-2, team-a), 2026-11-10 09:00
(tier-3) and 2026-11-10 15:00 (tier-1, team-b); the list comes in two Link pages. A day keeps
its newest commit, so two versions land. search's file (a managed-by-location path) was
deleted by its only commit: no version.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import duckdb

from dagster_project.config import GithubSource, PathsSource, SourcesConfig, StatureConfig
from ingestion import ApiSettings, http, pull_source
from tests.support.replay_server import LocalServer, RecordedApi

os.environ.setdefault("RUNTIME__DLTHUB_TELEMETRY", "false")
FIXTURES = Path(__file__).parent / "fixtures" / "catalog" / "git_history"
TOKEN = "ghp_CANARY0123456789abcdefCANARY"
NOW = dt.datetime(2026, 11, 16, tzinfo=dt.UTC).timestamp()

CATALOG = """\
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: checkout
  annotations:
    github.com/project-slug: acme/checkout
    stature.dev/tier: tier-1
spec: {type: service, owner: team-b, lifecycle: production}
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: search
  annotations:
    github.com/project-slug: acme/search
    backstage.io/managed-by-location: url:https://github.com/acme/search/blob/main/.backstage/catalog-info.yaml
spec: {type: service, owner: team-a, lifecycle: production}
"""


def settings() -> ApiSettings:
    return ApiSettings(
        policy=http.RetryPolicy(timeout=(2.0, 2.0)),
        sleep=lambda seconds: None,
        clock=lambda: NOW,
        env={"GITHUB_TOKEN": TOKEN},
    )


def test_the_catalog_history_is_read_from_the_catalog_files_commits(tmp_path):
    (tmp_path / "catalog").mkdir()
    (tmp_path / "catalog" / "all.yaml").write_text(CATALOG)
    warehouse = tmp_path / "warehouse.duckdb"
    api = RecordedApi.from_fixtures(FIXTURES)
    with LocalServer(api) as server:
        config = StatureConfig(
            sources=SourcesConfig(
                github=GithubSource(base_url=server.url, repos=[]),
                catalog=PathsSource(paths=["catalog/*.yaml"]),
            ),
            base_dir=tmp_path,
        )
        report = pull_source("catalog", config, warehouse, settings=settings())
        first = [r.target for r in server.requests]
        again = pull_source("catalog", config, warehouse, settings=settings())
        second = [r.target for r in server.requests][len(first) :]
    assert report.error is None and again.error is None
    assert report.rows["entity_versions"] == 2
    assert report.skipped == {"catalog files deleted by a commit": 1}
    # The day's earlier commit (2222...) is never fetched; the token went in a header only.
    assert sorted(t for t in first if "/contents/" in t) == [
        "/repos/acme/checkout/contents/catalog-info.yaml?ref=" + "1" * 40,
        "/repos/acme/checkout/contents/catalog-info.yaml?ref=" + "3" * 40,
        "/repos/acme/search/contents/.backstage/catalog-info.yaml?ref=" + "4" * 40,
    ]
    assert all(r.headers.get("Authorization") == f"Bearer {TOKEN}" for r in server.requests)
    # The next run asks only for commits since the newest one seen.
    assert (
        "/repos/acme/checkout/commits?path=catalog-info.yaml&per_page=100"
        "&since=2026-11-10T15%3A00%3A00Z"
    ) in second
    assert not [t for t in second if "/contents/catalog-info.yaml" in t and "acme/checkout" in t]
    with duckdb.connect(str(warehouse), read_only=True) as con:
        got = con.execute(
            "select name, valid_from, payload->>'$.metadata.annotations.\"stature.dev/tier\"', "
            "payload->>'$.spec.owner', source_file from raw_catalog.entity_versions order by all"
        ).fetchall()
    contents = f"{server.url}/repos/acme/checkout/contents/catalog-info.yaml"
    assert got == [
        ("checkout", dt.date(2026, 6, 1), "tier-2", "team-a", contents),
        ("checkout", dt.date(2026, 11, 10), "tier-1", "team-b", contents),
    ]
