{{ config(alias='initiative_progress') }}
{#-
    One row per (initiative, evaluation day, grain, entity): how far each initiative has got.
    Grain `entity`: one covered service (or team) with its state that day; grain `team`: the
    covered entities of one owning team (the team that owned a service on that day); grain
    `org`: all of them. The days are those on or after the initiative's start with check
    results for any of its rules.

    An entity's state from its results for the initiative's rules that day:
    failing when any is fail, warn, not_reported or error (or has no result that day: not
    reported); else exempt when any is exempt; else passing (pass or not_applicable).
    pass_share = passing / (covered - exempt): an exempt entity counts neither way.
-#}
with initiatives as (
    select
        initiative_id,
        entity,
        start_date,
        target
    from {{ source('scorecards', 'initiatives') }}
),

asked as (
    select
        initiative_id,
        rule_id
    from {{ source('scorecards', 'initiative_rules') }}
),

scope as (
    select
        initiative_id,
        entity_type,
        entity_id
    from {{ source('scorecards', 'initiative_scope') }}
),

checks as (
    select
        as_of,
        rule_id,
        entity_type,
        entity_id,
        status
    from {{ source('scorecards', 'check_results') }}
),

days as (
    select distinct
        asked.initiative_id,
        checks.as_of
    from checks
    inner join asked on checks.rule_id = asked.rule_id
    inner join initiatives on asked.initiative_id = initiatives.initiative_id
    where checks.as_of >= initiatives.start_date
),

-- Every (day, covered entity, asked rule), with its result that day when there is one.
expected as (
    select
        days.initiative_id,
        days.as_of,
        scope.entity_type,
        scope.entity_id,
        asked.rule_id,
        coalesce(checks.status, 'not_reported') as status
    from days
    inner join scope on days.initiative_id = scope.initiative_id
    inner join asked on days.initiative_id = asked.initiative_id
    left join checks
        on
            days.as_of = checks.as_of
            and asked.rule_id = checks.rule_id
            and scope.entity_type = checks.entity_type
            and scope.entity_id = checks.entity_id
),

entity_days as (
    select
        initiative_id,
        as_of,
        entity_type,
        entity_id,
        case
            when
                count(case when status in ('fail', 'warn', 'not_reported', 'error') then 1 end)
                > 0
                then 'failing'
            when count(case when status = 'exempt' then 1 end) > 0 then 'exempt'
            else 'passing'
        end as state,
        {{ dbt.listagg(
            "case when status in ('fail', 'warn', 'not_reported', 'error') then rule_id end",
            "', '",
            "order by rule_id",
        ) }} as failing_rules
    from expected
    group by initiative_id, as_of, entity_type, entity_id
),

ownership as (
    select
        service_id,
        team_id,
        valid_from,
        valid_to
    from {{ ref('dim_service_teams') }}
),

owned as (
    select
        entity_days.*,
        case entity_days.entity_type
            when 'team' then entity_days.entity_id
            else ownership.team_id
        end as team_id
    from entity_days
    left join ownership
        on
            entity_days.entity_type = 'service'
            and entity_days.entity_id = ownership.service_id
            and entity_days.as_of >= ownership.valid_from
            and (ownership.valid_to is null or entity_days.as_of < ownership.valid_to)
),

entity_rows as (
    select
        initiative_id,
        as_of,
        'entity' as grain,
        entity_type,
        entity_id,
        team_id,
        state,
        failing_rules,
        1 as covered,
        case when state = 'passing' then 1 else 0 end as passing,
        case when state = 'exempt' then 1 else 0 end as exempt,
        case when state = 'failing' then 1 else 0 end as failing
    from owned
),

team_rows as (
    select
        initiative_id,
        as_of,
        'team' as grain,
        'team' as entity_type,
        team_id as entity_id,
        team_id,
        cast(null as string) as state,
        cast(null as string) as failing_rules,
        sum(covered) as covered,
        sum(passing) as passing,
        sum(exempt) as exempt,
        sum(failing) as failing
    from entity_rows
    where team_id is not null
    group by initiative_id, as_of, team_id
),

org_rows as (
    select
        initiative_id,
        as_of,
        'org' as grain,
        'org' as entity_type,
        'org' as entity_id,
        cast(null as string) as team_id,
        cast(null as string) as state,
        cast(null as string) as failing_rules,
        sum(covered) as covered,
        sum(passing) as passing,
        sum(exempt) as exempt,
        sum(failing) as failing
    from entity_rows
    group by initiative_id, as_of
),

all_rows as (
    select * from entity_rows
    union all
    select * from team_rows
    union all
    select * from org_rows
)

select
    all_rows.initiative_id,
    all_rows.as_of,
    all_rows.grain,
    all_rows.entity_type,
    all_rows.entity_id,
    all_rows.team_id,
    all_rows.state,
    all_rows.failing_rules,
    cast(all_rows.covered as integer) as covered,
    cast(all_rows.passing as integer) as passing,
    cast(all_rows.exempt as integer) as exempt,
    cast(all_rows.failing as integer) as failing,
    cast(all_rows.passing as double)
    / nullif(all_rows.covered - all_rows.exempt, 0) as pass_share,
    initiatives.target
from all_rows
inner join initiatives on all_rows.initiative_id = initiatives.initiative_id
