"""Landing never stops and never loses: a small export full of bad input (tests/support/
bad_input.py) lands everything good, and each bad record or file leaves exactly one rejection
row naming the file, the key, the field, the value and the reason. Then the crashes: load
packages left by an interrupted run, and a run that cannot land, which must not move cursors.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import logging
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import duckdb
import pytest

from dagster_project.config import PagerdutySource, SourcesConfig, StatureConfig
from ingestion import ApiSettings, IngestReport, Limits, ingest_export, pull_source
from ingestion.cursors import load_cursors
from ingestion.export import ExportReader
from ingestion.landing import _table_resource, pipeline_for
from ingestion.registry import SOURCES, tables_of
from tests.support import bad_input
from tests.support.bad_input import MISSING, FieldCase, field_cases
from tests.support.replay_server import ExportApi, LocalServer


@dataclass
class Landed:
    export: Path
    warehouse: Path
    report: IngestReport

    def rows(self, sql: str, *params: Any) -> list[tuple]:
        with duckdb.connect(str(self.warehouse), read_only=True) as con:
            return con.execute(sql, list(params)).fetchall()

    @cached_property
    def rejected(self) -> dict[tuple, str]:
        """(source, file, record_key, field, value) -> reason, of every rejection row."""
        out = {}
        for source in SOURCES:
            for *key, reason in self.rows(
                f"select source, file, record_key, field, value, reason from raw_{source}._rejected"
            ):
                out[tuple(key)] = reason
        return out


@pytest.fixture(scope="module")
def landed(tmp_path_factory) -> Landed:
    root = tmp_path_factory.mktemp("bad_input")
    export = root / "export"
    bad_input.write_named_cases(export)
    bad_input.write_field_cases(export)
    warehouse = root / "w.duckdb"
    report = ingest_export(export, warehouse, limits=Limits(max_file_bytes=bad_input.LIMIT))
    return Landed(export, warehouse, report)


def _offset(data: bytes, bad: int = 0xE9) -> tuple[int, int, int]:
    """Offset, line and column of the first `bad` byte, counted by hand."""
    offset = data.index(bytes([bad]))
    line = data[:offset].count(b"\n") + 1
    return offset, line, offset - data.rfind(b"\n", 0, offset)


# --- the named cases ----------------------------------------------------------------------------

PULLS = "github/acme/alpha/pulls.json"
NAMED = {  # (source, file, record_key, field, value) -> a fragment of the reason
    ("github", PULLS, "#2", "merged_at", "yesterday"): "is not an ISO-8601 timestamp",
    ("github", PULLS, "#3", "draft", "maybe"): "is not true or false",
    ("github", PULLS, "#4", "id", "4.7"): "cannot keep the fraction (lossy)",
    ("github", "github/acme/alpha/pulls 4.json", "", None, None): (
        "skipped: file name matches no export pattern (expected pulls.json, pulls-2.json, ...)"
    ),
    ("github", "githb/", "", None, None): (
        "skipped: githb/ is not a source folder, so none of its files were read: did you mean "
        "github/?"
    ),
    ("github", "github/acme/alpha/pulls-2.json", "", None, None): "JSON nested too deeply",
    ("github", "github/acme/alpha/deployments.json", "", None, None): (
        "above the 64.0 KiB limit (ingestion.files.MAX_FILE_BYTES)"
    ),
    ("github", "github/acme/alpha/commits.json", "b" * 40, "stats.total", str(10**30)): (
        "holds an integer beyond 64 bits"
    ),
    ("github", "github/acme/alpha/commits.json", "c" * 40, "commit.message", "\\ud800"): (
        "unpaired UTF-16 surrogate"
    ),
    ("github", "github/acme/alpha/issues.json", "#8", "body" + ".next" * 253, None): (
        "nested more than 254 levels deep"
    ),
    ("github", "github/acme/alpha/pull_commits.ndjson", "line 2", None, None): (
        "line 2 is not UTF-8: byte 0xe9 at offset 36 (line 1, column 37); line 2 was set aside"
    ),
    ("catalog", "catalog/broken.yaml", "", None, None): "is not UTF-8: byte 0xe9",
    ("catalog", "catalog/beta.yaml", "document 2 (line 5)", None, None): (
        "duplicate Group/default/team-a: first declared in catalog/alpha.yaml document 2 "
        "(line 9); this one (catalog/beta.yaml document 2 (line 5)) was set aside"
    ),
    ("catalog", "catalog/beta.yaml", "document 3 (line 8)", None, None): (
        "duplicate Component/default/Beta: first declared in catalog/beta.yaml document 1 "
        "(line 1); this one (catalog/beta.yaml document 3 (line 8)) was set aside"
    ),
    ("inputs", "inputs/latin1.csv", "", None, None): "is not UTF-8: byte 0xe9",
    ("inputs", "inputs/more.csv", "line 2", None, None): (
        "duplicate 2026-Q1/org/acme/enps: first declared in inputs/good.csv line 2"
    ),
    ("inputs", "inputs/more.csv", "line 3", None, None): "more values than the header",
    ("inputs", "inputs/more.csv", "2026-Q2/org/acme/nps", "value", "NaN"): "is not a number",
}


def _expected_rejections() -> dict[tuple, str]:
    expected = dict(NAMED)
    for case, _ in field_cases():
        value = None if case.value is MISSING else str(case.value)
        expected[(case.source, case.file, case.record_key, case.field, value)] = case.reason
    return expected


def test_every_bad_record_and_file_leaves_exactly_its_rejection_row(landed):
    expected = _expected_rejections()
    got = landed.rejected
    assert sorted(got, key=str) == sorted(expected, key=str)
    for key, fragment in expected.items():
        assert fragment in got[key], (key, got[key])
    assert len(landed.report.rejected) == len(expected)
    assert not landed.report.ok and landed.report.failed_sources == []


def test_bad_values_leave_the_rest_of_their_file_and_source_landed(landed):
    pulls = landed.rows("select number, id from raw_github.pulls where repo = 'acme/alpha'")
    assert sorted(pulls) == [(1, 1001), (5, 1005)]  # 5.0 is the integer 5
    assert landed.rows("select sha from raw_github.commits where repo = 'acme/alpha'") == [
        ("a" * 40,)
    ]
    assert landed.rows("select number from raw_github.issues where repo = 'acme/alpha'") == [(7,)]
    bundle = landed.rows(
        "select pr_number, sha from raw_github.pull_commits where repo = 'acme/alpha' order by 1"
    )
    assert bundle == [(1, "d" * 40), (3, "e" * 40)]
    # the too-big file is not half-read either
    assert landed.rows("select count(*) from raw_github.deployments where repo = 'acme/alpha'") == [
        (0,)
    ]


def test_one_unreadable_catalog_or_csv_file_does_not_take_its_source_down(landed):
    catalog = landed.export / "catalog" / "broken.yaml"
    offset, line, column = _offset(catalog.read_bytes())
    [reason] = [r for (s, f, *_), r in landed.rejected.items() if f == "catalog/broken.yaml"]
    assert reason.startswith(
        f"the file is not UTF-8: byte 0xe9 at offset {offset} (line {line}, column {column})"
    )
    entities = landed.rows("select kind, name, payload->>'$.spec.owner' from raw_catalog.entities")
    assert ("Component", "alpha", "team-a") in entities
    assert ("Component", "beta", "team-a") in entities  # the first beta, not Beta of team-b
    assert [e for e in entities if e[1].lower() == "beta"] == [("Component", "beta", "team-a")]
    assert [e for e in entities if e[1] == "team-a"] == [("Group", "team-a", None)]

    csv = landed.export / "inputs" / "latin1.csv"
    offset, line, column = _offset(csv.read_bytes())
    [reason] = [r for (s, f, *_), r in landed.rejected.items() if f == "inputs/latin1.csv"]
    assert f"byte 0xe9 at offset {offset} (line {line}, column {column})" in reason
    measures = landed.rows("select source_file, line, value from raw_inputs.measures order by 1")
    assert measures == [("inputs/good.csv", 2, 12.0)]  # more.csv's line 2 repeats it


@pytest.mark.parametrize("case", [c for c, _ in field_cases()], ids=lambda c: c.id)
def test_a_wrong_value_in_any_declared_field_is_set_aside_and_the_good_record_lands(
    landed, case: FieldCase
):
    value = None if case.value is MISSING else str(case.value)
    rejected = landed.rejected
    reason = rejected[(case.source, case.file, case.record_key, case.field, value)]
    assert case.reason in reason
    assert f"'{case.field}'" in reason
    table = f"raw_{case.source}.{case.table}"
    if case.table == "entities":
        names = landed.rows(f"select name from {table} where source_file like 'catalog/field-%'")
        assert names == [("svc-0",)]
    else:
        assert landed.rows(f"select count(*) from {table} where source_file = ?", case.file) == [
            (1,)
        ]


def test_the_report_counts_the_rows_that_landed(landed):
    for source, report in landed.report.sources.items():
        for table, rows in report.rows.items():
            assert landed.rows(f"select count(*) from raw_{source}.{table}") == [(rows,)], table


# --- a run interrupted between extract and load ------------------------------------------------


def _export(root: Path, prs: list[dict], measures: list[str]) -> Path:
    (root / "catalog").mkdir(parents=True, exist_ok=True)
    (root / "catalog" / "alpha.yaml").write_text(bad_input.CATALOG)
    repo = root / "github" / "acme" / "alpha"
    repo.mkdir(parents=True, exist_ok=True)
    (repo / "pulls.json").write_text(json.dumps(prs))
    (root / "inputs").mkdir(exist_ok=True)
    header = "period,entity_type,entity_id,measure_id,value\n"
    (root / "inputs" / "people.csv").write_text(header + "".join(m + "\n" for m in measures))
    return root


def _leave_packages(export: Path, warehouse: Path, source: str) -> list[str]:
    """What a run killed after normalizing leaves behind: its packages, extracted and
    normalized by dlt for real, never loaded."""
    reader = ExportReader(export)
    pipeline = pipeline_for(source, warehouse)
    counts: dict[str, int] = {}
    resources = [
        _table_resource(table, reader.rows(source, table.name), counts, None)
        for table in tables_of(source)
    ]
    pipeline.extract(resources)
    pipeline.normalize()
    return list(pipeline.list_normalized_load_packages())


def test_packages_left_by_an_interrupted_run_are_discarded_and_the_new_data_lands(tmp_path, caplog):
    caplog.set_level(logging.WARNING)
    warehouse = tmp_path / "w.duckdb"
    old = _export(tmp_path / "old", [bad_input.pr(1)], ["2026-Q1,org,acme,enps,12"])
    assert ingest_export(old, warehouse, sources=["catalog", "github", "inputs"]).ok
    # The next run dies after dlt normalized its packages; then the export changes.
    left = {s: _leave_packages(old, warehouse, s) for s in ("github", "inputs")}
    assert all(left.values())
    new = _export(
        tmp_path / "new",
        [bad_input.pr(1), bad_input.pr(2)],
        ["2026-Q1,org,acme,enps,12", "2026-Q2,org,acme,enps,15"],
    )
    report = ingest_export(new, warehouse, sources=["catalog", "github", "inputs"])

    assert report.ok, report.lines()
    assert report.sources["github"].discarded == left["github"]
    assert report.sources["inputs"].discarded == left["inputs"]
    assert f"discarding 1 load package(s) left by an interrupted run ({left['github'][0]})" in (
        caplog.text
    )
    assert report.sources["github"].rows["pulls"] == 2  # what this run read and landed
    assert report.sources["inputs"].rows == {"measures": 2}
    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert con.execute("select number from raw_github.pulls order by 1").fetchall() == [
            (1,),
            (2,),
        ]
        assert con.execute(
            "select period, value from raw_inputs.measures order by 1"
        ).fetchall() == [
            ("2026-Q1", 12.0),
            ("2026-Q2", 15.0),
        ]
    assert not pipeline_for("github", warehouse).has_pending_data


# --- a landing that cannot happen must not move the cursors -------------------------------------


def test_when_landing_fails_the_cursors_stay_where_they_were(tmp_path, monkeypatch):
    export = tmp_path / "export"
    incidents = [
        {
            "id": "P1",
            "status": "resolved",
            "created_at": "2026-11-10T10:00:00Z",
            "updated_at": "2026-11-10T12:00:00Z",
        },
    ]
    (export / "pagerduty").mkdir(parents=True)
    (export / "pagerduty" / "incidents.json").write_text(
        json.dumps({"incidents": incidents, "limit": 100, "offset": 0, "more": False})
    )
    warehouse = tmp_path / "data" / "w.duckdb"
    now = dt.datetime(2026, 11, 16, tzinfo=dt.UTC).timestamp()
    settings = ApiSettings(sleep=lambda s: None, clock=lambda: now, env={}, history_days=30)
    monkeypatch.setattr("ingestion.landing.LOCK_WAIT_SECONDS", 0.5)
    with LocalServer(ExportApi(export)) as server:
        config = StatureConfig(
            sources=SourcesConfig(pagerduty=PagerdutySource(base_url=f"{server.url}/pagerduty")),
            base_dir=tmp_path,
        )
        first = pull_source("pagerduty", config, warehouse, settings=settings)
        assert first.error is None and first.rows == {"incidents": 1}
        before = load_cursors(warehouse, "pagerduty", f"{server.url}/pagerduty").stored

        # Another run holds the source's landing lock for longer than this one waits.
        lock = warehouse.parent / "dlt" / "stature_pagerduty.lock"
        later = dt.datetime(2026, 11, 17, tzinfo=dt.UTC).timestamp()
        with lock.open("a") as held:
            fcntl.flock(held, fcntl.LOCK_EX)
            second = pull_source(
                "pagerduty",
                config,
                warehouse,
                settings=ApiSettings(
                    sleep=lambda s: None, clock=lambda: later, env={}, history_days=30
                ),
            )
        after = load_cursors(warehouse, "pagerduty", f"{server.url}/pagerduty").stored

    assert "another run has been landing raw_pagerduty" in second.error
    assert second.rows == {}
    assert after == before  # `until` did not move past rows that never landed
    assert before["incidents"]["until"] == "2026-11-16T00:00:00Z"


# --- what a user sees ---------------------------------------------------------------------------


@pytest.mark.slow
def test_stature_ingest_says_what_it_set_aside_and_exits_1(tmp_path):
    from tests.conftest import make_workspace

    export = tmp_path / "export"
    bad_input.write_named_cases(export)
    ws = make_workspace(tmp_path / "ws", export)
    result = ws.stature("ingest", "--export-dir", str(export))
    assert result.returncode == 1, result.stdout + result.stderr
    out = result.stdout
    assert "raw_github.pulls: 2 rows" in out  # #1 and #5 of acme/alpha
    assert (
        "github: github/acme/alpha/pulls 4.json: skipped: file name matches no export pattern "
        "(expected pulls.json, pulls-2.json, ...)" in out
    )
    assert (
        "github: github/acme/alpha/pulls.json [#2]: field 'merged_at' is not an ISO-8601 "
        "timestamp (2026-01-05T09:00:00Z): got text 'yesterday'" in out
    )
    assert "catalog: catalog/broken.yaml: the file is not UTF-8: byte 0xe9" in out
    assert "record(s) rejected (see raw_<source>._rejected)" in result.stderr
