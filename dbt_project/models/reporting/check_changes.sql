{#-
    What changed between the last two evaluation days (the latest as_of in check_results and
    the one before it): one row per (rule, entity) whose status turned red (fail,
    not_reported, error) from anything else (new_failure), or from red to pass or warn
    (recovery), with the entity's owning team on the latest day. The change notices read it.
    An entity or rule without a result on the day before is not a change.
-#}
with days as (
    select max(as_of) as latest_as_of
    from {{ source('scorecards', 'check_results') }}
),

previous_day as (
    select max(checks.as_of) as previous_as_of
    from {{ source('scorecards', 'check_results') }} as checks
    inner join days on checks.as_of < days.latest_as_of
),

pairs as (
    select
        latest.as_of,
        previous_day.previous_as_of,
        latest.rule_id,
        latest.scorecard,
        latest.level,
        latest.rollout,
        latest.entity_type,
        latest.entity_id,
        latest.status,
        earlier.status as previous_status,
        latest.value,
        latest.threshold,
        latest.note
    from {{ source('scorecards', 'check_results') }} as latest
    inner join days on latest.as_of = days.latest_as_of
    cross join previous_day
    inner join {{ source('scorecards', 'check_results') }} as earlier
        on
            previous_day.previous_as_of = earlier.as_of
            and latest.rule_id = earlier.rule_id
            and latest.entity_type = earlier.entity_type
            and latest.entity_id = earlier.entity_id
),

changed as (
    select
        *,
        case
            when
                status in ('fail', 'not_reported', 'error')
                and previous_status not in ('fail', 'not_reported', 'error')
                then 'new_failure'
            when
                previous_status in ('fail', 'not_reported', 'error')
                and status in ('pass', 'warn')
                then 'recovery'
        end as change
    from pairs
),

ownership as (
    select
        service_id,
        team_id,
        valid_from,
        valid_to
    from {{ ref('dim_service_teams') }}
)

select
    changed.as_of,
    changed.previous_as_of,
    changed.change,
    changed.rule_id,
    catalog.title as rule_title,
    changed.scorecard,
    changed.level,
    changed.rollout,
    changed.entity_type,
    changed.entity_id,
    case changed.entity_type
        when 'team' then changed.entity_id
        when 'service' then ownership.team_id
    end as team_id,
    changed.previous_status,
    changed.status,
    changed.value,
    changed.threshold,
    changed.note,
    catalog.remediation
from changed
left join {{ source('scorecards', 'rule_catalog') }} as catalog
    on changed.rule_id = catalog.rule_id
left join ownership
    on
        changed.entity_type = 'service'
        and changed.entity_id = ownership.service_id
        and changed.as_of >= ownership.valid_from
        and (ownership.valid_to is null or changed.as_of < ownership.valid_to)
where changed.change is not null
