-- One row per thing a source sent that no catalog service claims, so nothing is dropped without
-- a line saying so: a key no component's annotation names (a repo, project, job, PagerDuty
-- service, Opsgenie team), records whose key several services share while the record names
-- none of them (monorepo deployments, incidents), and Opsgenie alerts of no known team.
with source_keys as (
    select distinct
        source,
        match_key
    from {{ ref('int_source_keys_mapped') }}
),

projects as (
    select * from {{ ref('int_gitlab_projects_identified') }}
),

annotations as (
    select
        'github' as source,
        'github.com/project-slug' as annotation
    union all
    select
        'gitlab' as source,
        'gitlab.com/project-slug' as annotation
    union all
    select
        'jenkins' as source,
        'jenkins.io/job-full-name' as annotation
    union all
    select
        'pagerduty' as source,
        'pagerduty.com/service-id' as annotation
),

unclaimed_keys as (
    select
        keys.source,
        keys.entity_kind,
        case
            when keys.source = 'gitlab' then coalesce(projects.project_path, keys.entity_key)
            else keys.entity_key
        end as entity_key,
        keys.records,
        keys.first_seen_at,
        keys.last_seen_at,
        'no catalog component has ' || annotations.annotation || ': '
        || case
            when keys.source = 'gitlab'
                then coalesce(projects.project_path, keys.entity_key)
                    || coalesce(' (or id ' || cast(projects.project_id as string) || ')', '')
            else keys.entity_key
        end as reason
    from {{ ref('int_source_keys_counted') }} as keys
    inner join annotations
        on keys.source = annotations.source
    left join source_keys
        on keys.source = source_keys.source and keys.entity_key = source_keys.match_key
    left join projects
        on keys.source = 'gitlab' and keys.entity_key = projects.project_key
    where source_keys.match_key is null
),

shared_key_attempts as (
    select
        attempts.deployment_id,
        attempts.match_source,
        attempts.match_key,
        attempts.deployed_at,
        max(
            case when position(lower(keys.service_id) in lower(attempts.service_hint)) > 0 then 1 else 0 end
        ) as names_a_service
    from {{ ref('int_deployments_unioned') }} as attempts
    inner join {{ ref('int_source_keys_mapped') }} as keys
        on attempts.match_source = keys.source and attempts.match_key = keys.match_key
    -- a service's stature.dev/deploy-environment or deploy-workflow claimed it
    left join {{ ref('int_deployments_production_identified') }} as claimed
        on attempts.deployment_id = claimed.deployment_id
    where
        claimed.deployment_id is null
        and attempts.is_success
        and attempts.is_production
        and attempts.deployed_at is not null
        and keys.services_for_key > 1
    group by attempts.deployment_id, attempts.match_source, attempts.match_key, attempts.deployed_at
),

unattributed_deployments as (
    select
        match_source as source,
        'deployment' as entity_kind,
        match_key as entity_key,
        count(*) as records,
        min(deployed_at) as first_seen_at,
        max(deployed_at) as last_seen_at,
        'production deployments of a key several services share that name none of them: '
        || 'name the service in the deployment (environment, task, workflow or job name), '
        || 'or its environment or workflow in the service''s stature.dev/deploy-environment '
        || 'or stature.dev/deploy-workflow'
            as reason
    from shared_key_attempts
    where names_a_service = 0
    group by match_source, match_key
),

incidents as (
    select * from {{ ref('int_incidents_unioned') }}
    where service_id is null
),

ambiguous_incidents as (
    select
        source,
        'incident' as entity_kind,
        candidate_services as entity_key,
        count(*) as records,
        min(created_at) as first_seen_at,
        max(created_at) as last_seen_at,
        'incidents that match several services and name none of them in their title' as reason
    from incidents
    where candidate_count > 1
    group by source, candidate_services
),

alert_teams as (
    select
        incidents.created_at,
        team_list.team_id
    from incidents
    inner join {{ ref('stg_opsgenie__alerts') }} as alerts
        on incidents.source = 'opsgenie' and incidents.source_incident_id = alerts.alert_id
    {{ stature.unnest_list('alerts.team_ids', 'team_list', 'team_id') }}
    where incidents.candidate_count = 0
),

unclaimed_alerts as (
    select
        'opsgenie' as source,
        'team' as entity_kind,
        coalesce(teams.team_name, alert_teams.team_id) as entity_key,
        count(*) as records,
        min(alert_teams.created_at) as first_seen_at,
        max(alert_teams.created_at) as last_seen_at,
        'no catalog component has opsgenie.com/team: '
        || coalesce(teams.team_name || ' (or id ' || alert_teams.team_id || ')', alert_teams.team_id)
        || ', nor a component-selector tag of these alerts' as reason
    from alert_teams
    left join {{ ref('stg_opsgenie__teams') }} as teams
        on lower(alert_teams.team_id) = lower(teams.team_id)
    group by coalesce(teams.team_name, alert_teams.team_id), teams.team_name, alert_teams.team_id
),

teamless_alerts as (
    select
        'opsgenie' as source,
        'alert' as entity_kind,
        'no team' as entity_key,
        count(*) as records,
        min(incidents.created_at) as first_seen_at,
        max(incidents.created_at) as last_seen_at,
        'alerts with no team, responder or tag a component names' as reason
    from incidents
    inner join {{ ref('stg_opsgenie__alerts') }} as alerts
        on incidents.source = 'opsgenie' and incidents.source_incident_id = alerts.alert_id
    where incidents.candidate_count = 0 and {{ stature.list_size('alerts.team_ids') }} = 0
    having count(*) > 0
),

unmapped as (
    select * from unclaimed_keys
    union all
    select * from unattributed_deployments
    union all
    select * from ambiguous_incidents
    union all
    select * from unclaimed_alerts
    union all
    select * from teamless_alerts
)

select
    source,
    entity_kind,
    entity_key,
    cast(records as bigint) as records,
    first_seen_at,
    last_seen_at,
    reason
from unmapped
