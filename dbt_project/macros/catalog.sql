{#- The columns of a catalog Component that Stature reads (docs/conventions.md), from a relation
    with `name`, `namespace` and `payload`: the current catalog (stg_catalog__components) and
    its earlier versions (stg_catalog__component_versions) read them the same way. Casts that
    fail are collected in `casts` for stature.invalid_fields. -#}
{% macro catalog_component_columns(casts) -%}
    name as service_id,
    coalesce(namespace, 'default') as namespace,
    coalesce({{ stature.json_text('payload', '$.metadata.title') }}, name) as title,
    {{ stature.json_text('payload', '$.metadata.description') }} as description,
    {{ stature.json_text('payload', '$.spec.type') }} as service_type,
    lower({{ stature.json_text('payload', '$.spec.lifecycle') }}) as lifecycle,
    regexp_replace(
        {{ stature.json_text('payload', '$.spec.owner') }}, '^([a-zA-Z]+:)?([^/]+/)?', ''
    ) as owner_team_id,
    regexp_replace(
        {{ stature.json_text('payload', '$.spec.system') }}, '^([a-zA-Z]+:)?([^/]+/)?', ''
    ) as system_id,
    {{ stature.json_annotation('payload', 'github.com/project-slug') }} as github_repo,
    {{ stature.json_annotation('payload', 'gitlab.com/project-slug') }} as gitlab_project,
    {{ stature.json_annotation('payload', 'jenkins.io/job-full-name') }} as jenkins_job,
    {{ stature.json_annotation('payload', 'pagerduty.com/service-id') }} as pagerduty_service_id,
    {{ stature.json_annotation('payload', 'opsgenie.com/team') }} as opsgenie_team,
    {{ stature.json_annotation('payload', 'opsgenie.com/component-selector') }}
        as opsgenie_component_selector,
    {{ stature.json_annotation('payload', 'stature.dev/paths') }} as monorepo_paths,
    lower({{ stature.json_annotation('payload', 'stature.dev/tier') }}) as tier,
    {{ stature.json_annotation('payload', 'stature.dev/runbook') }} as runbook_url,
    {{ stature.json_annotation('payload', 'stature.dev/alerts') }} as alerts_url,
    {{ stature.json_annotation('payload', 'stature.dev/endpoints') }} as endpoints,
    {{ stature.checked_cast(
        casts, 'slo_target',
        "replace(" ~ stature.json_annotation('payload', 'stature.dev/slo') ~ ", '%', '')",
        'double'
    ) }} as slo_target,
    {{ stature.json_annotation('payload', 'stature.dev/owner-history') }} as owner_history,
    {{- stature.checked_condition(
        casts, 'owner_history',
        stature.json_annotation('payload', 'stature.dev/owner-history')
        ~ ' is not null and not ' ~ stature.regex_matches(
            stature.json_annotation('payload', 'stature.dev/owner-history'),
            '^\\s*([^@,]+@\\s*\\d{4}-\\d{2}-\\d{2})?\\s*(,\\s*([^@,]+@\\s*\\d{4}-\\d{2}-\\d{2})?\\s*)*$'
        )
    ) }}
{%- endmacro %}


{#- dim_services' select over `components` (a CTE with stg_catalog__components' columns):
    the current catalog (dim_services) and every version of it (dim_services_history, whose
    `version_columns` say which version a row is and come after the service's columns;
    `version_key` tells a service's versions apart). -#}
{% macro service_dimension(components, version_key=none, version_columns=[]) -%}
endpoints as (
    select
        {{ components }}.service_id,
        {%- if version_key %}
        {{ components }}.{{ version_key }},
        {%- endif %}
        trim(endpoint_list.endpoint_url) as endpoint_url
    from {{ components }}
    {{ stature.unnest_list(stature.split_text(components ~ '.endpoints', ','), 'endpoint_list', 'endpoint_url') }}
    where {{ components }}.endpoints is not null
),

endpoint_counts as (
    select
        service_id,
        {%- if version_key %}
        {{ version_key }},
        {%- endif %}
        count(*) as endpoint_count,
        sum(case when lower(endpoint_url) like 'https://%' then 1 else 0 end) as tls_endpoint_count
    from endpoints
    where endpoint_url <> ''
    group by service_id{% if version_key %}, {{ version_key }}{% endif %}
)

select
    {{ components }}.service_id,
    {{ components }}.title as name,
    {{ components }}.description,
    {{ components }}.owner_team_id as team_id,
    {{ components }}.system_id as system,
    {{ components }}.service_type as type,
    {{ components }}.tier,
    {{ components }}.lifecycle,
    {{ components }}.github_repo as repo,
    {{ components }}.gitlab_project,
    {{ components }}.jenkins_job,
    {{ components }}.pagerduty_service_id,
    {{ components }}.opsgenie_team,
    {{ components }}.monorepo_paths,
    {{ components }}.runbook_url,
    {{ components }}.runbook_url is not null as has_runbook,
    {{ components }}.pagerduty_service_id is not null or {{ components }}.opsgenie_team is not null
        as has_oncall,
    {{ components }}.alerts_url,
    {{ components }}.alerts_url is not null as has_alerts,
    {{ components }}.endpoints,
    coalesce(endpoint_counts.endpoint_count, 0) as endpoint_count,
    coalesce(endpoint_counts.tls_endpoint_count, 0) as tls_endpoint_count,
    {{ components }}.slo_target,
    {{ components }}.namespace
    {%- for column in version_columns %},
    {{ components }}.{{ column }}
    {%- endfor %}
from {{ components }}
left join endpoint_counts
    on {{ components }}.service_id = endpoint_counts.service_id
    {%- if version_key %}
    and {{ components }}.{{ version_key }} = endpoint_counts.{{ version_key }}
    {%- endif %}
{%- endmacro %}
