"""The `reporting` schema: stable views that leaders, the notebook, BI tools and the HTML
report read, created in the warehouse before publish copies them.

Each view names the tables and columns it needs. A view whose inputs are missing (a stage
that has not run yet) is skipped with the reason and dropped if an older version exists, so
publish never re-creates a view over a table that is not there. Views read tables by their
schema-qualified names only (`marts.dora_metrics`), never through a catalog name: publish
re-creates them from their SQL in another database file.

Also here: `reporting.rule_catalog`, a small table of the rule headers (title, unit,
remediation, ...) so the report and BI tools can say what a rule means, not only its id.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from dagster_project.config import StatureConfig

SCHEMA = "reporting"
RULE_CATALOG = "rule_catalog"

log = logging.getLogger(__name__)


def sql_string(text: str) -> str:
    return "'" + str(text).replace("'", "''") + "'"


def fiscal_quarter(date_sql: str, start_month: int) -> tuple[str, str]:
    """SQL for the fiscal quarter label ('2026-Q1') and start date of a DATE expression,
    the same convention as the dbt period macros: a fiscal year is named by the calendar
    year in which it starts."""
    index = f"((month({date_sql}) - {start_month} + 12) % 12)"
    year = f"(year({date_sql}) - case when month({date_sql}) < {start_month} then 1 else 0 end)"
    number = f"(cast(floor({index} / 3) as integer) + 1)"
    label = f"(cast({year} as varchar) || '-Q' || cast({number} as varchar))"
    start = f"cast(date_trunc('month', {date_sql}) - to_months({index} % 3) as date)"
    return label, start


@dataclass(frozen=True)
class Catalog:
    """Tables and their columns (in order) of the warehouse's main database."""

    columns: dict[str, list[str]]

    @classmethod
    def read(cls, con: duckdb.DuckDBPyConnection) -> Catalog:
        rows = con.execute(
            """
            select table_schema || '.' || table_name, column_name
            from information_schema.columns
            where table_catalog = current_database()
              and table_schema in ('marts', 'scorecards', 'reporting')
            order by table_schema, table_name, ordinal_position
            """
        ).fetchall()
        columns: dict[str, list[str]] = {}
        for table, column in rows:
            columns.setdefault(table, []).append(column)
        return cls(columns)

    def has(self, table: str) -> bool:
        return table in self.columns

    def missing(self, needs: dict[str, tuple[str, ...]]) -> str | None:
        """Why the tables in `needs` cannot be read, or None when they all can."""
        absent = [t for t in needs if t not in self.columns]
        if absent:
            return "missing table" + ("s " if len(absent) > 1 else " ") + ", ".join(absent)
        for table, wanted in needs.items():
            lacking = [c for c in wanted if c not in self.columns[table]]
            if lacking:
                return f"{table} has no column{'s' if len(lacking) > 1 else ''} " + ", ".join(
                    lacking
                )
        return None


@dataclass(frozen=True)
class Context:
    """What a view's SQL may depend on besides the tables: the org's settings."""

    catalog: Catalog
    org_name: str
    fiscal_year_start_month: int
    ladder: tuple[str, ...]
    perspectives: tuple[str, ...]

    def ladder_values(self) -> str:
        rows = ", ".join(f"({i}, {sql_string(n)})" for i, n in enumerate(self.ladder, start=1))
        return f"(values {rows}) as ladder(level, level_name)"

    def ownership(self) -> str:
        """Which team owned which service when: the history if dbt built it, else the
        current owner for all time."""
        if self.catalog.missing({"marts.dim_service_teams": OWNERSHIP_COLUMNS}) is None:
            return "select service_id, team_id, valid_from, valid_to from marts.dim_service_teams"
        return (
            "select service_id, team_id, date '1970-01-01' as valid_from, "
            "cast(null as date) as valid_to from marts.dim_services"
        )


OWNERSHIP_COLUMNS = ("service_id", "team_id", "valid_from", "valid_to")

# marts.dora_metrics columns the view passes on, in this order (see README "Reporting views").
DORA_COLUMNS = (
    "period_grain",
    "period_start",
    "period_end",
    "period_label",
    "entity_type",
    "entity_id",
    "deployments",
    "deploy_days",
    "deployment_frequency",
    "lead_time_sample_size",
    "lead_time_p50_hours",
    "lead_time_p75_hours",
    "lead_time_p90_hours",
    "failed_deployments",
    "change_failure_rate",
    "recovery_sample_size",
    "recovery_time_p50_hours",
    "rework_deployments",
    "rework_rate",
    "incidents",
    "restore_time_p50_hours",
    "linkage_coverage",
    "deployment_frequency_tier",
    "lead_time_tier",
    "change_failure_rate_tier",
    "recovery_time_tier",
    "rework_rate_tier",
    "benchmark_edition",
)
CHECK_COLUMNS = ("as_of", "rule_id", "scorecard", "level", "entity_type", "entity_id", "status")
SNAPSHOT_COLUMNS = (
    "quarter",
    "quarter_start",
    "entity_type",
    "entity_id",
    "team_id",
    "level",
    "level_name",
    "blockers",
    "as_of",
)
BSC_COLUMNS = (
    "period",
    "period_start",
    "period_end",
    "entity_type",
    "entity_id",
    "perspective",
    "objective",
    "measure_id",
    "title",
    "value",
    "unit",
    "target",
    "direction",
    "status",
    "previous_value",
    "trend",
    "owner",
    "indicator",
)
MOVEMENT_COLUMNS = (
    "quarter",
    "quarter_start",
    "previous_quarter",
    "entity_type",
    "entity_id",
    "team_id",
    "level_from",
    "level_name_from",
    "level_to",
    "level_name_to",
    "level_change",
    "movement",
)


def _dora_trends(ctx: Context) -> str:
    measures = ",\n    ".join(f"dora.{c}" for c in DORA_COLUMNS[6:])
    return f"""
with ownership as (
    {ctx.ownership()}
)

select
    dora.period_grain,
    dora.period_start,
    dora.period_end,
    dora.period_label,
    dora.entity_type,
    dora.entity_id,
    coalesce(
        teams.name,
        services.name,
        case when dora.entity_type = 'org' then {sql_string(ctx.org_name)} end,
        dora.entity_id
    ) as entity_name,
    case dora.entity_type
        when 'team' then dora.entity_id
        when 'service' then ownership.team_id
    end as team_id,
    {measures}
from marts.dora_metrics as dora
left join marts.dim_teams as teams
    on dora.entity_type = 'team' and teams.team_id = dora.entity_id
left join marts.dim_services as services
    on dora.entity_type = 'service' and services.service_id = dora.entity_id
left join ownership
    on dora.entity_type = 'service'
    and ownership.service_id = dora.entity_id
    and ownership.valid_from <= dora.period_end
    and (ownership.valid_to is null or ownership.valid_to > dora.period_end)
where dora.period_grain in ('month', 'quarter')
"""


def _status_counts(source: str) -> str:
    return f"""
        count(distinct {source}.entity_id) as entities,
        count(*) filter (where {source}.status = 'pass') as passed,
        count(*) filter (where {source}.status = 'warn') as warned,
        count(*) filter (where {source}.status = 'fail') as failed,
        count(*) filter (where {source}.status = 'not_reported') as not_reported,
        count(*) filter (where {source}.status = 'error') as errored,
        count(*) filter (where {source}.status = 'exempt') as exempt,
        count(*) filter (where {source}.status = 'not_applicable') as not_applicable"""


def _scorecard_pass_rates(ctx: Context) -> str:
    label, start = fiscal_quarter("results.as_of", ctx.fiscal_year_start_month)
    rollout = (
        "coalesce(checks.rollout, 'enforced') = 'enforced'"
        if "rollout" in ctx.catalog.columns["scorecards.check_results"]
        else "true"
    )
    return f"""
with ownership as (
    {ctx.ownership()}
),

checks as (
    select * from scorecards.check_results as checks where {rollout}
),

results as (
    select
        checks.as_of,
        checks.scorecard,
        checks.entity_type,
        checks.entity_id,
        checks.status,
        case checks.entity_type
            when 'team' then checks.entity_id
            when 'service' then ownership.team_id
        end as team_id
    from checks
    left join ownership
        on checks.entity_type = 'service'
        and ownership.service_id = checks.entity_id
        and ownership.valid_from <= checks.as_of
        and (ownership.valid_to is null or ownership.valid_to > checks.as_of)
),

evaluations as (
    select
        as_of,
        quarter,
        quarter_start,
        as_of = max(as_of) over (partition by quarter_start) as is_quarter_close
    from (
        select distinct
            results.as_of,
            {label} as quarter,
            {start} as quarter_start
        from results
    ) as dates
),

by_team as (
    select
        results.as_of,
        results.scorecard,
        'team' as scope,
        results.team_id,{_status_counts("results")}
    from results
    where results.team_id is not null
    group by results.as_of, results.scorecard, results.team_id
),

by_org as (
    select
        results.as_of,
        results.scorecard,
        'org' as scope,
        cast(null as varchar) as team_id,{_status_counts("results")}
    from results
    group by results.as_of, results.scorecard
),

counted as (
    select * from by_team
    union all
    select * from by_org
)

select
    counted.as_of,
    evaluations.quarter,
    evaluations.quarter_start,
    evaluations.is_quarter_close,
    counted.scorecard,
    counted.scope,
    counted.team_id,
    case
        when counted.scope = 'org' then {sql_string(ctx.org_name)}
        else coalesce(teams.name, counted.team_id)
    end as team_name,
    counted.entities,
    counted.passed,
    counted.warned,
    counted.failed,
    counted.not_reported,
    counted.errored,
    counted.exempt,
    counted.not_applicable,
    counted.passed + counted.warned + counted.failed + counted.not_reported + counted.errored
        as graded,
    case
        when counted.passed + counted.warned + counted.failed + counted.not_reported
            + counted.errored > 0
            then counted.passed / (
                counted.passed + counted.warned + counted.failed + counted.not_reported
                + counted.errored
            )
    end as pass_rate
from counted
inner join evaluations on evaluations.as_of = counted.as_of
left join marts.dim_teams as teams on teams.team_id = counted.team_id
"""


def _maturity_distribution(ctx: Context) -> str:
    return f"""
with snapshots as (
    select quarter, quarter_start, entity_type, entity_id, level, as_of
    from scorecards.maturity_snapshots
),

quarters as (
    select
        quarter,
        quarter_start,
        entity_type,
        count(*) as total_entities,
        max(as_of) as as_of
    from snapshots
    group by quarter, quarter_start, entity_type
),

counts as (
    select quarter, entity_type, level, count(*) as entities
    from snapshots
    group by quarter, entity_type, level
),

ladder as (
    -- unrated entities (level NULL) get a row of their own, so the shares add up to 1
    select * from {ctx.ladder_values()}
    union all
    select null, 'Unrated'
)

select
    quarters.quarter,
    quarters.quarter_start,
    quarters.as_of,
    quarters.as_of >= cast(quarters.quarter_start + interval 3 month - interval 1 day as date)
        as is_closed,
    quarters.entity_type,
    ladder.level,
    ladder.level_name,
    coalesce(counts.entities, 0) as entities,
    quarters.total_entities,
    coalesce(counts.entities, 0) / quarters.total_entities as share
from quarters
cross join ladder
left join counts
    on counts.quarter = quarters.quarter
    and counts.entity_type = quarters.entity_type
    and counts.level is not distinct from ladder.level
"""


def _maturity_movements(ctx: Context) -> str:
    # The maturity stage keeps the movements between consecutive quarters: read them when
    # they are there; otherwise compare each snapshot with the entity's previous one.
    if ctx.catalog.missing({"scorecards.maturity_movements": MOVEMENT_COLUMNS}) is None:
        columns = ",\n    ".join(MOVEMENT_COLUMNS)
        return f"""
select
    {columns}
from scorecards.maturity_movements
"""
    return """
with ordered as (
    select
        quarter,
        quarter_start,
        entity_type,
        entity_id,
        team_id,
        level,
        level_name,
        lag(quarter) over (
            partition by entity_type, entity_id order by quarter_start
        ) as previous_quarter,
        lag(level) over (
            partition by entity_type, entity_id order by quarter_start
        ) as previous_level,
        lag(level_name) over (
            partition by entity_type, entity_id order by quarter_start
        ) as previous_level_name
    from scorecards.maturity_snapshots
)

select
    quarter,
    quarter_start,
    previous_quarter,
    entity_type,
    entity_id,
    team_id,
    previous_level as level_from,
    previous_level_name as level_name_from,
    level as level_to,
    level_name as level_name_to,
    level - previous_level as level_change,
    case
        when previous_level is null then 'new'
        when level > previous_level then 'up'
        when level < previous_level then 'down'
        else 'same'
    end as movement
from ordered
"""


def _balanced_scorecard(ctx: Context) -> str:
    order = (
        ", ".join(f"({i}, {sql_string(p)})" for i, p in enumerate(ctx.perspectives, start=1))
        or "(1, '')"
    )
    return f"""
with perspectives as (
    select * from (values {order}) as perspectives(perspective_order, perspective)
)

select
    bsc.period,
    bsc.period_start,
    bsc.period_end,
    max(bsc.period_start) over (
        partition by bsc.entity_type, bsc.entity_id, bsc.measure_id
    ) = bsc.period_start as is_latest,
    bsc.entity_type,
    bsc.entity_id,
    coalesce(
        teams.name,
        case when bsc.entity_type = 'org' then {sql_string(ctx.org_name)} end,
        bsc.entity_id
    ) as entity_name,
    coalesce(perspectives.perspective_order, 99) as perspective_order,
    bsc.perspective,
    bsc.objective,
    bsc.measure_id,
    bsc.title,
    bsc.value,
    bsc.unit,
    bsc.target,
    bsc.direction,
    bsc.status,
    bsc.previous_value,
    bsc.trend,
    bsc.owner,
    bsc.indicator
from scorecards.balanced_scorecard as bsc
left join perspectives on perspectives.perspective = bsc.perspective
left join marts.dim_teams as teams
    on bsc.entity_type = 'team' and teams.team_id = bsc.entity_id
"""


def _service_standards(ctx: Context) -> str:
    columns = ctx.catalog.columns["scorecards.check_results"]
    optional = ",\n    ".join(
        f"checks.{c}" if c in columns else f"cast(null as varchar) as {c}"
        for c in ("threshold", "note", "evidence_url", "rollout")
    )
    return f"""
with latest as (
    select max(as_of) as as_of
    from scorecards.check_results
    where entity_type = 'service'
)

select
    checks.as_of,
    checks.entity_id as service_id,
    coalesce(services.name, checks.entity_id) as service_name,
    services.team_id,
    coalesce(teams.name, services.team_id) as team_name,
    services.tier,
    services.lifecycle,
    checks.scorecard,
    checks.rule_id,
    checks.level,
    checks.status,
    case
        when checks.status = 'pass' then 'green'
        when checks.status = 'warn' then 'yellow'
        when checks.status in ('fail', 'not_reported', 'error') then 'red'
        else 'grey'
    end as rag,
    checks.value,
    {optional}
from scorecards.check_results as checks
inner join latest on latest.as_of = checks.as_of
left join marts.dim_services as services on services.service_id = checks.entity_id
left join marts.dim_teams as teams on teams.team_id = services.team_id
where checks.entity_type = 'service'
"""


def _service_maturity(ctx: Context) -> str:
    return f"""
with latest as (
    select max(quarter_start) as quarter_start
    from scorecards.maturity_snapshots
    where entity_type = 'service'
),

ladder as (
    select * from {ctx.ladder_values()}
)

select
    snapshots.quarter,
    snapshots.quarter_start,
    snapshots.as_of,
    snapshots.entity_id as service_id,
    coalesce(services.name, snapshots.entity_id) as service_name,
    coalesce(snapshots.team_id, services.team_id) as team_id,
    coalesce(teams.name, snapshots.team_id, services.team_id) as team_name,
    services.tier,
    services.lifecycle,
    snapshots.level,
    snapshots.level_name,
    next_level.level as next_level,
    next_level.level_name as next_level_name,
    snapshots.blockers,
    coalesce(len(snapshots.blockers), 0) as blocker_count
from scorecards.maturity_snapshots as snapshots
inner join latest on latest.quarter_start = snapshots.quarter_start
left join ladder as next_level on next_level.level = snapshots.level + 1
left join marts.dim_services as services on services.service_id = snapshots.entity_id
left join marts.dim_teams as teams
    on teams.team_id = coalesce(snapshots.team_id, services.team_id)
where snapshots.entity_type = 'service'
"""


@dataclass(frozen=True)
class ViewSpec:
    name: str
    description: str
    needs: dict[str, tuple[str, ...]]
    build: Callable[[Context], str]


VIEWS: tuple[ViewSpec, ...] = (
    ViewSpec(
        "dora_trends",
        "DORA by month and quarter for every service, team and the org, with names and "
        "the team that owned each service at the period's end",
        {
            "marts.dora_metrics": DORA_COLUMNS,
            "marts.dim_teams": ("team_id", "name"),
            "marts.dim_services": ("service_id", "name", "team_id"),
        },
        _dora_trends,
    ),
    ViewSpec(
        "scorecard_pass_rates",
        "Enforced check results counted by status per evaluation date, scorecard and team "
        "(and the whole org), with the pass rate",
        {
            "scorecards.check_results": CHECK_COLUMNS,
            "marts.dim_teams": ("team_id", "name"),
            "marts.dim_services": ("service_id", "team_id"),
        },
        _scorecard_pass_rates,
    ),
    ViewSpec(
        "maturity_distribution",
        "How many entities sit at each maturity level, per quarter and entity type",
        {"scorecards.maturity_snapshots": SNAPSHOT_COLUMNS},
        _maturity_distribution,
    ),
    ViewSpec(
        "maturity_movements",
        "Each entity's level against its previous snapshot: up, down, same or new",
        {"scorecards.maturity_snapshots": SNAPSHOT_COLUMNS},
        _maturity_movements,
    ),
    ViewSpec(
        "balanced_scorecard",
        "The balanced scorecard with perspective order and the latest period flagged",
        {"scorecards.balanced_scorecard": BSC_COLUMNS, "marts.dim_teams": ("team_id", "name")},
        _balanced_scorecard,
    ),
    ViewSpec(
        "service_standards",
        "The latest evaluation of every standard for every service, with a red/yellow/green colour",
        {
            "scorecards.check_results": (*CHECK_COLUMNS, "value"),
            "marts.dim_services": ("service_id", "name", "team_id", "tier", "lifecycle"),
            "marts.dim_teams": ("team_id", "name"),
        },
        _service_standards,
    ),
    ViewSpec(
        "service_maturity",
        "Every service's maturity level in the latest quarter, the next level and the rules "
        "blocking it",
        {
            "scorecards.maturity_snapshots": SNAPSHOT_COLUMNS,
            "marts.dim_services": ("service_id", "name", "team_id", "tier", "lifecycle"),
            "marts.dim_teams": ("team_id", "name"),
        },
        _service_maturity,
    ),
)
VIEW_NAMES = tuple(v.name for v in VIEWS)


def missing_inputs(view: ViewSpec, catalog: Catalog) -> str | None:
    return catalog.missing(view.needs)


@dataclass
class ViewsOutcome:
    created: list[str] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)  # "reporting.x" -> reason
    rule_catalog_rows: int | None = None


def create_reporting_views(
    con: duckdb.DuckDBPyConnection,
    config: StatureConfig,
    *,
    rules_dir: Path | None = None,
    logger: logging.Logger | logging.LoggerAdapter | None = None,
) -> ViewsOutcome:
    """Create (or replace) every reporting view whose inputs exist; skip and drop the rest."""
    logger = logger or log
    outcome = ViewsOutcome()
    con.execute(f"create schema if not exists {SCHEMA}")
    if rules_dir is not None:
        try:
            outcome.rule_catalog_rows = write_rule_catalog(con, rules_dir)
        except Exception as exc:  # a reader of rule files must not stop the views
            outcome.skipped[f"{SCHEMA}.{RULE_CATALOG}"] = f"cannot read rules: {exc}"
    ctx = Context(
        catalog=Catalog.read(con),
        org_name=config.org.name,
        fiscal_year_start_month=config.org.fiscal_year_start_month,
        ladder=tuple(config.ladder_names),
        perspectives=tuple(config.balanced_scorecard.perspectives),
    )
    for view in VIEWS:
        qualified = f"{SCHEMA}.{view.name}"
        reason = missing_inputs(view, ctx.catalog)
        if reason is None:
            try:
                con.execute(f"create or replace view {qualified} as {view.build(ctx)}")
                con.execute(f"comment on view {qualified} is {sql_string(view.description)}")
                outcome.created.append(qualified)
                continue
            except duckdb.Error as exc:
                reason = f"{type(exc).__name__}: {exc}"
        outcome.skipped[qualified] = reason
        # An older version over a table that is gone would break publish: remove it.
        try:
            con.execute(f"drop view if exists {qualified}")
        except duckdb.Error as exc:
            logger.warning(f"{qualified}: cannot drop the previous version: {exc}")
    for name, reason in outcome.skipped.items():
        logger.warning(f"{name} skipped: {reason}")
    return outcome


RULE_CATALOG_COLUMNS = (
    ("rule_id", "varchar"),
    ("scorecard", "varchar"),
    ("title", "varchar"),
    ("level", "integer"),
    ("entity", "varchar"),
    ("owner", "varchar"),
    ("unit", "varchar"),
    ("thresholds", "varchar"),
    ("rollout", "varchar"),
    ("remediation", "varchar"),
    ("description", "varchar"),
    ("perspective", "varchar"),
    ("objective", "varchar"),
    ("indicator", "varchar"),
    ("direction", "varchar"),
    ("rule_version", "varchar"),
)


def write_rule_catalog(con: duckdb.DuckDBPyConnection, rules_dir: Path) -> int:
    """reporting.rule_catalog: one row per valid rule file (its header)."""
    from dagster_project.rules.loader import load_rules

    rows = []
    for rule in load_rules(Path(rules_dir)):
        h = rule.header
        if h is None:
            continue
        rows.append(
            (
                h.id,
                h.scorecard,
                h.title,
                h.level,
                h.entity,
                h.owner,
                h.unit,
                str(h.thresholds) if h.thresholds else None,
                h.rollout,
                h.remediation,
                h.description,
                h.perspective,
                h.objective,
                h.indicator,
                h.direction,
                rule.version,
            )
        )
    ddl = ", ".join(f"{name} {kind}" for name, kind in RULE_CATALOG_COLUMNS)
    con.execute("begin transaction")
    try:
        con.execute(f"create or replace table {SCHEMA}.{RULE_CATALOG} ({ddl})")
        if rows:
            marks = ", ".join("?" for _ in RULE_CATALOG_COLUMNS)
            con.executemany(f"insert into {SCHEMA}.{RULE_CATALOG} values ({marks})", rows)
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    return len(rows)
