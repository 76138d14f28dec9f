-- One row per service (catalog Component): who owns it now and the catalog facts standards read.
with components as (
    select * from {{ ref('stg_catalog__components') }}
),

endpoints as (
    select
        components.service_id,
        trim(endpoint_list.endpoint_url) as endpoint_url
    from components
    {{ stature.unnest_list(stature.split_text('components.endpoints', ','), 'endpoint_list', 'endpoint_url') }}
    where components.endpoints is not null
),

endpoint_counts as (
    select
        service_id,
        count(*) as endpoint_count,
        sum(case when lower(endpoint_url) like 'https://%' then 1 else 0 end) as tls_endpoint_count
    from endpoints
    where endpoint_url <> ''
    group by service_id
)

select
    components.service_id,
    components.title as name,
    components.description,
    components.owner_team_id as team_id,
    components.system_id as system,
    components.service_type as type,
    components.tier,
    components.lifecycle,
    components.github_repo as repo,
    components.gitlab_project,
    components.jenkins_job,
    components.pagerduty_service_id,
    components.opsgenie_team,
    components.monorepo_paths,
    components.runbook_url,
    components.runbook_url is not null as has_runbook,
    components.pagerduty_service_id is not null or components.opsgenie_team is not null
        as has_oncall,
    components.alerts_url,
    components.alerts_url is not null as has_alerts,
    components.endpoints,
    coalesce(endpoint_counts.endpoint_count, 0) as endpoint_count,
    coalesce(endpoint_counts.tls_endpoint_count, 0) as tls_endpoint_count,
    components.slo_target,
    components.namespace
from components
left join endpoint_counts
    on components.service_id = endpoint_counts.service_id
