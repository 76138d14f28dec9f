"""`stature rules apply`: a new standard, evaluated over the history the warehouse keeps,
snapshotted and published in one verb, ends with the published copy a nightly would give:
its title in the rule catalog and its results in the pass-rate trend at every quarter end.
Real CLI, real Dagster instance (DAGSTER_HOME in tmp), on a copy of the session's nightly."""

from __future__ import annotations

import shutil

import duckdb
import pytest

from dagster_project.defs.runner import JobOptions, materialized_partitions
from tests.conftest import REPO, copy_of_nightly

NEW_RULE = """/*---
id: tls_strict
title: Every endpoint uses https, strictly
scorecard: security
level: 2
owner: security-team
entity: service
applies_to: "endpoint_count > 0"
thresholds: {pass: "== 1"}
unit: share of endpoints
rollout: enforced
---*/
select service_id, tls_endpoint_count::double / endpoint_count as value
from marts.dim_services
where endpoint_count > 0
"""


def _rows(database, sql, params=()):
    con = duckdb.connect(str(database), read_only=True)
    try:
        return con.execute(sql, list(params)).fetchall()
    finally:
        con.close()


@pytest.mark.slow
def test_apply_evaluates_a_new_rule_over_the_kept_history_and_publishes_it(
    tmp_path, nightly, monkeypatch
):
    ws = copy_of_nightly(nightly, tmp_path / "ws")
    rules = tmp_path / "rules_sql"
    shutil.copytree(REPO / "rules_sql", rules)
    (rules / "security" / "tls_strict.sql").write_text(NEW_RULE)
    # the instance `ws.stature` runs the CLI with
    monkeypatch.setenv("DAGSTER_HOME", str(ws.root / "dagster_home"))
    kept = [
        d
        for (d,) in _rows(
            ws.warehouse, "select distinct as_of from scorecards.check_results order by 1"
        )
    ]
    assert len(kept) >= 2  # the nightly's date and the quarter ends its snapshots closed

    done = ws.stature("rules", "apply", "tls_strict", "--rules-dir", str(rules))
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert f"apply 1 rule(s) over the {len(kept)} dates the warehouse keeps" in done.stdout
    assert "Published to " in done.stdout

    published = ws.published / "stature.duckdb"
    assert _rows(
        published,
        "select title, unit, thresholds from reporting.rule_catalog where rule_id = 'tls_strict'",
    ) == [("Every endpoint uses https, strictly", "share of endpoints", "pass == 1")]
    dates = _rows(
        published,
        "select distinct as_of from scorecards.check_results where rule_id = 'tls_strict' "
        "order by 1",
    )
    assert [d for (d,) in dates] == kept
    # every quarter end is a trend point, and the new rule is counted in it: the org's
    # graded security results at each quarter close are the nightly's plus the new rule's
    trend = (
        "select as_of, graded from reporting.scorecard_pass_rates "
        "where scorecard = 'security' and scope = 'org' and is_quarter_close order by 1"
    )
    before = dict(_rows(nightly.workspace.published / "stature.duckdb", trend))
    after = dict(_rows(published, trend))
    assert len(after) >= 2 and after.keys() == before.keys()
    new_rule_at = dict(
        _rows(
            published,
            "select as_of, count(*) from scorecards.check_results where rule_id = 'tls_strict' "
            "and status in ('pass', 'warn', 'fail', 'not_reported', 'error') group by 1",
        )
    )
    for as_of, graded in after.items():
        assert new_rule_at.get(as_of, 0) > 0, as_of
        assert graded == before[as_of] + new_rule_at[as_of], as_of

    # the Dagster instance the UI reads records the rule's partitions
    options = JobOptions(config_path=str(ws.config), warehouse=str(ws.warehouse))
    recorded = materialized_partitions(options, "scorecards", "security", "tls_strict")
    assert recorded == {d.isoformat() for d in kept}
