-- One row per team: catalog Groups of type team, plus any team a service names as its owner
-- (now, in its owner history or in an earlier catalog version) without a Group entity, so
-- every team_id elsewhere resolves here.
with groups as (
    select * from {{ ref('stg_catalog__groups') }}
    where coalesce(group_type, 'team') = 'team'
),

owners as (
    select distinct team_id from {{ ref('int_service_teams_historized') }}
    union
    select distinct owner_team_id as team_id
    from {{ ref('int_service_versions_historized') }}
    where owner_team_id is not null
    union
    select distinct owner_team_id as team_id
    from {{ ref('stg_catalog__components') }}
    where owner_team_id is not null
),

team_ids as (
    select group_id as team_id from groups
    union
    select team_id from owners
),

current_services as (
    select
        owner_team_id as team_id,
        count(*) as service_count
    from {{ ref('stg_catalog__components') }}
    where owner_team_id is not null
    group by owner_team_id
)

select
    team_ids.team_id,
    coalesce(groups.display_name, team_ids.team_id) as name,
    groups.description,
    groups.parent_group_id,
    groups.group_id is not null as is_in_catalog,
    coalesce(current_services.service_count, 0) as service_count
from team_ids
left join groups
    on team_ids.team_id = groups.group_id
left join current_services
    on team_ids.team_id = current_services.team_id
