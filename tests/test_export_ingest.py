"""Export-mode ingestion into a real DuckDB file through dlt: bad input is rejected with its
file, key and reason while everything else lands, and re-loading changes nothing."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from ingestion import ingest_export
from ingestion.registry import RAW_TABLES

CATALOG = """\
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: alpha
  annotations:
    github.com/project-slug: acme/alpha
spec: {type: service, lifecycle: production, owner: team-a}
---
apiVersion: backstage.io/v1alpha1
kind: Group
metadata: {name: team-a}
spec: {type: team, profile: {displayName: Team A}}
"""


def _pr(number: int, updated: str) -> dict:
    return {
        "id": 1000 + number,
        "number": number,
        "title": f"Change {number}",
        "state": "closed",
        "created_at": "2026-01-05T09:00:00Z",
        "updated_at": updated,
        "merged_at": "2026-01-05T12:00:00Z",
        "merge_commit_sha": f"{number:040x}",
        "labels": [{"name": "feature"}],
    }


def write_export(root: Path, *, broken: bool) -> Path:
    repo = root / "github" / "acme" / "alpha"
    (repo / "pull_commits").mkdir(parents=True)
    (root / "catalog").mkdir()
    (root / "catalog" / "alpha.yaml").write_text(CATALOG)
    pulls = [_pr(1, "2026-01-05T12:00:00Z"), _pr(2, "2026-01-06T12:00:00Z")]
    if broken:
        pulls.append({"title": "no number, no id"})
    (repo / "pulls.json").write_text(json.dumps(pulls))
    (repo / "pulls-2.json").write_text(json.dumps([_pr(3, "2026-01-07T12:00:00Z")]))
    commits = [{"sha": "a" * 40, "parents": [], "commit": {"message": "init"}}]
    (repo / "commits.json").write_text(json.dumps(commits))
    (repo / "pull_commits" / "1.json").write_text(json.dumps([{"sha": "b" * 40}]))
    (repo / "issues.json").write_text(
        json.dumps(
            [
                {
                    "number": 7,
                    "updated_at": "2026-01-08T00:00:00Z",
                    "labels": [{"name": "incident"}],
                },
                {"number": 3, "updated_at": "2026-01-07T12:00:00Z", "pull_request": {"url": "x"}},
            ]
        )
    )
    (root / "pagerduty").mkdir()
    incidents = {
        "incidents": [{"id": "PINC1", "created_at": "2026-01-05T13:00:00Z", "status": "resolved"}],
        "limit": 100,
        "offset": 0,
        "more": False,
    }
    (root / "pagerduty" / "incidents.json").write_text(json.dumps(incidents))
    if broken:
        (repo / "deployments.json").write_text('[{"id": 1, "sha": "abc"')  # truncated page
        stranger = root / "github" / "acme" / "stranger"
        stranger.mkdir(parents=True)
        (stranger / "pulls.json").write_text(json.dumps([_pr(9, "2026-01-05T12:00:00Z")]))
    return root


def data_snapshot(warehouse: Path) -> dict[str, list[tuple]]:
    """Every raw table's rows, without dlt's own bookkeeping columns."""
    out = {}
    with duckdb.connect(str(warehouse), read_only=True) as con:
        for table in RAW_TABLES:
            columns = ", ".join(table.all_columns)
            out[f"{table.schema}.{table.name}"] = con.execute(
                f"select {columns} from {table.schema}.{table.name} order by all"
            ).fetchall()
        out["rejected"] = con.execute(
            "select source, file, record_key, reason from raw_github._rejected order by all"
        ).fetchall()
    return out


def test_broken_export_lands_good_records_and_rejects_bad(tmp_path):
    export = write_export(tmp_path / "export", broken=True)
    warehouse = tmp_path / "w.duckdb"
    report = ingest_export(export, warehouse)

    assert not report.ok and report.failed_sources == []
    assert report.sources["github"].rows["pulls"] == 3  # pages 1 and 2, not the bad record
    assert report.sources["github"].skipped == {"pull requests in the issues list": 1}
    reasons = {(r.file, r.record_key): r.reason for r in report.rejected}
    assert reasons[("github/acme/alpha/pulls.json", "item 3")] == "missing required field 'number'"
    assert reasons[("github/acme/alpha/deployments.json", None)].startswith(
        "invalid JSON at line 1"
    )
    assert (
        "repo acme/stranger is not in the catalog"
        in reasons[("github/acme/stranger", "acme/stranger")]
    )
    assert len(report.rejected) == 3

    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert con.execute("select list(number order by number) from raw_github.pulls").fetchone()[
            0
        ] == [1, 2, 3]
        assert con.execute("select count(*) from raw_github.issues").fetchone()[0] == 1
        assert con.execute("select count(*) from raw_github._rejected").fetchone()[0] == 3
        # the full object is kept beside the keys
        title = con.execute(
            "select payload->>'title' from raw_github.pulls where number = 2"
        ).fetchone()[0]
        assert title == "Change 2"
        # sources without data still have their (empty) tables, so dbt sources resolve
        assert con.execute("select count(*) from raw_gitlab.merge_requests").fetchone()[0] == 0
        assert con.execute("select count(*) from raw_pagerduty.incidents").fetchone()[0] == 1


def test_ingesting_the_same_export_twice_changes_nothing(tmp_path):
    export = write_export(tmp_path / "export", broken=True)
    warehouse = tmp_path / "w.duckdb"
    ingest_export(export, warehouse)
    first = data_snapshot(warehouse)
    ingest_export(export, warehouse)
    assert data_snapshot(warehouse) == first


def test_a_newer_version_is_kept_beside_the_old_one_and_an_old_dump_changes_nothing(tmp_path):
    export = write_export(tmp_path / "export", broken=False)
    warehouse = tmp_path / "w.duckdb"
    ingest_export(export, warehouse)
    pulls = export / "github" / "acme" / "alpha" / "pulls.json"
    old = pulls.read_text()
    newer = json.loads(old)
    newer[0]["updated_at"] = "2026-02-01T00:00:00Z"
    newer[0]["title"] = "Change 1, edited"
    pulls.write_text(json.dumps(newer))
    ingest_export(export, warehouse)
    pulls.write_text(old)  # an older dump replayed afterwards
    ingest_export(export, warehouse)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        versions = con.execute(
            "select updated_at::varchar, payload->>'title' from raw_github.pulls "
            "where number = 1 order by updated_at"
        ).fetchall()
    assert [v[1] for v in versions] == ["Change 1", "Change 1, edited"]


@pytest.mark.parametrize(
    "csv_text, reason",
    [
        ("period,entity_type,entity_id,measure_id,value\n2026-13,team,a,enps,1\n", "is not a date"),
        (
            "period,entity_type,entity_id,measure_id,value\n2026-Q1,squad,a,enps,1\n",
            "must be one of",
        ),
        (
            "period,entity_type,entity_id,measure_id,value\n2026-Q1,team,a,enps,lots\n",
            "is not a number",
        ),
        (
            "period,entity,entity_id,measure_id,value\n2026-Q1,team,a,enps,1\n",
            "header lacks column",
        ),
    ],
)
def test_bad_csv_rows_are_rejected_with_line(tmp_path, csv_text, reason):
    export = tmp_path / "export"
    (export / "inputs").mkdir(parents=True)
    good = "period,entity_type,entity_id,measure_id,value\n2026-Q1,org,org,enps,12\n"
    (export / "inputs" / "good.csv").write_text(good)
    (export / "inputs" / "bad.csv").write_text(csv_text)
    report = ingest_export(export, tmp_path / "w.duckdb", sources=["inputs"])
    [rejected] = report.rejected
    assert rejected.file == "inputs/bad.csv"
    assert reason in rejected.reason
    assert report.sources["inputs"].rows["measures"] == 1


def test_commit_files_name_their_commit_by_sha_and_bad_ones_are_set_aside(tmp_path):
    """A commit's files land under its sha, from the single-commit response or a bundle line;
    a file not named by a sha, a bundle line without one and a file entry without a filename
    are rejected with their place, and the rest lands."""
    export = write_export(tmp_path / "export", broken=False)
    repo = export / "github" / "acme" / "alpha"
    (repo / "commit_files").mkdir()
    sha = "ab" * 20
    (repo / "commit_files" / f"{sha.upper()}.json").write_text(
        json.dumps({"sha": sha, "files": [{"filename": "a/x.py"}, {"status": "added"}]})
    )
    (repo / "commit_files" / "HEAD.json").write_text(json.dumps([{"filename": "b.py"}]))
    lines = [{"sha": "cd" * 20, "items": [{"filename": "c.py"}]}, {"number": 3, "items": []}]
    (repo / "commit_files.ndjson").write_text("".join(json.dumps(x) + "\n" for x in lines))
    (repo / "pull_files").mkdir()
    (repo / "pull_files" / "1.json").write_text(json.dumps([{"filename": "a/y.py"}]))
    warehouse = tmp_path / "w.duckdb"
    report = ingest_export(export, warehouse)

    reasons = {(r.file, r.record_key): r.reason for r in report.rejected}
    assert reasons == {
        (f"github/acme/alpha/commit_files/{sha.upper()}.json", "item 2"): (
            "missing required field 'filename'"
        ),
        ("github/acme/alpha/commit_files/HEAD.json", "HEAD"): "file name must be the sha",
        ("github/acme/alpha/commit_files.ndjson", "line 2"): (
            'line 2: expected {"sha": "<sha>", "items": [...]}; the line was set aside'
        ),
    }
    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert con.execute(
            "select sha, filename from raw_github.commit_files order by all"
        ).fetchall() == [(sha, "a/x.py"), ("cd" * 20, "c.py")]
        assert con.execute("select pr_number, filename from raw_github.pull_files").fetchall() == [
            (1, "a/y.py")
        ]
