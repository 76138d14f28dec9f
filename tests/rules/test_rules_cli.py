"""`stature rules check | test | preview | diff | backfill | regrade` through a parser built
like the lead's CLI, on real warehouse files and a real git repository."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import duckdb
import pytest
from rules_helpers import file_hash, read_results, rule_text, statuses

REPO = Path(__file__).resolve().parents[2]
AS_OF = "2026-11-15"
SERVICES = [
    {"service_id": "svc-a", "tier": "tier-1", "endpoint_count": 2, "tls_endpoint_count": 2},
    {"service_id": "svc-b", "tier": "tier-1", "endpoint_count": 2, "tls_endpoint_count": 1},
    {"service_id": "svc-c", "tier": "tier-3", "endpoint_count": 2, "tls_endpoint_count": 0},
]
TLS_SQL = "select service_id, tls_endpoint_count::double / endpoint_count as value from marts.dim_services"


def test_check_valid_and_invalid(cli, capsys, make_warehouse, rules_dir, write_rule):
    warehouse = make_warehouse()
    write_rule("good", "select service_id, 1 as value from marts.dim_services")
    assert cli("rules", "check", "--rules-dir", str(rules_dir), "--warehouse", str(warehouse)) == 0
    assert "checked 1 rules" in capsys.readouterr().out
    write_rule("bad", "select service_id, 1 as value from marts.dim_servicez")
    code = cli("rules", "check", "--rules-dir", str(rules_dir), "--warehouse", str(warehouse))
    out = capsys.readouterr().out
    assert code == 2
    assert (
        "security/bad.sql:9:36: unknown table marts.dim_servicez (did you mean marts.dim_services?)"
        in out
    )
    assert "1 valid, 1 invalid" in out
    # one rule by id; without a warehouse the catalog checks are skipped, and said so
    assert (
        cli(
            "rules",
            "check",
            "good",
            "--rules-dir",
            str(rules_dir),
            "--warehouse",
            str(rules_dir / "none.duckdb"),
        )
        == 0
    )
    assert "tables and columns not checked" in capsys.readouterr().out


def test_check_reports_bad_exemptions_and_fixtures(
    cli, capsys, make_warehouse, rules_dir, write_rule
):
    warehouse = make_warehouse()
    write_rule("good", "select service_id, 1 as value from marts.dim_services")
    (rules_dir / "exemptions.yml").write_text(
        "- {rule: good, entity: svc-a, reason: r, approver: a}\n"
    )
    (rules_dir / "security" / "tests").mkdir()
    (rules_dir / "security" / "tests" / "good.yml").write_text("cases: []\n")
    code = cli("rules", "check", "--rules-dir", str(rules_dir), "--warehouse", str(warehouse))
    out = capsys.readouterr().out
    assert code == 2
    assert "exemptions.yml:1: entry 1: missing key 'expires'" in out
    assert "tests/good.yml" in out and "cases" in out


def test_check_imports_neither_dagster_nor_dbt(tmp_path):
    """`rules check` stays quick in an editor's save hook because it loads no orchestration
    or dbt (its speed is a benchmark's business, not a timed test's)."""
    script = textwrap.dedent(
        f"""
        import sys
        from dagster_project.cli import build_parser
        args = build_parser().parse_args(["rules", "check", "--rules-dir", {str(REPO / "rules_sql")!r},
                                  "--warehouse", {str(tmp_path / "none.duckdb")!r}])
        code = args.func(args)
        heavy = sorted(m for m in sys.modules if m.split(".")[0] in ("dagster", "dbt", "dagster_dbt", "dlt"))
        print("RESULT", code, heavy)
        """
    )
    proc = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, cwd=tmp_path, check=True
    )
    line = next(ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT"))
    _, code, heavy = line.split(" ", 2)
    assert code == "0", proc.stdout
    assert heavy == "[]"


def test_test_runs_fixtures_and_reports_failures(cli, capsys, rules_dir, write_rule):
    write_rule("tls", TLS_SQL, thresholds='{pass: "== 1"}')
    tests = rules_dir / "security" / "tests"
    tests.mkdir()
    (tests / "tls.yml").write_text(
        textwrap.dedent(
            """
            as_of: 2026-11-15
            cases:
              - name: half fails
                given:
                  marts.dim_services:
                    - {service_id: a, endpoint_count: 2, tls_endpoint_count: 2}
                    - {service_id: b, endpoint_count: 2, tls_endpoint_count: 1}
                expect:
                  a: {status: pass, value: 1.0}
                  b: fail
              - name: a wrong expectation
                given:
                  marts.dim_services:
                    - {service_id: a, endpoint_count: 2, tls_endpoint_count: 1}
                expect:
                  a: pass
            """
        )
    )
    write_rule("untested", "select service_id, 1 as value from marts.dim_services")
    assert cli("rules", "test", "--rules-dir", str(rules_dir)) == 1
    out = capsys.readouterr().out
    assert "PASS security/tls: half fails" in out
    assert "FAIL security/tls: a wrong expectation" in out
    assert "    a: expected pass, got fail (value 0.5, note None)" in out
    assert "no tests: security/untested" in out
    assert "COVERAGE security/tls: pass, fail; missing not_reported" in out
    assert out.strip().endswith(
        "1 passed, 1 failed, 1 rules without tests, 1 rules miss a status they can give"
    )
    assert cli("rules", "test", "tls", "--rules-dir", str(rules_dir)) == 1
    capsys.readouterr()


def test_preview_prints_entity_status_value_target_note(
    cli, capsys, make_warehouse, rules_dir, write_rule
):
    warehouse = make_warehouse({"marts.dim_services": SERVICES})
    write_rule(
        "tls",
        TLS_SQL.replace(" as value", " as value, 'n=' || endpoint_count as note"),
        thresholds='{pass: "== 1", warn: ">= 0.5"}',
        extra="unit: share\napplies_to: \"tier = 'tier-1'\"",
    )
    code = cli(
        "rules",
        "preview",
        "tls",
        "--as-of",
        AS_OF,
        "--rules-dir",
        str(rules_dir),
        "--warehouse",
        str(warehouse),
    )
    out = capsys.readouterr().out
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "security/tls: Rule tls"
    assert (
        "as of 2026-11-15 | entity service | level 2 | rollout enforced | thresholds pass == 1; warn >= 0.5"
        in lines[1]
    )
    table = lines[lines.index("") + 1 :]
    assert table[0].split() == ["entity", "status", "value", "target", "note"]
    assert table[2].split() == [
        "svc-b",
        "warn",
        "0.5",
        "share",
        "pass",
        "==",
        "1;",
        "warn",
        ">=",
        "0.5",
        "n=2",
    ]
    assert table[3].split() == [
        "svc-a",
        "pass",
        "1",
        "share",
        "pass",
        "==",
        "1;",
        "warn",
        ">=",
        "0.5",
        "n=2",
    ]
    assert table[4].split() == [
        "svc-c",
        "not_applicable",
        "0",
        "share",
        "pass",
        "==",
        "1;",
        "warn",
        ">=",
        "0.5",
        "n=2",
    ]
    assert lines[-1] == "3 entities: warn 1, pass 1, not_applicable 1"
    # nothing was written
    assert (
        not duckdb.connect(str(warehouse), read_only=True)
        .execute("select count(*) from information_schema.tables where table_schema = 'scorecards'")
        .fetchall()[0][0]
    )


def test_preview_unknown_rule_and_bad_config_exit_2(cli, capsys, tmp_path, rules_dir, write_rule):
    write_rule("tls", TLS_SQL)
    assert cli("rules", "preview", "nope", "--rules-dir", str(rules_dir)) == 2
    assert "no rule match 'nope'" in capsys.readouterr().err
    bad = tmp_path / "stature.yml"
    bad.write_text("rules: {timeout_seconds: -1}\n")
    assert cli("rules", "check", "--config", str(bad), "--rules-dir", str(rules_dir)) == 2
    assert "rules.timeout_seconds" in capsys.readouterr().err
    assert cli("rules", "check", "--rules-dir", str(tmp_path / "missing")) == 2


def _git(cwd: Path, *args: str) -> None:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@x",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@x",
    }
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, env=env)


def test_diff_against_a_base_version(cli, capsys, tmp_path, make_warehouse):
    warehouse = make_warehouse({"marts.dim_services": SERVICES})
    repo = tmp_path / "repo"
    rules_dir = repo / "rules_sql"
    (rules_dir / "security").mkdir(parents=True)
    tls = rules_dir / "security" / "tls.sql"
    tls.write_text(rule_text("tls", TLS_SQL, thresholds='{pass: ">= 0.5"}', level=2))
    (rules_dir / "security" / "gone.sql").write_text(
        rule_text("gone", "select service_id, 1 as value from marts.dim_services", level=3)
    )
    (rules_dir / "security" / "same.sql").write_text(
        rule_text("same", "select service_id, 1 as value from marts.dim_services", level=4)
    )
    _git(repo, "init", "-q")
    _git(repo, "add", ".")
    _git(repo, "commit", "-q", "-m", "base")
    # the analyst tightens the threshold, removes a rule and adds one
    tls.write_text(rule_text("tls", TLS_SQL, thresholds='{pass: "== 1"}', level=2))
    (rules_dir / "security" / "gone.sql").unlink()
    (rules_dir / "security" / "added.sql").write_text(
        rule_text(
            "added",
            "select service_id, endpoint_count as value from marts.dim_services",
            thresholds='{pass: ">= 3"}',
            level=5,
        )
    )
    code = cli(
        "rules",
        "diff",
        "--base",
        "HEAD",
        "--as-of",
        AS_OF,
        "--rules-dir",
        str(rules_dir),
        "--warehouse",
        str(warehouse),
    )
    out = capsys.readouterr().out
    assert code == 0, out
    assert "rules diff against HEAD, as of 2026-11-15" in out
    assert "~ security/tls (changed)" in out
    assert "    thresholds: pass >= 0.5 -> pass == 1" in out
    assert "    before: pass 2, fail 1" in out
    assert "    after:  pass 1, fail 2" in out
    assert "    1 entities change status:" in out
    assert "      service  svc-b                        pass -> fail  value 0.5" in out
    assert "+ security/added (new)" not in out and "+ security/added (added)" in out
    assert "    results: fail 3" in out
    assert "- security/gone (deleted)" in out
    assert "maturity level: 2 entities change level" in out
    # svc-a passed everything but now fails `added` (level 5): 5 -> 4;
    # svc-b now fails tls (level 2): 5 -> 1, blocked by tls
    assert "  service  svc-a                        5 -> 4  (blocked by added)" in out
    assert "  service  svc-b                        5 -> 1  (blocked by tls)" in out
    assert (
        cli(
            "rules",
            "diff",
            "--base",
            "no-such-ref",
            "--rules-dir",
            str(rules_dir),
            "--warehouse",
            str(warehouse),
        )
        == 2
    )
    assert "unknown git ref 'no-such-ref'" in capsys.readouterr().err


def test_backfill_with_progress(cli, capsys, make_warehouse, rules_dir, write_rule):
    warehouse = make_warehouse({"marts.dim_services": SERVICES})
    write_rule("tls", TLS_SQL)
    code = cli(
        "rules", "backfill", "--from", "2026-01-01", "--to", "2026-01-31", "--every", "week",
        "--rules-dir", str(rules_dir), "--warehouse", str(warehouse),
    )  # fmt: skip
    out = capsys.readouterr().out
    assert code == 0, out
    assert "backfill 6 dates (2026-01-01 .. 2026-01-31, every week) of 1 rules" in out
    assert ": 6 Dagster run(s)" in out  # weekly: one run per date
    # plain progress lines (not a terminal), in order, with a rate and time left
    progress = [line for line in out.splitlines() if line.startswith("  [")]
    done = [int(line.split("/")[0].strip(" [")) for line in progress]
    assert done == sorted(done) and progress[-1].startswith("  [6/6] 100% 2026-01-31  ")
    assert " evaluations/s, " in progress[-1] and " s left" in progress[-1]
    dates = sorted({r[0] for r in read_results(warehouse)})
    assert dates == [dt.date(2026, 1, d) for d in (1, 8, 15, 22, 29, 31)]  # --to included
    assert "1 rules x 6 dates in 6 Dagster run(s)" in out
    assert ": pass 6, warn 6, fail 6\n" in out
    # the instance the UI reads records every date as a materialized partition
    from dagster_project.defs.runner import JobOptions, materialized_partitions

    options = JobOptions(warehouse=str(warehouse), rules_dir=str(rules_dir))
    recorded = materialized_partitions(options, "scorecards", "security", "tls")
    assert recorded == {d.isoformat() for d in dates}
    assert (
        cli(
            "rules",
            "backfill",
            "--from",
            "2026-02-01",
            "--to",
            "2026-01-01",
            "--rules-dir",
            str(rules_dir),
            "--warehouse",
            str(warehouse),
        )
        == 2
    )


def test_regrade_reapplies_thresholds_without_rerunning(
    cli, capsys, make_warehouse, rules_dir, write_rule
):
    warehouse = make_warehouse({"marts.dim_services": SERVICES})
    write_rule("tls", TLS_SQL, thresholds='{pass: "== 1"}')
    assert (
        cli(
            "rules",
            "backfill",
            "--from",
            "2026-11-14",
            "--to",
            AS_OF,
            "--rules-dir",
            str(rules_dir),
            "--warehouse",
            str(warehouse),
        )
        == 0
    )
    # the data changes afterwards: a re-run would now see other values
    con = duckdb.connect(str(warehouse))
    con.execute("update marts.dim_services set tls_endpoint_count = 0")
    con.close()
    path = write_rule("tls", TLS_SQL, thresholds='{pass: ">= 0.5"}', extra="rollout: shadow")
    capsys.readouterr()
    assert (
        cli("rules", "regrade", "--rules-dir", str(rules_dir), "--warehouse", str(warehouse)) == 0
    )
    out = capsys.readouterr().out
    assert "tls: 6 rows regraded, 2 changed status" in out
    # what changed, one line each: rule, as of, entity, status, value, thresholds
    changed = [" ".join(line.split()) for line in out.splitlines() if "fail -> pass" in line]
    assert changed == [
        f"tls 2026-11-{day} svc-b fail -> pass 0.5 pass == 1 -> pass >= 0.5" for day in (14, 15)
    ]
    assert "6 rows regraded, 2 changed status; the changes are in scorecards.regrade_changes" in out
    assert statuses(warehouse, "tls", dt.date(2026, 11, 15)) == {
        "svc-a": "pass",
        "svc-b": "pass",
        "svc-c": "fail",
    }
    con = duckdb.connect(str(warehouse), read_only=True)
    rows = con.execute(
        "select distinct value, threshold, rollout, rule_version from scorecards.check_results where entity_id = 'svc-b'"
    ).fetchall()
    con.close()
    assert rows == [(0.5, "pass >= 0.5", "shadow", file_hash(path))]
    # a changed query cannot be regraded: it needs a backfill
    write_rule("tls", TLS_SQL + " where true", thresholds='{pass: ">= 0.9"}')
    assert (
        cli("rules", "regrade", "--rules-dir", str(rules_dir), "--warehouse", str(warehouse)) == 1
    )
    assert "tls: skipped: the query changed since version" in capsys.readouterr().out


def test_diff_shows_entities_becoming_unrated_and_rated(cli, capsys, tmp_path, make_warehouse):
    """An entity no enforced, levelled rule applies to is unrated: neither level 1 nor 5."""
    warehouse = make_warehouse({"marts.dim_services": SERVICES})
    repo = tmp_path / "repo"
    rules_dir = repo / "rules_sql"
    (rules_dir / "security").mkdir(parents=True)
    only = rules_dir / "security" / "only.sql"
    sql = "select service_id, 1 as value from marts.dim_services"
    only.write_text(rule_text("only", sql, extra="applies_to: \"tier = 'tier-1'\""))
    _git(repo, "init", "-q")
    _git(repo, "add", ".")
    _git(repo, "commit", "-q", "-m", "base")
    # the rule now applies to tier-3 only: svc-a and svc-b lose their only rule
    only.write_text(rule_text("only", sql, extra="applies_to: \"tier = 'tier-3'\""))
    args = ["--base", "HEAD", "--as-of", AS_OF, "--rules-dir", str(rules_dir)]
    assert cli("rules", "diff", *args, "--warehouse", str(warehouse)) == 0
    out = capsys.readouterr().out
    assert "maturity level: 3 entities change level" in out
    assert "  service  svc-a                        5 -> unrated\n" in out
    assert "  service  svc-b                        5 -> unrated\n" in out
    assert "  service  svc-c                        unrated -> 5\n" in out


@pytest.mark.parametrize("verb", ["check", "test", "preview", "diff", "backfill", "regrade"])
def test_every_verb_has_help_and_a_handler(verb):
    from dagster_project.cli import build_parser

    parser = build_parser()
    argv = {"preview": ["x"], "backfill": ["--from", "2026-01-01", "--to", "2026-01-02"]}.get(
        verb, []
    )
    args = parser.parse_args(
        ["rules", verb, "--rules-dir", "d", "--config", "c", "--warehouse", "w", *argv]
    )
    assert callable(args.func) and args.rules_dir == "d" and args.warehouse == "w"


def test_common_options_work_before_and_after_the_sub_verb(
    cli, capsys, make_warehouse, rules_dir, write_rule
):
    warehouse = make_warehouse()
    write_rule("bad", "select service_id, 1 as value from marts.dim_servicez")
    # the catalog is read (so the unknown table is found) wherever --warehouse is written
    assert cli("rules", "--warehouse", str(warehouse), "check", "--rules-dir", str(rules_dir)) == 2
    assert cli("rules", "check", "--warehouse", str(warehouse), "--rules-dir", str(rules_dir)) == 2
    assert capsys.readouterr().out.count("unknown table marts.dim_servicez") == 2


def test_diff_of_a_change_that_only_adds_a_rule(cli, capsys, tmp_path, make_warehouse):
    """Adding a standard is the most common change: no old version of any rule to run."""
    warehouse = make_warehouse({"marts.dim_services": SERVICES})
    repo = tmp_path / "repo"
    rules_dir = repo / "rules_sql"
    (rules_dir / "security").mkdir(parents=True)
    (rules_dir / "security" / "base.sql").write_text(
        rule_text("base", "select service_id, 1 as value from marts.dim_services", level=2)
    )
    _git(repo, "init", "-q")
    _git(repo, "add", ".")
    _git(repo, "commit", "-q", "-m", "base")
    (rules_dir / "security" / "tls.sql").write_text(
        rule_text("tls", TLS_SQL, thresholds='{pass: "== 1", warn: ">= 0.5"}', level=3)
    )
    args = ["--base", "HEAD", "--as-of", AS_OF, "--rules-dir", str(rules_dir)]
    assert cli("rules", "diff", *args, "--warehouse", str(warehouse)) == 0
    out = capsys.readouterr().out
    assert "+ security/tls (added)" in out
    assert "    results: pass 1, warn 1, fail 1" in out
    assert "    3 entities get a status:" in out
    assert "      service  svc-a                        (no result) -> pass  value 1" in out
    assert "      service  svc-b                        (no result) -> warn  value 0.5" in out
    assert "      service  svc-c                        (no result) -> fail  value 0" in out
    # svc-c now fails a level-3 rule: 5 -> 2; the others pass or warn and stay at 5
    assert "maturity level: 1 entities change level" in out
    assert "  service  svc-c                        5 -> 2  (blocked by tls)" in out


def test_check_suggests_the_rule_and_entity_an_exemption_meant(
    cli, capsys, make_warehouse, rules_dir, write_rule
):
    warehouse = make_warehouse({"marts.dim_services": SERVICES})
    write_rule("tls_endpoints", TLS_SQL)
    (rules_dir / "exemptions.yml").write_text(
        "- {rule: tls_endpoint, entity: svc-a, reason: r, approver: a, expires: 2027-01-01}\n"
        "- {rule: tls_endpoints, entity: svc-aa, reason: r, approver: a, expires: 2027-01-01}\n"
        "- {rule: tls_endpoints, entity: svc-b, reason: r, approver: a, expires: 2027-01-01,"
        " approvr: b}\n"
    )
    code = cli("rules", "check", "--rules-dir", str(rules_dir), "--warehouse", str(warehouse))
    out = capsys.readouterr().out
    assert code == 2
    lines = [
        line.partition("exemptions.yml:")[2]
        for line in out.splitlines()
        if "exemptions.yml" in line
    ]
    assert lines == [
        "3: entry 3: unknown key 'approvr' (did you mean approver?)",
        "1: exemption for unknown rule 'tls_endpoint' (did you mean tls_endpoints?)",
        "2: exemption of rule 'tls_endpoints' names unknown service 'svc-aa' (did you mean svc-a?)",
    ]


def test_a_failing_rule_fails_its_no_errors_check_in_the_instance(
    cli, capsys, make_warehouse, rules_dir, write_rule
):
    """The operator sees in the UI which rule failed: its `no_errors` check fails (with the
    message), the healthy rule's passes, and the backfill exits 1 naming the rule."""
    import dagster as dg

    from dagster_project.defs.runner import JobOptions, instance_for

    warehouse = make_warehouse({"marts.dim_services": SERVICES})
    write_rule("tls", TLS_SQL)
    write_rule("broken", "select service_id, no_such_column as value from marts.dim_services")
    code = cli(
        "rules", "backfill", "--from", AS_OF, "--to", AS_OF,
        "--rules-dir", str(rules_dir), "--warehouse", str(warehouse),
    )  # fmt: skip
    captured = capsys.readouterr()
    assert code == 1, captured.out + captured.err
    assert "FAILED security/broken: " in captured.out
    assert "no_such_column" in captured.out
    instance = instance_for(JobOptions(warehouse=str(warehouse), rules_dir=str(rules_dir)))
    latest = instance.event_log_storage.get_latest_asset_check_execution_by_key(
        [
            dg.AssetCheckKey(dg.AssetKey(["scorecards", "security", rule]), "no_errors")
            for rule in ("broken", "tls")
        ]
    )
    status = {key.asset_key.path[-1]: record.status.value for key, record in latest.items()}
    assert status == {"broken": "FAILED", "tls": "SUCCEEDED"}
