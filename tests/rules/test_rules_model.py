"""The rule header model and thresholds: parsed once, refused with file and line."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pytest
from rules_helpers import file_hash, rule_text

from dagster_project.rules.loader import load_rules, parse_rule, rule_version
from dagster_project.rules.model import Threshold, Thresholds


@pytest.mark.parametrize(
    ("text", "op", "a", "b"),
    [
        (">= 1", ">=", 1.0, None),
        ("<= 0.3", "<=", 0.3, None),
        ("== 0", "==", 0.0, None),
        ("> -2.5", ">", -2.5, None),
        ("<5", "<", 5.0, None),
        ("!= 0", "!=", 0.0, None),
        ("between 1 and 5", "between", 1.0, 5.0),
        ("BETWEEN 0.5 AND 0.75", "between", 0.5, 0.75),
    ],
)
def test_threshold_forms_parse(text, op, a, b):
    assert Threshold.parse(text) == Threshold(op, a, b)


@pytest.mark.parametrize("text", ["1", ">= one", "=> 1", "between 5 and 1", "= 1", "", "about 3"])
def test_threshold_bad_forms_refused(text):
    with pytest.raises(ValueError):
        Threshold.parse(text)


EDGES = [
    (">= 1", 1.0, True),
    (">= 1", 0.999999, False),
    (">= 1", 1 - 1e-12, True),  # float noise at the edge counts as the edge
    ("> 0", 0.0, False),
    ("> 0", 1e-6, True),
    ("<= 0.3", 0.1 + 0.2, True),
    ("<= 0.3", 0.300001, False),
    ("< 5", 5.0, False),
    ("< 5", 4.999, True),
    ("== 0", 0.0, True),
    ("== 0", 1e-6, False),
    ("!= 0", 0.0, False),
    ("!= 0", 2.0, True),
    ("between 1 and 5", 1.0, True),
    ("between 1 and 5", 5.0, True),
    ("between 1 and 5", 0.99, False),
    ("between 1 and 5", 5.01, False),
]


@pytest.mark.parametrize(("text", "value", "expected"), EDGES)
def test_threshold_edges_in_python_and_sql_agree(text, value, expected):
    threshold = Threshold.parse(text)
    assert threshold.matches(value) is expected
    sql = threshold.to_sql("v")
    assert duckdb.sql(f"select {sql} from (select {value!r}::double as v)").fetchall() == [
        (expected,)
    ]


def test_thresholds_grade_pass_warn_fail_and_missing():
    t = Thresholds(**{"pass": ">= 1", "warn": ">= 0.25"})
    assert [t.grade(v) for v in (1.0, 0.25, 0.2499, None, float("nan"))] == [
        "pass",
        "warn",
        "fail",
        "not_reported",
        "not_reported",
    ]
    assert str(t) == "pass >= 1; warn >= 0.25"


def _write(tmp_path: Path, name: str, text: str) -> Path:
    folder = tmp_path / "rules_sql" / "security"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text)
    return path


def test_valid_header_is_a_typed_model(tmp_path):
    path = _write(
        tmp_path,
        "r1.sql",
        rule_text(
            "r1",
            "select service_id, 1 as value from marts.dim_services",
            extra="""
            applies_to: "tier = 'tier-1'"
            unit: deploys/week
            rollout: enforced
            enforce_from: 2027-01-01
            remediation: https://wiki.example/x
            """,
        ),
    )
    rule = parse_rule(path, path.read_text(), tmp_path / "rules_sql")
    assert rule.ok, rule.problems
    h = rule.header
    assert (h.id, h.scorecard, h.level, h.owner, h.entity, h.unit) == (
        "r1",
        "security",
        2,
        "platform-team",
        "service",
        "deploys/week",
    )
    assert h.thresholds.pass_ == Threshold(">=", 1.0)
    assert h.thresholds.warn == Threshold(">=", 0.5)
    assert h.enforce_from == dt.date(2027, 1, 1)
    assert h.effective_rollout(dt.date(2026, 12, 31)) == "shadow"
    assert h.effective_rollout(dt.date(2027, 1, 1)) == "enforced"
    assert rule.version == file_hash(path)


def test_the_rule_version_is_the_files_sha256_worked_outside_the_code():
    # `printf 'select 1\n' | sha256sum` -> 8903abffd6871087...
    assert rule_version("select 1\n") == "8903abffd6871087"


HEADER_ERRORS = [
    # (header lines after the required keys, expected message fragment, expected line)
    ("colour: red", "unknown key 'colour'", 7),
    ("level: 9", "key 'level'", None),
    ("entity: galaxy", "key 'entity'", 7),
    ('thresholds: {pass: "at least 1"}', "cannot read threshold 'at least 1'", 7),
    ("thresholds: {pass: 1}", "write the threshold as text", 7),
    ('thresholds: {warn: ">= 1"}', "missing key 'thresholds.pass'", None),
    ("rollout: soon", "key 'rollout'", 7),
    ("enforce_from: next year", "key 'enforce_from'", 7),
    ("title: twice", "duplicate key 'title'", 7),
]


@pytest.mark.parametrize(("extra", "fragment", "line"), HEADER_ERRORS)
def test_bad_header_values_are_refused_with_file_and_line(tmp_path, extra, fragment, line):
    text = (
        "/*---\nid: r1\ntitle: T\nscorecard: security\nowner: me\nlevel: 2\n"
        + extra
        + "\n---*/\nselect service_id, 1 as value from marts.dim_services\n"
    )
    if extra.startswith("level"):
        text = text.replace("level: 2\n", "")
    path = _write(tmp_path, "r1.sql", text)
    rule = parse_rule(path, text, tmp_path / "rules_sql")
    assert not rule.ok
    messages = [str(p) for p in rule.problems]
    assert any(fragment in m for m in messages), messages
    assert all("r1.sql" in m for m in messages)
    if line is not None:
        assert any(p.line == line for p in rule.problems), messages


def test_missing_header(tmp_path):
    path = _write(tmp_path, "r1.sql", "select service_id, 1 as value from marts.dim_services\n")
    rule = parse_rule(path, path.read_text())
    assert rule.header is None
    assert [(p.line, p.col) for p in rule.problems] == [(1, 1)]
    assert "missing header" in str(rule.problems[0])
    assert str(rule.problems[0]).startswith(str(path) + ":1:1: ") or "r1.sql:1:1:" in str(
        rule.problems[0]
    )


def test_unclosed_header(tmp_path):
    path = _write(tmp_path, "r1.sql", "/*---\nid: r1\nselect 1\n")
    rule = parse_rule(path, path.read_text())
    assert rule.header is None
    assert "not closed" in rule.problems[0].message


def test_malformed_yaml_names_the_line(tmp_path):
    text = "/*---\nid: r1\ntitle: [unclosed\nscorecard: security\n---*/\nselect 1\n"
    path = _write(tmp_path, "r1.sql", text)
    rule = parse_rule(path, text)
    assert rule.header is None
    assert "not valid YAML" in rule.problems[0].message
    assert rule.problems[0].line in (4, 5)


def test_required_keys_and_consistency(tmp_path):
    text = "/*---\nid: r1\nscorecard: security\n---*/\nselect 1\n"
    path = _write(tmp_path, "r1.sql", text)
    messages = sorted(p.message for p in parse_rule(path, text).problems)
    assert "missing key 'owner'" in messages
    assert "missing key 'title'" in messages
    org = rule_text(
        "r2", "select 'org' as org_id, 1 as value", entity="org", extra="applies_to: \"tier = 'x'\""
    )
    path = _write(tmp_path, "r2.sql", org)
    assert "applies_to is not allowed for entity: org" in str(parse_rule(path, org).problems)
    draft = rule_text("r3", "select 1", extra="rollout: draft\nenforce_from: 2027-01-01")
    path = _write(tmp_path, "r3.sql", draft)
    assert "enforce_from needs rollout: shadow or enforced" in str(parse_rule(path, draft).problems)
    nolevel = rule_text("r4", "select 1").replace("level: 2\n", "")
    path = _write(tmp_path, "r4.sql", nolevel)
    assert "level is required" in str(parse_rule(path, nolevel).problems)


def test_id_and_scorecard_must_match_the_path(tmp_path):
    path = _write(tmp_path, "other_name.sql", rule_text("r1", "select 1", scorecard="dora"))
    problems = [
        p.message for p in parse_rule(path, path.read_text(), tmp_path / "rules_sql").problems
    ]
    assert "id 'r1' does not match the file name 'other_name.sql'" in problems
    assert "scorecard 'dora' does not match the folder 'security'" in problems


def test_block_comment_inside_the_header_is_refused(tmp_path):
    text = rule_text("r1", "select 1", extra="description: reads inputs/*.csv")
    path = _write(tmp_path, "r1.sql", text)
    problems = parse_rule(path, text).problems
    assert len(problems) == 1 and "'/*' inside the header" in problems[0].message
    assert problems[0].line == 8


def test_duplicate_ids_across_scorecards_are_refused(tmp_path):
    rules_dir = tmp_path / "rules_sql"
    for scorecard in ("security", "dora"):
        (rules_dir / scorecard).mkdir(parents=True)
        (rules_dir / scorecard / "same.sql").write_text(
            rule_text(
                "same", "select service_id, 1 as value from marts.dim_services", scorecard=scorecard
            )
        )
    rules = load_rules(rules_dir)
    assert len(rules) == 2
    assert all("id 'same' is also used by" in str(r.problems) for r in rules)


PLAIN_HEADER_ERRORS = [
    # (header lines after the required keys, the whole message the analyst reads)
    (
        'treshold: {pass: ">= 1"}',
        "r1.sql:7: unknown key 'treshold' (did you mean thresholds? The header has no thresholds)",
    ),
    (
        "levle: 3",
        "r1.sql:7: unknown key 'levle' (did you mean level? The header has no level)",
    ),
    ("colour: red", "r1.sql:7: unknown key 'colour' (remove it or check its spelling)"),
    (
        "level: three",
        "r1.sql:7: key 'level': 'three' is not a whole number "
        "(the maturity level the rule belongs to, a whole number from 2 to 5)",
    ),
    (
        "level: 9",
        "r1.sql:7: key 'level': 9 is above the highest allowed, 5 "
        "(the maturity level the rule belongs to, a whole number from 2 to 5)",
    ),
    (
        "entity: servce",
        "r1.sql:7: key 'entity': 'servce' is not one of 'service', 'team' or 'org': "
        "did you mean service?",
    ),
    (
        "rollout: enforcd",
        "r1.sql:7: key 'rollout': 'enforcd' is not one of 'draft', 'shadow' or 'enforced': "
        "did you mean enforced?",
    ),
    (
        "enforce_from: next year",
        "r1.sql:7: key 'enforce_from': 'next year' is not a date: write YYYY-MM-DD "
        "(the date the rule starts to count, YYYY-MM-DD)",
    ),
    ("tags: 3", "r1.sql:7: key 'tags': 3 is not a list: write [a, b] or one '- item' per line (a list of words)"),
    (
        'thresholds: {pass: ">= 1", wran: ">= 0"}',
        "r1.sql:7: unknown key 'thresholds.wran' (did you mean warn?)",
    ),
]  # fmt: skip


@pytest.mark.parametrize(("extra", "message"), PLAIN_HEADER_ERRORS)
def test_header_mistakes_are_said_in_plain_words(tmp_path, extra, message):
    lines = ["/*---", "id: r1", "title: T", "scorecard: security", "owner: me"]
    if not extra.startswith(("level", "levle")):
        lines.append("level: 2")
    lines.append(extra)  # line 7, or 6 when it stands for the level
    text = "\n".join([*lines, "---*/", "select service_id, 1 as value from marts.dim_services", ""])
    if len(lines) == 6:
        message = message.replace("r1.sql:7:", "r1.sql:6:")
    path = _write(tmp_path, "r1.sql", text)
    rule = parse_rule(path, text, tmp_path / "rules_sql")
    messages = [str(p).rpartition("/")[2] for p in rule.problems]
    assert message in messages, messages
