"""From a rule's rows to one status per entity (docs/rules.md, "Statuses").

The order of precedence, per entity and date:

1. outside `applies_to`                      -> not_applicable
2. the rule failed (invalid, error, timeout) -> error (with the message)
3. a live exemption                          -> exempt
4. no row, or a NULL value and no status     -> not_reported
5. the rule's own `status` column            -> that status
6. the thresholds: pass, else warn, else     -> fail

`grade_entity` is the reference in Python; `GRADE_SQL` does the same for a whole run in
DuckDB (the engine grades hundreds of thousands of rows per date). The tests hold them equal.
"""

from __future__ import annotations

import pyarrow as pa

from dagster_project.rules.model import RULE_STATUSES, Thresholds, tolerance

_TOL = "(1e-9 * greatest(1.0, abs({x})))"


def _predicate(prefix: str, value: str = "o.value") -> str:
    """The threshold in columns `<prefix>_op/_a/_b` of `_rules` as SQL (see Threshold.to_sql)."""
    op, a, b = f"r.{prefix}_op", f"r.{prefix}_a", f"r.{prefix}_b"
    ta, tb = _TOL.format(x=a), _TOL.format(x=b)
    return (
        f"case {op} "
        f"when '>=' then {value} >= {a} - {ta} "
        f"when '>' then {value} > {a} + {ta} "
        f"when '<=' then {value} <= {a} + {ta} "
        f"when '<' then {value} < {a} - {ta} "
        f"when '==' then abs({value} - {a}) <= {ta} "
        f"when '!=' then abs({value} - {a}) > {ta} "
        f"when 'between' then {value} >= {a} - {ta} and {value} <= {b} + {tb} "
        "else false end"
    )


def grade_entity(
    *,
    applicable: bool,
    error: str | None,
    exempt: bool,
    has_row: bool,
    value: float | None,
    status: str | None,
    thresholds: Thresholds | None,
) -> str:
    if not applicable:
        return "not_applicable"
    if error is not None:
        return "error"
    if exempt:
        return "exempt"
    if not has_row:
        return "not_reported"
    if status is not None:
        return status
    if value is None or thresholds is None:
        return "not_reported"
    return thresholds.grade(value)


# Tables of the sandbox's in-memory catalog the engine fills for one evaluation.
SCRATCH_DDL = """
create or replace table memory.main._rules (
    rule_idx integer, rule_id varchar, entity_type varchar, has_thresholds boolean,
    pass_op varchar, pass_a double, pass_b double, warn_op varchar, warn_a double, warn_b double,
    pass_text varchar, warn_text varchar, unit_text varchar, thresholds_text varchar
);
create or replace table memory.main._entities (entity_type varchar, entity_id varchar);
create or replace table memory.main._app (rule_idx integer, entity_id varchar, applicable boolean);
create or replace table memory.main._dates (as_of date);
create or replace table memory.main._out (
    rule_idx integer, as_of date, entity_id varchar, value double, status varchar,
    note varchar, evidence_url varchar
);
create or replace table memory.main._err (rule_idx integer, as_of date, message varchar);
create or replace table memory.main._exempt (
    rule_id varchar, entity_id varchar, expires date, since date, note varchar
);
"""


def out_insert_sql(
    idx: int, query: str, key: str, columns: dict[str, str], *, batch: bool = False
) -> str:
    """The statement that runs a rule and keeps its rows. `columns` maps the rule's output
    names (lower case) to their spelling.

    One date: the rule reads `getvariable('as_of')`; its text starts on the statement's first
    line, so DuckDB's `LINE n` in an error message is the line in the rule file.
    All dates of `_dates` at once (`batch`): `query` has `getvariable('as_of')` replaced by
    `_stature_d.as_of` (validate.batch_query) and runs as a LATERAL subquery per date.
    """

    def col(name: str, kind: str) -> str:
        return f'cast(_rule."{columns[name]}" as {kind})' if name in columns else f"null::{kind}"

    as_of, source = "getvariable('as_of')", f"({query}\n) as _rule"
    if batch:
        as_of, source = (
            "_stature_d.as_of",
            f"memory.main._dates as _stature_d, lateral ({query}\n) as _rule",
        )
    return (
        f"insert into memory.main._out select {idx}, {as_of}, {col(key, 'varchar')}, "
        f"{col('value', 'double')}, {col('status', 'varchar')}, {col('note', 'varchar')}, "
        f"{col('evidence_url', 'varchar')} from {source}"
    )


# What a note may say about its own rule, filled in when it is graded (and again by a regrade,
# from the stored template): "target {pass} a week" reads "target >= 1 a week".
PLACEHOLDERS = {
    "{pass}": "pass_text",
    "{warn}": "warn_text",
    "{unit}": "unit_text",
    "{thresholds}": "thresholds_text",
}


def render_sql(note: str, texts: dict[str, str] | None = None) -> str:
    """`note` with every placeholder replaced: by the `_rules` columns (`r.pass_text`), or by
    the SQL expressions in `texts` (placeholder -> expression)."""
    out = note
    for placeholder, column in PLACEHOLDERS.items():
        value = texts[placeholder] if texts else f"coalesce(r.{column}, '')"
        out = f"replace({out}, '{placeholder}', {value})"
    return out


def placeholder_texts(header) -> tuple[str, str, str, str]:
    """(pass, warn, unit, thresholds) as a note shows them: `>= 1`, `>= 0.25`, the unit, and
    `pass >= 1; warn >= 0.25`; empty where the header has none."""
    t = header.thresholds if header is not None else None
    return (
        str(t.pass_) if t else "",
        str(t.warn) if t and t.warn else "",
        (header.unit or "") if header is not None else "",
        str(t) if t else "",
    )


_STATUS_LIST = ", ".join(f"'{s}'" for s in RULE_STATUSES)

# Rows a rule returned that make its result for that date unusable.
DUPLICATES_SQL = """
select rule_idx, as_of, entity_id, count(*) as n
from memory.main._out where entity_id is not null
group by all having count(*) > 1
order by rule_idx, as_of, entity_id
"""

BAD_STATUS_SQL = f"""
select rule_idx, as_of, list(distinct status order by status) as statuses
from memory.main._out
where status is not null and status not in ({_STATUS_LIST})
group by all order by rule_idx, as_of
"""

GRADE_SELECT = f"""
with errors as (
    select rule_idx, as_of, min(message) as message from memory.main._err group by all
),
exempt as (
    select r.rule_idx, x.entity_id, d.as_of, min(x.note) as note
    from memory.main._exempt x
    join memory.main._rules r on r.rule_id = x.rule_id
    join memory.main._dates d on d.as_of <= x.expires and (x.since is null or d.as_of >= x.since)
    group by all
),
joined as (
    select
        d.as_of, a.rule_idx, a.entity_id, a.applicable, e.message as error, x.note as exempt_note,
        o.rule_idx is not null as has_row, o.value, o.status as rule_status,
        {render_sql("o.note")} as note, o.note as raw_note,
        o.evidence_url, r.has_thresholds,
        {_predicate("pass")} as passes,
        {_predicate("warn")} as warns
    from memory.main._app a
    join memory.main._rules r on r.rule_idx = a.rule_idx
    cross join memory.main._dates d
    left join errors e on e.rule_idx = a.rule_idx and e.as_of = d.as_of
    left join exempt x on x.rule_idx = a.rule_idx and x.as_of = d.as_of and x.entity_id = a.entity_id
    left join memory.main._out o
        on o.rule_idx = a.rule_idx and o.as_of = d.as_of and o.entity_id = a.entity_id
)
select
    as_of, rule_idx, entity_id, has_row,
    case
        when not applicable then 'not_applicable'
        when error is not null then 'error'
        when exempt_note is not null then 'exempt'
        when not has_row then 'not_reported'
        when rule_status is not null then rule_status
        when value is null or not has_thresholds then 'not_reported'
        when passes then 'pass'
        when warns then 'warn'
        else 'fail'
    end as status,
    case when error is null or not applicable then value end as value,
    case
        when not applicable then note
        when error is not null then error
        when exempt_note is not null then exempt_note || coalesce(' | ' || note, '')
        when not has_row then 'no row for this entity'
        when rule_status is null and value is null then coalesce(note, 'value is NULL')
        else note
    end as note,
    case when error is null then evidence_url end as evidence_url,
    case when error is null and raw_note is distinct from note then raw_note end as note_template
from joined
"""


# The graded rows of an evaluation (GRADE_SELECT without `has_row`), for an empty result.
RESULT_SCHEMA = pa.schema(
    [
        ("as_of", pa.date32()),
        ("rule_idx", pa.int32()),
        ("entity_id", pa.string()),
        ("status", pa.string()),
        ("value", pa.float64()),
        ("note", pa.string()),
        ("evidence_url", pa.string()),
        ("note_template", pa.string()),
    ]
)


def threshold_columns(thresholds: Thresholds | None) -> tuple:
    """(has_thresholds, pass_op, pass_a, pass_b, warn_op, warn_a, warn_b) for `_rules`."""
    if thresholds is None:
        return (False, None, None, None, None, None, None)
    p, w = thresholds.pass_, thresholds.warn
    return (
        True,
        p.op,
        p.a,
        p.b,
        w.op if w else None,
        w.a if w else None,
        w.b if w else None,
    )


__all__ = [
    "BAD_STATUS_SQL",
    "DUPLICATES_SQL",
    "GRADE_SELECT",
    "SCRATCH_DDL",
    "grade_entity",
    "threshold_columns",
    "tolerance",
]
