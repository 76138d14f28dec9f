-- One row per incident of any source, attributed to a catalog service through
-- int_source_keys_mapped:
--   * PagerDuty incidents -> the service whose pagerduty.com/service-id is the incident's.
--   * GitHub issues labelled `incident_label` (var) -> the service of the repo.
--   * Opsgenie alerts -> the service whose opsgenie.com/team names (by id or by name) one of the
--     alert's teams or responders, or one of its tags; or whose
--     opsgenie.com/component-selector names one of its tags (`tag:"service:checkout"`).
-- When several services match, the one whose id appears in the title wins (longest id first);
-- if none does, the incident keeps no service (it still counts for the org; marts.
-- unmapped_entities lists it).
with source_keys as (
    select * from {{ ref('int_source_keys_mapped') }}
    where source in ('pagerduty', 'github', 'opsgenie')
),

pagerduty as (
    select
        'pagerduty:' || incident_id as incident_id,
        'pagerduty' as source,
        incident_id as source_incident_id,
        title,
        description,
        coalesce(priority, urgency) as severity,
        status,
        created_at,
        resolved_at,
        html_url as url,
        pagerduty_service_id as match_key
    from {{ ref('stg_pagerduty__incidents') }}
),

github as (
    select
        'github:' || repo || '#' || cast(issue_number as string) as incident_id,
        'github' as source,
        cast(issue_number as string) as source_incident_id,
        title,
        body as description,
        cast(null as string) as severity,
        state as status,
        created_at,
        closed_at as resolved_at,
        html_url as url,
        lower(repo) as match_key
    from {{ ref('stg_github__issues') }}
    where
        not is_pull_request
        and {{ stature.list_has('labels', stature.sql_string(var('incident_label'))) }}
),

opsgenie_alerts as (
    select * from {{ ref('stg_opsgenie__alerts') }}
),

opsgenie_keys as (
    select
        opsgenie_alerts.alert_id,
        lower(key_list.team_key) as team_key
    from opsgenie_alerts
    {{ stature.unnest_list('opsgenie_alerts.team_ids', 'key_list', 'team_key') }}
    union
    select
        opsgenie_alerts.alert_id,
        lower(key_list.team_key) as team_key
    from opsgenie_alerts
    {{ stature.unnest_list('opsgenie_alerts.responder_ids', 'key_list', 'team_key') }}
    union
    select
        opsgenie_alerts.alert_id,
        lower(key_list.team_key) as team_key
    from opsgenie_alerts
    {{ stature.unnest_list('opsgenie_alerts.responder_names', 'key_list', 'team_key') }}
    union
    select
        opsgenie_alerts.alert_id,
        lower(key_list.team_key) as team_key
    from opsgenie_alerts
    {{ stature.unnest_list('opsgenie_alerts.tags', 'key_list', 'team_key') }}
),

opsgenie as (
    select
        'opsgenie:' || alert_id as incident_id,
        'opsgenie' as source,
        alert_id as source_incident_id,
        message as title,
        description,
        priority as severity,
        status,
        created_at,
        closed_at as resolved_at,
        cast(null as string) as url,
        alert_id as match_key
    from opsgenie_alerts
),

incidents as (
    select * from pagerduty
    union all
    select * from github
    union all
    select * from opsgenie
),

candidates as (
    select
        pagerduty.incident_id,
        source_keys.service_id
    from pagerduty
    inner join source_keys
        on source_keys.source = 'pagerduty' and pagerduty.match_key = source_keys.match_key
    union
    select
        github.incident_id,
        source_keys.service_id
    from github
    inner join source_keys
        on source_keys.source = 'github' and github.match_key = source_keys.match_key
    union
    select
        'opsgenie:' || opsgenie_keys.alert_id as incident_id,
        source_keys.service_id
    from opsgenie_keys
    inner join source_keys
        on source_keys.source = 'opsgenie' and opsgenie_keys.team_key = source_keys.match_key
),

ranked as (
    select
        candidates.incident_id,
        candidates.service_id,
        count(*) over (partition by candidates.incident_id) as candidate_count,
        position(lower(candidates.service_id) in lower(coalesce(incidents.title, ''))) > 0
            as is_named,
        row_number() over (
            partition by candidates.incident_id
            order by
                case
                    when position(lower(candidates.service_id) in lower(coalesce(incidents.title, ''))) > 0
                        then 0
                    else 1
                end,
                length(candidates.service_id) desc,
                candidates.service_id
        ) as candidate_rank
    from candidates
    inner join incidents on candidates.incident_id = incidents.incident_id
),

attributed as (
    select
        incident_id,
        service_id
    from ranked
    where candidate_rank = 1 and (candidate_count = 1 or is_named)
),

candidate_lists as (
    select
        incident_id,
        count(*) as candidate_count,
        {{ dbt.listagg('service_id', "', '", 'order by service_id') }} as candidate_services
    from candidates
    group by incident_id
)

select
    incidents.incident_id,
    attributed.service_id,
    incidents.source,
    incidents.source_incident_id,
    incidents.title,
    incidents.description,
    incidents.severity,
    incidents.status,
    incidents.created_at,
    incidents.resolved_at,
    incidents.url,
    coalesce(candidate_lists.candidate_count, 0) as candidate_count,
    candidate_lists.candidate_services
from incidents
left join attributed
    on incidents.incident_id = attributed.incident_id
left join candidate_lists
    on incidents.incident_id = candidate_lists.incident_id
