{#- scorecards.balanced_scorecard with names, the perspective order of
    balanced_scorecard.perspectives (var bsc_perspectives) and each measure's latest quarter
    flagged. Every quarter here is complete: is_closed is true by construction. -#}
with perspectives as (
    {%- for name in var('bsc_perspectives') %}
    select
        {{ loop.index }} as perspective_order,
        {{ stature.sql_string(name) }} as perspective
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- else %}
    select
        1 as perspective_order,
        '' as perspective
    {%- endfor %}
),

scorecard as (
    select * from {{ ref('scorecards_balanced_scorecard') }}
)

select
    scorecard.period,
    scorecard.period_start,
    scorecard.period_end,
    max(scorecard.period_start) over (
        partition by scorecard.entity_type, scorecard.entity_id, scorecard.measure_id
    ) = scorecard.period_start as is_latest,
    scorecard.entity_type,
    scorecard.entity_id,
    coalesce(
        teams.name,
        case when scorecard.entity_type = 'org' then {{ stature.sql_string(var('org_name')) }} end,
        scorecard.entity_id
    ) as entity_name,
    coalesce(perspectives.perspective_order, 99) as perspective_order,
    scorecard.perspective,
    scorecard.objective,
    scorecard.measure_id,
    scorecard.title,
    scorecard.value,
    scorecard.unit,
    scorecard.target,
    scorecard.direction,
    scorecard.status,
    scorecard.previous_value,
    scorecard.trend,
    scorecard.owner,
    scorecard.indicator,
    scorecard.period_end <= scorecard.as_of as is_closed,
    {{ stature.day_count('scorecard.period_start', 'scorecard.period_end') }} as elapsed_days,
    {{ stature.day_count('scorecard.period_start', 'scorecard.period_end') }} as period_days,
    scorecard.as_of,
    scorecard.yellow_limit,
    scorecard.value_source
from scorecard
left join perspectives on scorecard.perspective = perspectives.perspective
left join {{ ref('dim_teams') }} as teams
    on scorecard.entity_type = 'team' and scorecard.entity_id = teams.team_id
