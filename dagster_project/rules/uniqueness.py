"""`rules check`'s warning for a query that can return more than one row per entity, read
from the query's structure before anything runs (at run time such a date makes every entity
`error`).

A rule returns one row per entity key when its outer SELECT groups by the key (or is DISTINCT,
or dedupes with QUALIFY), or when the row it picks per key is unique: the key comes from a
source whose grain is that key (`marts.dim_services` on service_id, a CTE grouped by it, a
compound grain whose other columns a WHERE equality pins), and every join matches at most one
row (it joins on its source's grain). The grains are the dbt tests' (`unique`, `primary_key`,
`unique_combination_of_columns`). The warning is given only where the structure shows the
risk: the key, or a join, reads an event table whose grain does not hold that column
(`fct_deployments` by service_id), or a compound grain the query leaves open. Anything the
analysis cannot follow is given the benefit of the doubt.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import sqlglot
from sqlglot import exp

from dagster_project.rules.loader import RuleFile
from dagster_project.rules.model import ENTITY_KEYS, Problem

Grains = Mapping[str, list[frozenset[str]]]
ONE_ROW: list[frozenset[str]] = [frozenset()]


@dataclass
class _Scope:
    """The row sources of one SELECT: alias -> (what it is, its grain, the columns a WHERE or
    ON equality pins to a constant, the columns an ON equality ties to another source)."""

    grains: dict[str, list[frozenset[str]] | None] = field(default_factory=dict)
    nodes: dict[str, exp.Expression] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)
    fixed: dict[str, set[str]] = field(default_factory=dict)
    bound: dict[str, set[str]] = field(default_factory=dict)
    order: list[str] = field(default_factory=list)


def duplicate_warning(rule: RuleFile, grains: Grains) -> Problem | None:
    """A warning naming the source that can repeat an entity, or None."""
    if rule.header is None:
        return None
    try:
        tree = sqlglot.parse_one(rule.body, read="duckdb")
    except sqlglot.errors.SqlglotError:
        return None
    if not isinstance(tree, exp.Select):
        return None
    key = ENTITY_KEYS[rule.entity]
    ctes = {cte.alias_or_name.lower(): cte.this for cte in tree.find_all(exp.CTE)}
    output = next((e for e in tree.expressions if e.alias_or_name.lower() == key), None)
    if output is None or _one_row_per_group(tree, output):
        return None
    scope = _scope(tree, ctes, grains)
    column = _column(output.unalias() if isinstance(output, exp.Alias) else output)
    if column is None or scope is None:
        return None
    alias = column.table.lower() or (scope.order[0] if len(scope.order) == 1 else "")
    if alias not in scope.grains:
        return None
    culprit = None
    if _repeats(scope, alias, {column.name.lower()}):
        culprit = (alias, column.name.lower())
    for other in scope.order:
        if culprit is None and other != alias and _repeats(scope, other, scope.bound[other]):
            culprit = (other, ", ".join(sorted(scope.bound[other])) or "nothing")
    if culprit is None:
        return None
    source, by = culprit
    line, col = _position(rule, scope.nodes[source])
    return Problem(
        rule.path,
        line,
        col,
        f"warning: the query may return more than one row per {key}: {scope.names[source]} "
        f"has many rows per {by}, and the query has no GROUP BY {key}",
        f"group by {key} and aggregate the rest, or keep one row per {key} "
        f"(qualify row_number() over (partition by {key} order by ...) = 1); "
        "at run time a repeated entity makes the whole date an error",
    )


def _one_row_per_group(select: exp.Select, output: exp.Expression) -> bool:
    """Grouped by the key, DISTINCT, deduped with QUALIFY, or one aggregate row."""
    if select.args.get("distinct") or select.args.get("qualify"):
        return True
    group = select.args.get("group")
    if group is None:
        return any(
            isinstance(e.unalias(), exp.AggFunc) or e.find(exp.AggFunc) for e in select.expressions
        )
    if group.args.get("all"):
        return True
    target = output.unalias() if isinstance(output, exp.Alias) else output
    for expression in group.expressions:
        if expression == target or (
            isinstance(expression, exp.Column)
            and not expression.table
            and expression.name.lower() == output.alias_or_name.lower()
        ):
            return True
        if isinstance(expression, exp.Literal) and expression.is_int:
            index = int(expression.name) - 1
            if 0 <= index < len(select.expressions) and select.expressions[index] is output:
                return True
    return False


def _scope(select: exp.Select, ctes: dict[str, exp.Expression], grains: Grains) -> _Scope | None:
    scope = _Scope()
    from_ = select.args.get("from_") or select.args.get("from")
    if from_ is None:
        return None
    sources = [from_.this, *(j.this for j in select.args.get("joins") or [])]
    for source in sources:
        alias = source.alias_or_name.lower()
        scope.order.append(alias)
        scope.nodes[alias] = source
        scope.fixed[alias], scope.bound[alias] = set(), set()
        if isinstance(source, exp.Table) and not source.db and source.name.lower() in ctes:
            scope.grains[alias] = _grain(ctes[source.name.lower()], ctes, grains)
            scope.names[alias] = f"the CTE {source.name}"
        elif isinstance(source, exp.Table) and isinstance(source.this, exp.Identifier):
            relation = f"{source.db}.{source.name}".lower()
            scope.grains[alias] = grains.get(relation)
            scope.names[alias] = relation
        elif isinstance(source, exp.Subquery) and isinstance(source.this, exp.Select):
            scope.grains[alias] = _grain(source.this, ctes, grains)
            scope.names[alias] = f"the subquery {alias}"
        else:
            scope.grains[alias] = None
            scope.names[alias] = alias
    joins = select.args.get("joins") or []
    for condition in [select.args.get("where"), *(j.args.get("on") for j in joins)]:
        if condition is not None:
            _equalities(condition.this if isinstance(condition, exp.Where) else condition, scope)
    return scope


def _equalities(condition: exp.Expression, scope: _Scope) -> None:
    """Record `a.col = constant` (fixed) and `a.col = b.col` (bound, on both sides)."""
    for eq in _conjuncts(condition):
        if not isinstance(eq, exp.EQ):
            continue
        sides = [_column(eq.left), _column(eq.right)]
        owners = [_owner(c, scope) if c is not None else None for c in sides]
        for i in (0, 1):
            other = eq.right if i == 0 else eq.left
            if owners[i] is None:
                continue
            if owners[1 - i] is not None and owners[1 - i] != owners[i]:
                scope.bound[owners[i]].add(sides[i].name.lower())
            elif not any(_owner(c, scope) for c in other.find_all(exp.Column) if _outer(c, other)):
                scope.fixed[owners[i]].add(sides[i].name.lower())


def _conjuncts(condition: exp.Expression) -> list[exp.Expression]:
    if isinstance(condition, exp.And):
        return _conjuncts(condition.left) + _conjuncts(condition.right)
    if isinstance(condition, exp.Paren):
        return _conjuncts(condition.this)
    return [condition]


def _outer(column: exp.Column, root: exp.Expression) -> bool:
    """A column of this scope, not of a subquery inside `root`."""
    node = column.parent
    while node is not None and node is not root:
        if isinstance(node, exp.Subquery | exp.Select):
            return False
        node = node.parent
    return True


def _owner(column: exp.Column, scope: _Scope) -> str | None:
    alias = column.table.lower()
    if alias:
        return alias if alias in scope.grains else None
    return scope.order[0] if len(scope.order) == 1 else None


def _column(node: exp.Expression) -> exp.Column | None:
    while isinstance(node, exp.Cast | exp.Paren):
        node = node.this
    return node if isinstance(node, exp.Column) else None


def _repeats(scope: _Scope, alias: str, columns: set[str]) -> bool:
    """Whether the source is known to hold several rows per `columns` (after the columns the
    query pins): an event table whose grain lacks them, or a compound grain left open with no
    other equality on the source that could pin it."""
    grain = scope.grains.get(alias)
    if grain is None:
        return False
    fixed = scope.fixed[alias]
    if any(unique - fixed <= columns for unique in grain):
        return False
    if not any(columns & unique for unique in grain):
        return True  # the key is not part of the grain at all: many rows per key
    in_grain = set().union(*grain)
    return not (fixed - in_grain)  # no equality on a column that can stand for the rest


def _grain(select: exp.Expression, ctes: dict[str, exp.Expression], grains: Grains):
    """The output column sets a CTE or subquery is unique on, or None when unknown."""
    if not isinstance(select, exp.Select):
        return None
    names = [e.alias_or_name.lower() for e in select.expressions]
    group = select.args.get("group")
    if select.args.get("distinct"):
        return [frozenset(names)]
    if group is None and any(e.find(exp.AggFunc) for e in select.expressions):
        return ONE_ROW
    if group is not None:
        if group.args.get("all"):
            return [
                frozenset(
                    n
                    for n, e in zip(names, select.expressions, strict=True)
                    if not e.find(exp.AggFunc)
                )
            ]
        out = set()
        for expression in group.expressions:
            match = [
                n
                for n, e in zip(names, select.expressions, strict=True)
                if (e.unalias() if isinstance(e, exp.Alias) else e) == expression
                or n == expression.alias_or_name.lower()
            ]
            if not match:
                return None
            out.add(match[0])
        return [frozenset(out)]
    scope = _scope(select, ctes, grains)
    if scope is None or len(scope.order) != 1:
        return None
    alias = scope.order[0]
    inner = scope.grains[alias]
    if inner is None:
        return None
    renamed = {}
    for name, e in zip(names, select.expressions, strict=True):
        column = _column(e.unalias() if isinstance(e, exp.Alias) else e)
        if column is not None:
            renamed[column.name.lower()] = name
    fixed = scope.fixed[alias]
    sets = [
        frozenset(renamed[c] for c in unique - fixed)
        for unique in inner
        if unique - fixed <= set(renamed)
    ]
    return sets or None


def _position(rule: RuleFile, node: exp.Expression) -> tuple[int | None, int | None]:
    """The file line and column of a node of the rule's body."""
    offset = rule.text.find(rule.body)
    starts = [
        (getattr(sub, "meta", None) or {}).get("start")
        for sub in (
            node.walk() if not isinstance(node, exp.Table) else node.find_all(exp.Identifier)
        )
    ]
    starts = [s for s in starts if s is not None]
    start = min(starts) if starts else None
    if start is None or offset < 0:
        return rule.header_end_line, None
    before = rule.text[: offset + start]
    return before.count("\n") + 1, len(before) - before.rfind("\n")
