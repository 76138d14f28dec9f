-- One row per PagerDuty incident (incident_id): the newest version landed. `resolved_at` falls
-- back to `last_status_change_at` for resolved incidents whose object lacks it (older API).
{%- set casts = [] %}
{%- set ts = stature.type_timestamptz() %}
with versions as (
    select
        incident_id,
        updated_at,
        row_number() over (
            partition by incident_id
            order by updated_at desc
        ) as version_rank
    from {{ source('pagerduty', 'incidents') }}
),

-- The newest version's key is picked first, so the wide payload is read once, not sorted.
newest_versions as (
    select
        raw_versions.incident_id,
        raw_versions.updated_at,
        raw_versions.payload,
        raw_versions.source_file
    from {{ source('pagerduty', 'incidents') }} as raw_versions
    inner join versions
        on
            raw_versions.incident_id = versions.incident_id
            and raw_versions.updated_at = versions.updated_at
    where versions.version_rank = 1
),

newest as (
    select
        incident_id,
        updated_at,
        source_file,
        {{ stature.json_struct('payload', {
            'incident_number': 'text', 'title': 'text', 'description': 'text', 'summary': 'text',
            'status': 'text', 'urgency': 'text', 'priority': {'summary': 'text'},
            'service': {'id': 'text', 'summary': 'text'}, 'created_at': 'text',
            'resolved_at': 'text', 'last_status_change_at': 'text', 'html_url': 'text'
        }) }} as incident
    from newest_versions
),

unpacked as (
    select
        newest.incident_id,
        {{ stature.checked_cast(
            casts, 'incident_number', 'newest.incident.incident_number', 'bigint'
        ) }} as incident_number,
        newest.incident.title,
        coalesce(newest.incident.description, newest.incident.summary) as description,
        lower(newest.incident.status) as status,
        lower(newest.incident.urgency) as urgency,
        newest.incident.priority.summary as priority,
        newest.incident.service.id as pagerduty_service_id,
        newest.incident.service.summary as pagerduty_service_name,
        {{ stature.checked_cast(
            casts, 'created_at', 'newest.incident.created_at', ts
        ) }} as created_at,
        {{ stature.checked_cast(casts, 'updated_at', 'newest.updated_at', ts) }} as updated_at,
        {{ stature.checked_cast(
            casts, 'reported_resolved_at', 'newest.incident.resolved_at', ts
        ) }} as reported_resolved_at,
        {{ stature.checked_cast(
            casts, 'last_status_change_at', 'newest.incident.last_status_change_at', ts
        ) }} as last_status_change_at,
        newest.incident.html_url,
        newest.source_file,
        {{ stature.invalid_fields(casts) }} as invalid_fields
    from newest
)

select
    incident_id,
    incident_number,
    title,
    description,
    status,
    urgency,
    priority,
    pagerduty_service_id,
    pagerduty_service_name,
    created_at,
    updated_at,
    coalesce(
        reported_resolved_at,
        case when status = 'resolved' then last_status_change_at end
    ) as resolved_at,
    last_status_change_at,
    html_url,
    source_file,
    invalid_fields
from unpacked
