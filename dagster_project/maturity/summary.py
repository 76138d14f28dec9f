"""Plain-text summaries of the maturity snapshots and the balanced scorecard, for
`stature snapshot` and the summary `stature run` / `make demo` print."""

from __future__ import annotations

import duckdb

from dagster_project.summary import format_table
from dagster_project.warehouse import table_exists


def maturity_summary(con: duckdb.DuckDBPyConnection, *, quarters: int = 8) -> str:
    """Levels of the teams and the org per quarter (the last `quarters` closed ones and the
    open one), services per level, who moved in the latest quarter, and what blocks."""
    if not table_exists(con, "scorecards", "maturity_snapshots"):
        return "No maturity snapshots yet."
    shown = [
        r[0]
        for r in con.execute(
            "select quarter from (select distinct quarter, quarter_start, is_closed "
            "from scorecards.maturity_snapshots) order by quarter_start desc limit ?",
            [quarters + 1],
        ).fetchall()
    ][::-1]
    if not shown:
        return "No maturity snapshots yet."
    open_quarters = {
        r[0]
        for r in con.execute(
            "select distinct quarter from scorecards.maturity_snapshots where not is_closed"
        ).fetchall()
    }
    labels = [q + (" (open)" if q in open_quarters else "") for q in shown]
    parts = []
    levels = con.execute(
        "select entity_type, entity_id, quarter, level from scorecards.maturity_snapshots "
        "where entity_type in ('team', 'org') and quarter in (select unnest(?::varchar[]))",
        [shown],
    ).fetchall()
    grid: dict[tuple[str, str], dict[str, int]] = {}
    for etype, eid, quarter, level in levels:
        grid.setdefault((etype, eid), {})[quarter] = level
    rows = [
        [key[1], *[grid[key].get(q) for q in shown]]
        for key in sorted(grid, key=lambda k: (k[0] == "org", k[1]))
    ]
    closed = len([q for q in shown if q not in open_quarters])
    parts.append(
        f"Maturity by quarter ({closed} closed quarter{'s' if closed != 1 else ''}"
        f"{' and the open one' if open_quarters & set(shown) else ''}; "
        "team and org = the lower median of their services, capped by their own rules):"
    )
    parts.append(format_table(["team", *labels], rows))
    latest = shown[-1]
    services = con.execute(
        "select level, level_name, count(*) from scorecards.maturity_snapshots "
        "where entity_type = 'service' and quarter = ? group by all order by level",
        [latest],
    ).fetchall()
    parts.append(f"\nServices per maturity level, {latest}:")
    parts.append(format_table(["level", "name", "services"], services))
    if table_exists(con, "scorecards", "maturity_movements"):
        moved = con.execute(
            "select quarter, entity_type, entity_id, level_name_from || ' -> ' || level_name_to, "
            "movement from scorecards.maturity_movements "
            "where movement in ('up', 'down') and quarter in (select unnest(?::varchar[])) "
            "order by quarter_start desc, entity_type desc, entity_id limit 12",
            [shown],
        ).fetchall()
        parts.append("\nMovements (latest first):")
        parts.append(
            format_table(["quarter", "type", "entity", "level", "moved"], moved)
            if moved
            else "  none: every entity held its level"
        )
    blockers = con.execute(
        "select entity_id, level_name, next_level_name, blockers "
        "from scorecards.maturity_snapshots where quarter = ? and entity_type in ('team', 'org') "
        "order by entity_type = 'org', entity_id",
        [latest],
    ).fetchall()
    parts.append(f"\nWhat blocks the next level, {latest}:")
    parts.append(format_table(["team", "level", "next", "blocking rules"], blockers))
    return "\n".join(parts)


def bsc_summary(con: duckdb.DuckDBPyConnection) -> str:
    """The latest complete quarter's balanced scorecard: the org's measures, and red /
    yellow / green counts per team."""
    if not table_exists(con, "scorecards", "balanced_scorecard"):
        return "No balanced scorecard yet."
    row = con.execute("select max(period) from scorecards.balanced_scorecard").fetchone()
    period = row[0] if row else None
    if period is None:
        return "No balanced scorecard yet (no complete quarter with measures)."
    org = con.execute(
        "select perspective, measure_id, value, unit, target, status, trend, owner "
        "from scorecards.balanced_scorecard where period = ? and entity_type = 'org' "
        "order by perspective, measure_id",
        [period],
    ).fetchall()
    teams = con.execute(
        "select entity_id, count(*) filter (where status = 'green'), "
        "count(*) filter (where status = 'yellow'), count(*) filter (where status = 'red'), "
        "count(*) filter (where status not in ('green', 'yellow', 'red')) "
        "from scorecards.balanced_scorecard where period = ? and entity_type = 'team' "
        "group by entity_id order by entity_id",
        [period],
    ).fetchall()
    parts = [f"Balanced scorecard, org, {period}:"]
    parts.append(
        format_table(
            ["perspective", "measure", "value", "unit", "target", "RYG", "trend", "owner"], org
        )
    )
    parts.append(f"\nBalanced scorecard by team, {period} (measures per status):")
    parts.append(format_table(["team", "green", "yellow", "red", "no data"], teams))
    return "\n".join(parts)
