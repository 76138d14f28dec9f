"""A first run on an org with bad values, a failing model, a failing test and hostile names,
through the real CLI: it must exit 1, name every bad record, and still publish everything the
bad input does not touch exactly as a clean run does.

What goes in, and by which path (each one that ingestion cannot check at landing):
- raw rows landed before this version of Stature (planted in the raw tables between
  `stature ingest` and `stature run`): a pull request whose `merged_at` is "yesterday" and
  `draft` is "maybe"; a manual measure for the month "2026-13" (fct_manual_measures fails
  on it); two versions of one PagerDuty incident with the same `updated_at` (the unique test
  on stg_pagerduty__incidents fails, and dbt skips what depends on incidents);
- in the config: DORA patterns other than the defaults (the dbt unit tests, written for the
  defaults, must not run in the nightly);
- in the export: a catalog annotation that is not a number (`stature.dev/slo: high`), and
  components and a team with hostile names: ids `foo/bar` and `foo_bar` (one file name once
  made safe), an id of 300 characters, a team display name with `<script>` and `|`.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import duckdb
import pytest
import yaml

from tests.reliability.conftest import AS_OF, CleanRun, reliability_workspace

pytestmark = pytest.mark.slow

LONG_ID = "svc-" + "x" * 296
HOSTILE_IDS = ("foo/bar", "foo_bar", LONG_ID)
TEAM_ID = "night-shift"
TEAM_NAME = "<script>alert('owned')</script> | Ops"
SLO_SERVICE = "auth-gateway"


def _hostile_catalog(export: Path) -> None:
    path = export / "catalog" / f"{SLO_SERVICE}.yaml"
    doc = yaml.safe_load(path.read_text())
    doc["metadata"]["annotations"]["stature.dev/slo"] = "high"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    entities = [
        {
            "apiVersion": "backstage.io/v1alpha1",
            "kind": "Group",
            "metadata": {"name": TEAM_ID},
            "spec": {"type": "team", "profile": {"displayName": TEAM_NAME}, "children": []},
        },
        *(
            {
                "apiVersion": "backstage.io/v1alpha1",
                "kind": "Component",
                "metadata": {"name": service_id, "title": f"{service_id[:20]} | <b>svc</b>"},
                "spec": {"type": "service", "lifecycle": "production", "owner": TEAM_ID},
            }
            for service_id in HOSTILE_IDS
        ),
    ]
    (export / "catalog" / "hostile.yaml").write_text(yaml.safe_dump_all(entities, sort_keys=False))


def _plant_raw_rows(warehouse: Path) -> dict[str, str]:
    con = duckdb.connect(str(warehouse))
    try:
        incident, payload = con.execute(
            "select incident_id, payload from raw_pagerduty.incidents order by 1 limit 1"
        ).fetchone()
        for n in range(2):
            con.execute(
                "insert into raw_pagerduty.incidents values (?, timestamptz '2026-11-14 00:00:00+00', "
                "?, 'legacy/incidents.json', 'legacy', ?)",
                [incident, payload, f"legacy-incident-{n}"],
            )
        repo, pr_id, pr = con.execute(
            "select repo, id, payload from raw_github.pulls where payload->>'merged_at' is not null "
            "order by repo, number limit 1"
        ).fetchone()
        bad = {**json.loads(pr), "number": 99999, "merged_at": "yesterday", "draft": "maybe"}
        con.execute(
            "insert into raw_github.pulls values (?, 99999, ?, timestamptz '2026-11-14 00:00:00+00', "
            "?, 'legacy/pulls.json', 'legacy', 'legacy-pull')",
            [repo, pr_id + 10_000_000, json.dumps(bad)],
        )
        con.execute(
            "insert into raw_inputs.measures values ('2026-13', 'org', 'org', 'enps', 12.0, "
            "'score', 'survey', 7, '{}', 'legacy/survey.csv', 'legacy', 'legacy-measure')"
        )
    finally:
        con.close()
    return {"incident": incident, "repo": repo}


@pytest.fixture(scope="module")
def bad_run(tmp_path_factory, reliability_org, reliability_rules):
    root = tmp_path_factory.mktemp("bad_input")
    export = root / "export"
    shutil.copytree(reliability_org, export)
    _hostile_catalog(export)
    # Patterns other than the defaults (matching the same environments and workflows here):
    # the dbt unit tests, written for the defaults, must not run in the nightly.
    dora = {
        "production_environment": "(?i)^(prod|production|live)$",
        "deploy_workflow": "(?i)(deploy|release)",
    }
    ws = reliability_workspace(root / "ws", export, reliability_rules, dora=dora)
    ingest = ws.stature("ingest", "--as-of", AS_OF.isoformat())
    assert ingest.returncode in (0, 1), ingest.stdout + ingest.stderr
    planted = _plant_raw_rows(ws.warehouse)
    result = ws.stature("run", "--as-of", AS_OF.isoformat())
    (ws.root / "run.out").write_text(result.stdout)  # to read when an assertion fails
    (ws.root / "run.err").write_text(result.stderr)
    return ws, result, planted


def _rows(database: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(database), read_only=True) as con:
        return sorted(con.execute(sql).fetchall(), key=repr)


def test_the_run_exits_1_and_names_every_bad_record_and_failure(bad_run):
    _, result, planted = bad_run
    assert result.returncode == 1, result.stdout[-3000:] + result.stderr[-3000:]
    problems = result.stderr.split("The run finished, but:", 1)[1]
    lines = [line.strip()[2:] for line in problems.strip().splitlines()]
    assert (
        "test primary_key_stg_pagerduty__incidents_incident_id failed on "
        "staging.stg_pagerduty__incidents: 1 row(s); what depends on it was not rebuilt"
    ) in lines
    assert any(
        line.startswith("model fct_manual_measures failed: Conversion Error: ")
        and "2026-13-01" in line
        for line in lines
    ), lines
    assert (
        "staging.stg_github__pull_requests: 1 record(s) with values that did not convert, "
        f"set to NULL: {planted['repo']} 99999 is_draft, merged_at (legacy/pulls.json)"
    ) in lines
    assert (
        "staging.stg_catalog__components: 1 record(s) with values that did not convert, "
        f"set to NULL: {SLO_SERVICE} default slo_target (catalog/{SLO_SERVICE}.yaml)"
    ) in lines
    assert any(
        line.startswith("4 rule(s) not evaluated because a table they read failed to build")
        and line.endswith(": deployment_frequency_tier, deploys_weekly, lead_time, mttr_target")
        for line in lines
    ), lines
    assert not any(line.startswith("step ") for line in lines), lines  # no step failed
    log = Path(result.stdout.split("(step logs: ", 1)[1].split(")", 1)[0]).read_text()
    assert " START sql table model marts.fct_ci_runs " in log
    assert " START unit_test " not in log  # dbt's line for a unit test it runs
    assert "^" not in problems
    assert "All well." not in result.stdout


def test_rules_on_failed_tables_say_why_and_the_others_are_graded_as_in_a_clean_run(
    bad_run, clean_run: CleanRun
):
    ws, _, _ = bad_run
    published = ws.published / "stature.duckdb"
    notes = _rows(
        published,
        f"select rule_id, status, min(note), count(*) from scorecards.check_results "
        f"where as_of = '{AS_OF}' and rule_id in ('mttr_target', 'lead_time') "
        "and status <> 'not_applicable' group by all",
    )
    assert [(r[0], r[1]) for r in notes] == [
        ("lead_time", "not_reported"),
        ("mttr_target", "not_reported"),
    ]
    assert notes[1][2] == (
        "input marts.fct_incidents is not fresh: not rebuilt: test "
        "primary_key_stg_pagerduty__incidents_incident_id failed (1 row(s))"
    )
    assert notes[0][2].startswith("input marts.bsc_measures is not fresh: not rebuilt: ")
    # Rules on what the bad input did not touch: the clean run's rows, entity for entity.
    graded = (
        "select rule_id, entity_id, status, value, threshold, note from scorecards.check_results "
        f"where as_of = '{AS_OF}' and rule_id in ('runbook_linked', 'static_analysis_ci') "
        f"and entity_id not in {tuple(HOSTILE_IDS)!r}"
    )
    ours = _rows(published, graded)
    assert ours and ours == _rows(clean_run.ws.published / "stature.duckdb", graded)


def test_the_marts_the_bad_input_did_not_touch_are_published_as_in_a_clean_run(
    bad_run, clean_run: CleanRun
):
    ws, _, _ = bad_run
    ours, clean = ws.published / "stature.duckdb", clean_run.ws.published / "stature.duckdb"
    hostile = f"{tuple(HOSTILE_IDS)!r}"
    for sql in (
        "select * from marts.fct_ci_runs",
        "select * from marts.fct_issues",
        "select * from marts.fct_changes",
        f"select * from marts.dim_service_teams where service_id not in {hostile}",
        f"select * from marts.dim_teams where team_id <> '{TEAM_ID}'",
        f"select * exclude (slo_target) from marts.dim_services where service_id not in {hostile}",
    ):
        theirs = _rows(clean, sql)
        assert theirs and _rows(ours, sql) == theirs, sql
    slo = f"select slo_target from marts.dim_services where service_id = '{SLO_SERVICE}'"
    assert _rows(ours, slo) == [(None,)] and _rows(clean, slo) != [(None,)]
    # What failed is not published at all on a first run: nothing stale passes for fresh.
    tables = {
        r[0] for r in _rows(ours, "select schema_name || '.' || table_name from duckdb_tables()")
    }
    for failed in ("marts.fct_incidents", "marts.fct_deployments", "marts.fct_manual_measures"):
        assert failed not in tables


def test_hostile_ids_get_distinct_bounded_files_and_an_index(bad_run):
    ws, _, _ = bad_run
    services = ws.published / "services"
    index = json.loads((services / "index.json").read_text())["files"]
    assert set(HOSTILE_IDS) <= set(index)
    names = [index[i] for i in HOSTILE_IDS]
    assert len(set(names)) == 3 and len({n.lower() for n in index.values()}) == len(index)
    for service_id, name in zip(HOSTILE_IDS, names, strict=True):
        assert "/" not in name and len(name.encode()) <= 120
        document = json.loads((services / name).read_text())
        assert document["service_id"] == service_id
    assert index["foo_bar"] == "foo_bar.json"  # a safe id keeps its name
    assert index["foo/bar"].startswith("foo_bar-") and index[LONG_ID].startswith("svc-xxx")
    on_disk = {p.name for p in services.glob("*.json")} - {"index.json"}
    assert on_disk == set(index.values())


def test_hostile_team_names_are_escaped_in_markdown_and_html(bad_run):
    ws, _, _ = bad_run
    teams = json.loads((ws.published / "teams" / "index.json").read_text())["files"]
    page = (ws.published / "teams" / teams[TEAM_ID]).read_text()
    assert page.startswith(
        "# \\<script\\>alert('owned')\\</script\\> \\| Ops: standards, maturity and DORA\n"
    )
    assert "<script>" not in page and "<b>" not in page
    for line in page.splitlines():
        if line.startswith("| foo"):
            assert line.count(" | ") == line.replace("\\|", "").count(" | ")  # cells intact
    html = (ws.published / "report" / "index.html").read_text()
    assert "<script>alert('owned')" not in html and "<b>svc</b>" not in html
    assert "&lt;script&gt;alert(" in html
