"""Which statuses a rule can give, and which of them its golden fixtures show it giving.

`stature rules test` prints one coverage line per rule, so a rule whose fixtures only walk
the happy path says so. What a rule *can* give is read from its header and query:

- `not_reported`: an applicable entity with no row, or a NULL value; always possible except
  for a query that reads the entity table itself (`marts.dim_services` or `dim_teams`, only
  left joins, no filter) and computes a value that cannot be NULL (`count(...)`, a `case`
  whose every branch is a number): every entity then gets a row and a value;
- `not_applicable`: when `applies_to` is set, or the query's own `status` says it;
- `pass` and `fail`: when the rule has thresholds (a balanced-scorecard measure gets them
  from its target); `warn` only when a warn threshold exists;
- whatever the query's own `status` column spells out (`case ... then 'warn' ...`).

`exempt` and `error` come from the engine, not from the rule: any rule can give them, so they
are not asked of every rule's fixtures.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import sqlglot
from sqlglot import exp

from dagster_project.rules.fixtures import CaseResult, fixture_path, load_fixture
from dagster_project.rules.loader import RuleFile
from dagster_project.rules.model import RULE_STATUSES

ORDER = RULE_STATUSES  # pass, warn, fail, not_applicable, not_reported


def own_statuses(rule: RuleFile) -> set[str] | None:
    """The statuses a rule's query writes in its own `status` column, read from the string
    literals of every expression it names `status`; None when it has no such column."""
    try:
        tree = sqlglot.parse_one(rule.body, read="duckdb")
    except sqlglot.errors.ParseError:
        return None
    named = [
        node.this
        for node in tree.find_all(exp.Alias)
        if node.alias.lower() == "status" and isinstance(node.parent, exp.Select)
    ]
    if not named:
        return None
    return {
        literal.this
        for expression in named
        for literal in expression.find_all(exp.Literal)
        if literal.is_string and literal.this in RULE_STATUSES
    }


ENTITY_TABLES = {"service": ("marts", "dim_services"), "team": ("marts", "dim_teams")}


def _never_null(node: exp.Expression | None, text: bool = False) -> bool:
    """Whether an expression gives a value for every row (conservative: False if unsure);
    with `text`, string literals count (a status), else only numbers (a value)."""
    if isinstance(node, (exp.Paren, exp.Cast, exp.Neg)):
        return _never_null(node.this, text)
    if isinstance(node, exp.Literal):
        return text or not node.is_string
    if isinstance(node, exp.Count):
        return True
    if isinstance(node, exp.Case):
        branches = [i.args.get("true") for i in node.args.get("ifs") or []]
        return all(_never_null(b, text) for b in [*branches, node.args.get("default")])
    if isinstance(node, exp.Coalesce):
        return any(_never_null(e, text) for e in [node.this, *node.expressions])
    if isinstance(node, (exp.Add, exp.Sub, exp.Mul)):
        return _never_null(node.this) and _never_null(node.expression)
    if isinstance(node, exp.Div):
        divisor = node.expression
        return (
            _never_null(node.this)
            and isinstance(divisor, exp.Literal)
            and not divisor.is_string
            and float(divisor.this) != 0
        )
    return False


def always_reports(rule: RuleFile) -> bool:
    """True when the query gives every entity of its table a row that grades, so
    `not_reported` cannot happen: one plain SELECT from the entity table, left joins only,
    no WHERE / HAVING / QUALIFY / LIMIT, grouped (if at all) by the entity key, and a status
    that is never NULL or thresholds and a value that is never NULL."""
    table = ENTITY_TABLES.get(rule.entity)
    if table is None or rule.header is None:
        return False
    try:
        tree = sqlglot.parse_one(rule.body, read="duckdb")
    except sqlglot.errors.ParseError:
        return False
    if not isinstance(tree, exp.Select):
        return False
    source = tree.args.get("from_")
    base = source.this if source is not None else None
    if not isinstance(base, exp.Table) or (base.db, base.name) != table:
        return False
    if any(tree.args.get(k) for k in ("where", "having", "qualify", "limit")):
        return False
    if any((j.side or "").upper() != "LEFT" for j in tree.args.get("joins") or []):
        return False
    key = rule.header.entity_key
    group = tree.args.get("group")
    if group is not None and not any(
        isinstance(e, exp.Column) and e.name == key for e in group.expressions
    ):
        return False
    named = {e.alias_or_name.lower(): e.unalias() for e in tree.expressions}
    if "status" in named and _never_null(named["status"], text=True):
        return True  # the rule's own status wins over a NULL value
    # a NULL status falls to the thresholds, which grade any value; without them: unreported
    return rule.header.thresholds is not None and _never_null(named.get("value"))


def producible(rule: RuleFile) -> tuple[str, ...]:
    """The statuses `rule` can give an entity (see the module docstring), in status order."""
    header = rule.header
    if header is None:
        return ()
    can = set() if always_reports(rule) else {"not_reported"}
    if header.applies_to:
        can.add("not_applicable")
    if header.thresholds is not None:
        can |= {"pass", "fail"}
        if header.thresholds.warn is not None:
            can.add("warn")
    own = own_statuses(rule)
    if own is not None:
        # A status column with no readable literal still grades: at least pass or fail.
        can |= own or {"pass", "fail"}
    return tuple(s for s in ORDER if s in can)


@dataclass(frozen=True)
class Coverage:
    """One rule's statuses: those it can give, and those its passing fixture cases show."""

    rule: str  # scorecard/rule_id
    producible: tuple[str, ...]
    covered: tuple[str, ...]

    @property
    def missing(self) -> tuple[str, ...]:
        return tuple(s for s in self.producible if s not in self.covered)

    @property
    def complete(self) -> bool:
        return not self.missing

    def line(self) -> str:
        shown = ", ".join(self.covered) or "nothing"
        if self.complete:
            return f"COVERAGE {self.rule}: {shown} (every status it can give)"
        return f"COVERAGE {self.rule}: {shown}; missing {', '.join(self.missing)}"


def coverage(rule: RuleFile, expected: Iterable[Sequence[str]]) -> Coverage:
    """`expected`: for each fixture case that passed, the statuses it expects."""
    seen = {status for case in expected for status in case}
    covered = tuple(s for s in (*ORDER, "exempt", "error") if s in seen)
    return Coverage(f"{rule.scorecard}/{rule.rule_id}", producible(rule), covered)


def fixture_coverage(rule: RuleFile, results: Sequence[CaseResult]) -> Coverage:
    """The coverage shown by `results`, the outcome of running the rule's fixture file (in
    its case order): a failing case shows nothing."""
    fixture, _ = load_fixture(fixture_path(rule)) if fixture_path(rule).exists() else (None, [])
    cases = fixture.cases if fixture is not None else []
    passed = [
        [e.status for e in case.expect.values()]
        for case, result in zip(cases, results, strict=False)
        if result.ok
    ]
    return coverage(rule, passed)


__all__ = [
    "Coverage",
    "always_reports",
    "coverage",
    "fixture_coverage",
    "own_statuses",
    "producible",
]
