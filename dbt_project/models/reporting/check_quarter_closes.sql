{{ config(materialized='ephemeral') }}
{#-
    Every check result at its rule's last evaluation for that entity in each fiscal quarter
    (the rules the rule catalog still lists), with the quarter's state as of the run and the
    team that owned a service on that date. Ephemeral: reporting.check_history and
    reporting.rule_pass_rates inline it, so a published view reads tables only.
-#}
with catalog as (
    select rule_id
    from {{ source('scorecards', 'rule_catalog') }}
),

checks as (
    select
        checks.as_of,
        checks.rule_id,
        checks.scorecard,
        checks.level,
        checks.rollout,
        checks.entity_type,
        checks.entity_id,
        checks.status,
        checks.value,
        checks.threshold,
        checks.note
    from {{ source('scorecards', 'check_results') }} as checks
    inner join catalog on checks.rule_id = catalog.rule_id
),

dated as (
    select
        checks.*,
        calendar.quarter_label as quarter,
        calendar.quarter_start,
        calendar.quarter_end
    from checks
    inner join {{ ref('dim_calendar') }} as calendar on checks.as_of = calendar.date_day
),

-- The rule's last evaluation of each entity in each quarter.
closes as (
    select
        dated.*,
        max(dated.as_of) over (
            partition by dated.rule_id, dated.entity_type, dated.entity_id, dated.quarter_start
        ) as last_as_of
    from dated
),

ownership as (
    select
        service_id,
        team_id,
        valid_from,
        valid_to
    from {{ ref('dim_service_teams') }}
),

quarters as (
    select
        period_start,
        period_days,
        is_closed,
        elapsed_days
    from {{ ref('periods_as_of') }}
    where period_grain = 'quarter'
)

select
    closes.quarter,
    closes.quarter_start,
    closes.quarter_end,
    closes.as_of,
    quarters.is_closed,
    quarters.elapsed_days,
    quarters.period_days,
    closes.rule_id,
    closes.scorecard,
    closes.level,
    coalesce(closes.rollout, 'enforced') as rollout,
    closes.entity_type,
    closes.entity_id,
    case closes.entity_type
        when 'team' then closes.entity_id
        when 'service' then ownership.team_id
    end as team_id,
    closes.status,
    case
        when closes.status = 'pass' then 'green'
        when closes.status = 'warn' then 'yellow'
        when closes.status in ('fail', 'not_reported', 'error') then 'red'
        else 'grey'
    end as rag,
    closes.value,
    closes.threshold,
    closes.note
from closes
inner join quarters on closes.quarter_start = quarters.period_start
left join ownership
    on
        closes.entity_type = 'service'
        and closes.entity_id = ownership.service_id
        and closes.as_of >= ownership.valid_from
        and (ownership.valid_to is null or closes.as_of < ownership.valid_to)
where closes.as_of = closes.last_as_of
