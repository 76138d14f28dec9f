-- One row per status of a deployment (repo, deployment_id, status_id).
-- Incremental: a night reads only the records landed since its last build.
{{ config(unique_key=['repo', 'deployment_id', 'status_id']) }}
{%- set landed = stature.landed_since_last_build(
    source('github', 'deployment_statuses'), ['repo', 'deployment_id', 'status_id']
) %}
{%- set casts = [] %}
{%- set ts = stature.type_timestamptz() %}
with unpacked as (
    select
        repo,
        deployment_id,
        status_id,
        source_file,
        _dlt_load_id,
        {{ stature.json_struct('payload', {
            'state': 'text', 'environment': 'text', 'description': 'text',
            'created_at': 'text', 'updated_at': 'text'
        }) }} as deployment_status
    from {{ landed }}
)

select
    unpacked.repo,
    {{ stature.checked_cast(
        casts, 'deployment_id', 'unpacked.deployment_id', 'bigint'
    ) }} as deployment_id,
    {{ stature.checked_cast(casts, 'status_id', 'unpacked.status_id', 'bigint') }} as status_id,
    lower(unpacked.deployment_status.state) as state,
    unpacked.deployment_status.environment,
    unpacked.deployment_status.description,
    {{ stature.checked_cast(
        casts, 'created_at', 'unpacked.deployment_status.created_at', ts
    ) }} as created_at,
    {{ stature.checked_cast(
        casts, 'updated_at', 'unpacked.deployment_status.updated_at', ts
    ) }} as updated_at,
    unpacked.source_file,
    unpacked._dlt_load_id,
    {{ stature.invalid_fields(casts) }} as invalid_fields
from unpacked
