"""Initiative files (rules_sql/initiatives/<id>.yml) checked by `stature rules check` with the
same quality of messages as rules: file:line, did-you-mean for keys, rules and scorecards,
plain words for dates, a deadline before the start and a target outside 0..1."""

from __future__ import annotations

import textwrap
from pathlib import Path

from dagster_project.rules.initiatives import check_initiatives, load_initiatives
from dagster_project.rules.loader import load_rules

GOOD = """\
title: Tier-1 runbooks
owner: sre-team
rules: [runbook_linked]
applies_to: "tier = 'tier-1'"
start: 2026-10-01
deadline: 2027-03-31
target: 0.9
"""


def _setup(rules_dir: Path, write_rule, files: dict[str, str]) -> Path:
    write_rule(
        "runbook_linked",
        "select service_id, 1 as value from marts.dim_services",
        scorecard="production_readiness",
    )
    write_rule(
        "oncall_assigned",
        "select service_id, 1 as value from marts.dim_services",
        scorecard="production_readiness",
        level=3,
    )
    folder = rules_dir / "initiatives"
    folder.mkdir(exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(textwrap.dedent(text))
    return folder


def _check(cli, capsys, rules_dir: Path, warehouse: Path) -> tuple[int, list[str]]:
    code = cli("rules", "check", "--rules-dir", str(rules_dir), "--warehouse", str(warehouse))
    out = capsys.readouterr().out
    # from rules_sql/ on: the temp folder above it differs per run
    return code, [
        "rules_sql/" + line.split("/rules_sql/", 1)[1]
        for line in out.splitlines()
        if "initiatives/" in line
    ]


def test_a_good_initiative_passes_and_is_not_read_as_a_scorecard(
    cli, capsys, make_warehouse, rules_dir, write_rule
):
    _setup(rules_dir, write_rule, {"tier1_runbooks.yml": GOOD})
    code = cli(
        "rules", "check", "--rules-dir", str(rules_dir), "--warehouse", str(make_warehouse())
    )
    out = capsys.readouterr().out
    assert code == 0, out
    assert "checked 2 rules and 1 initiatives" in out
    assert [r.rule_id for r in load_rules(rules_dir)] == ["oncall_assigned", "runbook_linked"]


def test_unknown_keys_rules_and_scorecards_get_did_you_mean(
    cli, capsys, make_warehouse, rules_dir, write_rule
):
    _setup(
        rules_dir,
        write_rule,
        {
            "a.yml": GOOD.replace("owner:", "ownr:"),
            "b.yml": GOOD.replace("[runbook_linked]", "[runbook_linked, oncal_assigned]"),
            "c.yml": GOOD.replace("rules: [runbook_linked]", "scorecard: production_readines\nlevel: 3"),
            "d.yml": GOOD.replace("tier = 'tier-1'", "tierr = 'tier-1'"),
        },
    )  # fmt: skip
    code, lines = _check(cli, capsys, rules_dir, make_warehouse())
    assert code == 2
    assert lines == [
        "rules_sql/initiatives/a.yml:1: missing key 'owner' (add it to the file)",
        "rules_sql/initiatives/a.yml:2: unknown key 'ownr' (did you mean owner? The file has no owner)",
        "rules_sql/initiatives/b.yml:3: unknown rule 'oncal_assigned' (did you mean oncall_assigned?)",
        "rules_sql/initiatives/c.yml:3: unknown scorecard 'production_readines' "
        "(did you mean production_readiness?)",
        "rules_sql/initiatives/d.yml:4: applies_to: unknown column 'tierr' in marts.dim_services "
        "(did you mean tier?)",
    ]


def test_bad_dates_an_early_deadline_and_a_target_outside_0_1_are_plain(
    cli, capsys, make_warehouse, rules_dir, write_rule
):
    _setup(
        rules_dir,
        write_rule,
        {
            "dates.yml": GOOD.replace("2026-10-01", "next monday"),
            "order.yml": GOOD.replace("2027-03-31", "2026-09-30"),
            "share.yml": GOOD.replace("0.9", "90"),
            "both.yml": GOOD.replace("start: 2026-10-01\n", ""),
        },
    )
    code, lines = _check(cli, capsys, rules_dir, make_warehouse())
    assert code == 2
    assert lines == [
        "rules_sql/initiatives/both.yml:1: missing key 'start' (add it to the file)",
        "rules_sql/initiatives/dates.yml:5: key 'start': 'next monday' is not a date: write YYYY-MM-DD",
        "rules_sql/initiatives/order.yml:6: the deadline 2026-09-30 is before the start "
        "2026-10-01 (put the deadline on or after the start date)",
        "rules_sql/initiatives/share.yml:7: key 'target': target 90 is outside 0..1: write the "
        "share of covered entities that must pass (0.9 is 90%)",
    ]


def test_a_scorecard_and_level_resolve_to_its_rules_up_to_the_level(rules_dir, write_rule):
    _setup(
        rules_dir,
        write_rule,
        {
            "l2.yml": GOOD.replace("rules: [runbook_linked]", "scorecard: production_readiness\nlevel: 2"),
            "l3.yml": GOOD.replace("rules: [runbook_linked]", "scorecard: production_readiness\nlevel: 3"),
            "mixed.yml": GOOD.replace("rules: [runbook_linked]", "rules: [runbook_linked]\nlevel: 3"),
        },
    )  # fmt: skip
    items = load_initiatives(rules_dir)
    problems = check_initiatives(items, load_rules(rules_dir), None)
    assert {i.initiative_id: i.rule_ids for i in items if i.ok} == {
        "l2": ["runbook_linked"],
        "l3": ["oncall_assigned", "runbook_linked"],
    }
    assert [str(p).split("initiatives/")[1] for p in problems] == [
        "mixed.yml:4: level: goes with scorecard:, not with rules: "
        "(remove level:, or ask for a scorecard)"
    ]
