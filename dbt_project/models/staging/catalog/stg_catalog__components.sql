-- One row per catalog Component (a service): its spec and the annotations Stature reads
-- (docs/conventions.md). Entity references lose their `kind:` prefix and namespace.
-- Annotations are free text: a value that does not convert (an SLO of "high") is NULL and
-- named in invalid_fields, never an error.
{%- set casts = [] %}
with components as (
    select
        namespace,
        name,
        payload,
        source_file
    from {{ source('catalog', 'entities') }}
    where lower(kind) = 'component'
)

select
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
    source_file,
    {{ stature.invalid_fields(casts) }} as invalid_fields
from components
