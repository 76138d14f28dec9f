{#-
    Each standard's results counted by status per fiscal quarter, at the rule's last
    evaluation of each entity in the quarter, per team (the team that owned each service on
    that date) and for the whole org: who passes and who fails, and how that moved. Shadow
    rules are counted too (a standard's own page shows its preview); pass_rate is
    passed / graded (graded = pass + warn + fail + not reported + error).
-#}
{%- set statuses = [
    ('passed', 'pass'), ('warned', 'warn'), ('failed', 'fail'), ('not_reported', 'not_reported'),
    ('errored', 'error'), ('exempt', 'exempt'), ('not_applicable', 'not_applicable'),
] -%}

with results as (
    select * from {{ ref('check_quarter_closes') }}
),

by_team as (
    select
        quarter_start,
        rule_id,
        'team' as scope,
        team_id,
        {%- for column, status in statuses %}
        count(case when status = '{{ status }}' then 1 end) as {{ column }},
        {%- endfor %}
        count(distinct entity_id) as entities,
        max(as_of) as as_of
    from results
    where team_id is not null
    group by quarter_start, rule_id, team_id
),

by_org as (
    select
        quarter_start,
        rule_id,
        'org' as scope,
        cast(null as string) as team_id,
        {%- for column, status in statuses %}
        count(case when status = '{{ status }}' then 1 end) as {{ column }},
        {%- endfor %}
        count(distinct entity_id) as entities,
        max(as_of) as as_of
    from results
    group by quarter_start, rule_id
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
),

quarters as (
    select distinct
        quarter,
        quarter_start,
        quarter_end,
        is_closed,
        elapsed_days,
        period_days
    from results
),

rules as (
    select
        rule_id,
        scorecard,
        title,
        level,
        rollout
    from {{ source('scorecards', 'rule_catalog') }}
)

select
    quarters.quarter,
    counted.quarter_start,
    quarters.quarter_end,
    counted.as_of,
    quarters.is_closed,
    quarters.elapsed_days,
    quarters.period_days,
    counted.rule_id,
    rules.scorecard,
    rules.title as rule_title,
    rules.level,
    rules.rollout,
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
    end as pass_rate
from counted
inner join quarters on counted.quarter_start = quarters.quarter_start
inner join rules on counted.rule_id = rules.rule_id
left join {{ ref('dim_teams') }} as teams on counted.team_id = teams.team_id
