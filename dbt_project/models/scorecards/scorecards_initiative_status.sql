{{ config(alias='initiative_status') }}
{#-
    One row per initiative: where it stands on its latest evaluation day and whether the
    deadline will be met at the current pace.

    Pace: the change of the org's pass share per day between the latest day and the earliest
    day in the pace window (the pace_days days before it), a straight line. The projection
    is the share that line reaches on the deadline (clipped to 0..1), and projected_date the
    day it reaches the target. Status: not_started (no evaluation since the start), met (the
    share is at the target), missed (the deadline has passed below it), no_pace (one day
    only in the window: no pace yet), on_track (the projection reaches the target) or
    at_risk (it does not).
-#}
with initiatives as (
    select * from {{ source('scorecards', 'initiatives') }}
),

asked as (
    select
        initiative_id,
        {{ dbt.listagg('rule_id', "', '", 'order by rule_id') }} as rules
    from {{ source('scorecards', 'initiative_rules') }}
    group by initiative_id
),

org_days as (
    select
        initiative_id,
        as_of,
        covered,
        passing,
        exempt,
        failing,
        pass_share
    from {{ ref('scorecards_initiative_progress') }}
    where grain = 'org'
),

latest as (
    select
        initiative_id,
        max(as_of) as as_of
    from org_days
    group by initiative_id
),

current_day as (
    select org_days.*
    from org_days
    inner join latest
        on
            org_days.initiative_id = latest.initiative_id
            and org_days.as_of = latest.as_of
),

window_start as (
    select
        org_days.initiative_id,
        min(org_days.as_of) as as_of
    from org_days
    inner join latest on org_days.initiative_id = latest.initiative_id
    inner join initiatives on org_days.initiative_id = initiatives.initiative_id
    where
        org_days.as_of
        >= cast({{ dbt.dateadd('day', '-initiatives.pace_days', 'latest.as_of') }} as date)
    group by org_days.initiative_id
),

paced as (
    select
        current_day.initiative_id,
        window_start.as_of as pace_from,
        start_day.pass_share as pace_from_share,
        case
            when window_start.as_of < current_day.as_of
                then
                    (current_day.pass_share - start_day.pass_share)
                    / {{ dbt.datediff('window_start.as_of', 'current_day.as_of', 'day') }}
        end as pace_per_day
    from current_day
    inner join window_start on current_day.initiative_id = window_start.initiative_id
    inner join org_days as start_day
        on
            window_start.initiative_id = start_day.initiative_id
            and window_start.as_of = start_day.as_of
),

projected as (
    select
        initiatives.initiative_id,
        current_day.as_of,
        paced.pace_per_day,
        -- greatest and least skip NULLs: no pace, no projection
        case
            when paced.pace_per_day is not null
                then greatest(
                        cast(0 as double),
                        least(
                            cast(1 as double),
                            current_day.pass_share
                            + paced.pace_per_day
                            * {{ dbt.datediff('current_day.as_of', 'initiatives.deadline', 'day') }}
                        )
                    )
        end as projected_share,
        case
            when current_day.pass_share >= initiatives.target then current_day.as_of
            when paced.pace_per_day > 0
                then cast({{ dbt.dateadd(
                    'day',
                    'cast(ceil((initiatives.target - current_day.pass_share) / paced.pace_per_day - 1e-9) as integer)',
                    'current_day.as_of',
                ) }} as date)
        end as projected_date
    from initiatives
    inner join current_day on initiatives.initiative_id = current_day.initiative_id
    inner join paced on initiatives.initiative_id = paced.initiative_id
)

select
    initiatives.initiative_id,
    initiatives.title,
    initiatives.owner,
    initiatives.description,
    initiatives.entity,
    initiatives.applies_to,
    initiatives.scorecard,
    initiatives.level,
    asked.rules,
    initiatives.start_date,
    initiatives.deadline,
    initiatives.target,
    initiatives.pace_days,
    current_day.as_of,
    coalesce(current_day.covered, 0) as covered,
    coalesce(current_day.passing, 0) as passing,
    coalesce(current_day.exempt, 0) as exempt,
    coalesce(current_day.failing, 0) as failing,
    current_day.pass_share,
    paced.pace_from,
    paced.pace_from_share,
    projected.pace_per_day,
    projected.projected_share,
    projected.projected_date,
    {{ dbt.datediff(
        'current_day.as_of', 'initiatives.deadline', 'day'
    ) }} as days_left,
    case
        when current_day.as_of is null then 'not_started'
        when current_day.pass_share >= initiatives.target - 1e-9 then 'met'
        when current_day.as_of > initiatives.deadline then 'missed'
        when projected.pace_per_day is null then 'no_pace'
        when projected.projected_share >= initiatives.target - 1e-9 then 'on_track'
        else 'at_risk'
    end as status
from initiatives
left join asked on initiatives.initiative_id = asked.initiative_id
left join current_day on initiatives.initiative_id = current_day.initiative_id
left join paced on initiatives.initiative_id = paced.initiative_id
left join projected on initiatives.initiative_id = projected.initiative_id
