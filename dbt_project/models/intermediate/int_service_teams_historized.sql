-- One row per (service, owning team, valid_from): who owned each service when.
-- `stature.dev/owner-history` ("team@YYYY-MM-DD,team@YYYY-MM-DD") records reorgs; without it
-- the owners of the catalog's recorded versions do (the current owner for all time when the
-- catalog has a single version). The first owner's period is open-ended
-- backwards (valid_from 1970-01-01), so events before the first recorded date still have a team.
with components as (
    select
        service_id,
        owner_team_id,
        owner_history
    from {{ ref('stg_catalog__components') }}
),

history_entries as (
    select
        components.service_id,
        trim(entry.owner_entry) as owner_entry
    from components
    {{ stature.unnest_list(stature.split_text('components.owner_history', ','), 'entry', 'owner_entry') }}
    where components.owner_history is not null
),

parsed as (
    select
        service_id,
        regexp_replace(
            trim(split_part(owner_entry, '@', 1)), '^([a-zA-Z]+:)?([^/]+/)?', ''
        ) as team_id,
        {{ stature.try_cast("trim(split_part(owner_entry, '@', 2))", 'date') }} as recorded_from
    from history_entries
    where owner_entry <> ''
),

-- An entry without a valid date is left out (staging names it in invalid_fields); a service
-- left without any valid entry falls back to its catalog owner.
valid_entries as (
    select
        service_id,
        team_id,
        recorded_from
    from parsed
    where recorded_from is not null
),

services_with_history as (
    select distinct service_id
    from valid_entries
),

-- Without it, the owners the catalog's own history recorded (int_service_versions_historized):
-- a version whose owner differs from the one before starts that owner's period.
catalog_owners as (
    select
        service_id,
        owner_team_id as team_id,
        recorded_from,
        lag(owner_team_id) over (
            partition by service_id order by recorded_from
        ) as previous_team_id
    from {{ ref('int_service_versions_historized') }}
),

without_history as (
    select
        catalog_owners.service_id,
        catalog_owners.team_id,
        catalog_owners.recorded_from
    from catalog_owners
    left join services_with_history
        on catalog_owners.service_id = services_with_history.service_id
    where
        services_with_history.service_id is null
        and catalog_owners.team_id is not null
        and (
            catalog_owners.previous_team_id is null
            or catalog_owners.previous_team_id <> catalog_owners.team_id
        )
),

entries as (
    select * from valid_entries
    union all
    select * from without_history
),

ordered as (
    select
        service_id,
        team_id,
        recorded_from,
        row_number() over (partition by service_id order by recorded_from) as entry_number,
        lead(recorded_from) over (partition by service_id order by recorded_from) as next_from
    from entries
)

select
    service_id,
    team_id,
    case when entry_number = 1 then cast('1970-01-01' as date) else recorded_from end
        as valid_from,
    next_from as valid_to,
    recorded_from,
    next_from is null as is_current
from ordered
