{#-
    Enforced check results counted by status per evaluation date, scorecard and team (the team
    that owned each service on that date) and for the whole org, with the pass rate
    (passed / graded, graded = pass + warn + fail + not reported + error). Every evaluation
    date says whether it is the scorecard's last one of its ISO week, month and fiscal
    quarter, so a trend per period takes `where is_month_close` (or week, quarter): a weekly
    backfill draws a point per week. The quarter columns say whether the quarter is closed as of the run.
-#}
{%- set statuses = [
    ('passed', 'pass'), ('warned', 'warn'), ('failed', 'fail'), ('not_reported', 'not_reported'),
    ('errored', 'error'), ('exempt', 'exempt'), ('not_applicable', 'not_applicable'),
] -%}

with ownership as (
    select
        service_id,
        team_id,
        valid_from,
        valid_to
    from {{ ref('dim_service_teams') }}
),

checks as (
    select
        as_of,
        scorecard,
        entity_type,
        entity_id,
        status
    from {{ source('scorecards', 'check_results') }}
    where coalesce(rollout, 'enforced') = 'enforced'
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
        on
            checks.entity_type = 'service'
            and checks.entity_id = ownership.service_id
            and checks.as_of >= ownership.valid_from
            and (ownership.valid_to is null or checks.as_of < ownership.valid_to)
),

evaluation_days as (
    select distinct
        results.scorecard,
        calendar.date_day as as_of,
        calendar.week_start,
        calendar.week_label,
        calendar.month_start,
        calendar.month_label,
        calendar.quarter_label as quarter,
        calendar.quarter_start,
        calendar.quarter_end
    from results
    inner join {{ ref('dim_calendar') }} as calendar on results.as_of = calendar.date_day
),

-- The last evaluation date of a scorecard in each week, month and quarter.
evaluations as (
    select
        evaluation_days.*,
        evaluation_days.as_of = max(evaluation_days.as_of) over (
            partition by evaluation_days.scorecard, evaluation_days.week_start
        ) as is_week_close,
        evaluation_days.as_of = max(evaluation_days.as_of) over (
            partition by evaluation_days.scorecard, evaluation_days.month_start
        ) as is_month_close,
        evaluation_days.as_of = max(evaluation_days.as_of) over (
            partition by evaluation_days.scorecard, evaluation_days.quarter_start
        ) as is_quarter_close
    from evaluation_days
),

quarters as (
    select
        period_start,
        period_days,
        is_closed,
        elapsed_days
    from {{ ref('periods_as_of') }}
    where period_grain = 'quarter'
),

by_team as (
    select
        as_of,
        scorecard,
        'team' as scope,
        team_id,
        {%- for column, status in statuses %}
        count(case when status = '{{ status }}' then 1 end) as {{ column }},
        {%- endfor %}
        count(distinct entity_id) as entities
    from results
    where team_id is not null
    group by as_of, scorecard, team_id
),

by_org as (
    select
        as_of,
        scorecard,
        'org' as scope,
        cast(null as string) as team_id,
        {%- for column, status in statuses %}
        count(case when status = '{{ status }}' then 1 end) as {{ column }},
        {%- endfor %}
        count(distinct entity_id) as entities
    from results
    group by as_of, scorecard
),

counted as (
    select
        *,
        passed + warned + failed + not_reported + errored as graded
    from (
        select * from by_team
        union all
        select * from by_org
    ) as scopes
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
        when counted.scope = 'org' then {{ stature.sql_string(var('org_name')) }}
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
    counted.graded,
    case
        when counted.graded > 0 then cast(counted.passed as double) / counted.graded
    end as pass_rate,
    evaluations.quarter_end,
    quarters.is_closed,
    quarters.elapsed_days,
    quarters.period_days,
    evaluations.week_start,
    evaluations.week_label,
    evaluations.is_week_close,
    evaluations.month_start,
    evaluations.month_label,
    evaluations.is_month_close
from counted
inner join evaluations
    on counted.as_of = evaluations.as_of and counted.scorecard = evaluations.scorecard
inner join quarters on evaluations.quarter_start = quarters.period_start
left join {{ ref('dim_teams') }} as teams on counted.team_id = teams.team_id
