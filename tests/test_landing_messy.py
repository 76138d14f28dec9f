"""One messy export folder landed for real: the good records land and each kind of bad record
(wrong type, missing key, bad timestamp, duplicate, unknown file, truncated file and line) is
rejected with exactly the row the faster landing must keep writing. Expected values are worked
out by hand from the files below."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb

from ingestion import ingest_export

ALPHA = """\
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
spec: {type: team}
"""
# the same component declared a second time, in another file
COPY = """\
apiVersion: backstage.io/v1alpha1
kind: Component
metadata: {name: alpha}
spec: {type: service, lifecycle: experimental, owner: team-a}
"""
SET_ASIDE = "the record was set aside: correct it at the source (or in the export) and load again"


def _pr(number: int, updated: str, title: str, **fields: object) -> dict:
    return {"id": 100 + number, "number": number, "title": title, "updated_at": updated, **fields}


def write_messy_export(root: Path) -> Path:
    (root / "catalog").mkdir(parents=True)
    (root / "catalog" / "alpha.yaml").write_text(ALPHA)
    (root / "catalog" / "copy.yaml").write_text(COPY)
    repo = root / "github" / "acme" / "alpha"
    repo.mkdir(parents=True)
    pulls = [
        _pr(1, "2026-01-05T12:00:00Z", "first"),
        _pr(2, "2026-01-05T12:00:00Z", "wrong type", id="two"),
        {"title": "no number, no id"},
        _pr(4, "yesterday", "bad timestamp"),
        _pr(5, "2026-01-06T10:30:00+02:00", "another zone"),
        _pr(1, "2026-01-05T12:00:00Z", "again"),  # #1 again, same version: the last one lands
    ]
    (repo / "pulls.json").write_text(json.dumps(pulls))
    (repo / "pulls-2.json").write_text(json.dumps([_pr(6, "2026-01-07T00:00:00Z", "page 2")]))
    (repo / "deployments.json").write_text('[{"id": 1, "sha": "abc"')  # truncated page
    (repo / "pulls.txt").write_text("not an export file\n")
    lines = [
        json.dumps({"number": 1, "items": [{"sha": "A" * 40}, {"sha": "b" * 40}]}),
        '{"number": 2, "items": [',  # a line cut short
        json.dumps({"number": 5, "items": [{"sha": "c" * 40}, {"message": "no sha"}]}),
    ]
    (repo / "pull_commits.ndjson").write_text("\n".join(lines) + "\n")
    return root


def _rows(con: duckdb.DuckDBPyConnection, sql: str) -> list[tuple]:
    return con.execute(sql).fetchall()


def test_a_messy_export_lands_the_good_records_and_rejects_each_bad_one_exactly(tmp_path):
    export = write_messy_export(tmp_path / "export")
    warehouse = tmp_path / "w.duckdb"
    report = ingest_export(export, warehouse, sources=["catalog", "github"])

    assert report.failed_sources == []
    # rows read (and handed to the merge): #1 twice, #5, #6; two commits of #1, one of #5
    assert report.sources["github"].rows == {
        "pulls": 4,
        "pull_commits": 3,
        "pull_reviews": 0,
        "pull_files": 0,
        "commit_files": 0,
        "commits": 0,
        "deployments": 0,
        "deployment_statuses": 0,
        "workflow_runs": 0,
        "issues": 0,
    }
    assert report.sources["catalog"].rows == {"entities": 2, "entity_versions": 0}

    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert _rows(
            con,
            "select repo, number, id, updated_at::varchar, payload->>'title', source_file "
            "from raw_github.pulls order by number",
        ) == [
            ("acme/alpha", 1, 101, "2026-01-05 12:00:00+00", "again", "github/acme/alpha/pulls.json"),
            # 10:30 at +02:00 is 08:30 UTC
            ("acme/alpha", 5, 105, "2026-01-06 08:30:00+00", "another zone", "github/acme/alpha/pulls.json"),
            ("acme/alpha", 6, 106, "2026-01-07 00:00:00+00", "page 2", "github/acme/alpha/pulls-2.json"),
        ]  # fmt: skip
        assert _rows(
            con,
            "select repo, pr_number, sha, source_file from raw_github.pull_commits order by all",
        ) == [
            ("acme/alpha", 1, "A" * 40, "github/acme/alpha/pull_commits.ndjson"),
            ("acme/alpha", 1, "b" * 40, "github/acme/alpha/pull_commits.ndjson"),
            ("acme/alpha", 5, "c" * 40, "github/acme/alpha/pull_commits.ndjson"),
        ]
        assert _rows(
            con, "select kind, namespace, name, source_file from raw_catalog.entities order by all"
        ) == [
            ("Component", "default", "alpha", "catalog/alpha.yaml"),
            ("Group", "default", "team-a", "catalog/alpha.yaml"),
        ]
        rejected = (
            "select source, file, record_key, field, value, reason from {} order by file, "
            "record_key"
        )
        assert _rows(con, rejected.format("raw_github._rejected")) == [
            (
                "github",
                "github/acme/alpha/deployments.json",
                "",
                None,
                None,
                "invalid JSON at line 1 column 24: Expecting ',' delimiter; "
                "the whole file was skipped: fix or re-export it",
            ),
            (
                "github",
                "github/acme/alpha/pull_commits.ndjson",
                "line 2",
                None,
                None,
                "invalid JSON at line 2 column 1: Expecting value; the line was set aside",
            ),
            (
                "github",
                "github/acme/alpha/pull_commits.ndjson",
                "line 3 item 2",
                "sha",
                None,
                "missing required field 'sha'",
            ),
            (
                "github",
                "github/acme/alpha/pulls.json",
                "#2",
                "id",
                "two",
                f"field 'id' is not an integer: got text 'two'; {SET_ASIDE}",
            ),
            (
                "github",
                "github/acme/alpha/pulls.json",
                "#4",
                "updated_at",
                "yesterday",
                "field 'updated_at' is not an ISO-8601 timestamp (2026-01-05T09:00:00Z): "
                f"got text 'yesterday'; {SET_ASIDE}",
            ),
            (
                "github",
                "github/acme/alpha/pulls.json",
                "item 3",
                "number",
                None,
                "missing required field 'number'",
            ),
            (
                "github",
                "github/acme/alpha/pulls.txt",
                "",
                None,
                None,
                "skipped: file name matches no export pattern "
                "(expected pulls.json, pulls-2.json, ...)",
            ),
        ]
        assert _rows(con, rejected.format("raw_catalog._rejected")) == [
            (
                "catalog",
                "catalog/copy.yaml",
                "document 1 (line 1)",
                None,
                None,
                "duplicate Component/default/alpha: first declared in catalog/alpha.yaml "
                "document 1 (line 1); this one (catalog/copy.yaml document 1 (line 1)) was set "
                "aside: keep one of them",
            ),
        ]
        # Only the files landed without a rejection are in the manifest: the others are read
        # (and reported) again on the next run.
        assert _rows(con, "select source, path from raw_meta.export_files order by all") == [
            ("catalog", "catalog/alpha.yaml"),
            ("github", "github/acme/alpha/pulls-2.json"),
        ]

    # Landing it again changes nothing: the files with a rejection are read again (pulls-2.json
    # is not), the same rows land, and each rejection is kept once.
    def everything() -> list[list[tuple]]:
        with duckdb.connect(str(warehouse), read_only=True) as con:
            return [
                _rows(con, f"select * exclude (_dlt_load_id, _dlt_id) from {t} order by all")
                for t in (
                    "raw_github.pulls",
                    "raw_github.pull_commits",
                    "raw_github._rejected",
                    "raw_catalog.entities",
                    "raw_catalog._rejected",
                )
            ]

    before = everything()
    again = ingest_export(export, warehouse, sources=["catalog", "github"])
    assert again.failed_sources == []
    assert again.sources["github"].rows["pulls"] == 3 and again.sources["github"].unchanged == 1
    assert len(again.rejected) == 8
    assert everything() == before
