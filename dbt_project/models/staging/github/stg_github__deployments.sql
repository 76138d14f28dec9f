-- One row per deployment (repo, deployment_id): the newest version landed.
-- Incremental: a night reads only the records landed since its last build.
{{ config(unique_key=['repo', 'deployment_id']) }}
{%- set landed = stature.landed_since_last_build(
    source('github', 'deployments'), ['repo', 'deployment_id']
) %}
{%- set casts = [] %}
{%- set ts = stature.type_timestamptz() %}
with versions as (
    select
        repo,
        deployment_id,
        updated_at,
        row_number() over (
            partition by repo, deployment_id
            order by updated_at desc
        ) as version_rank
    from {{ landed }}
),

-- The newest version's key is picked first, so the wide payload is read once, not sorted.
newest_versions as (
    select
        raw_versions.repo,
        raw_versions.deployment_id,
        raw_versions.updated_at,
        raw_versions.payload,
        raw_versions.source_file,
        raw_versions._dlt_load_id
    from {{ landed }} as raw_versions
    inner join versions
        on
            raw_versions.repo = versions.repo
            and raw_versions.deployment_id = versions.deployment_id
            and raw_versions.updated_at = versions.updated_at
    where versions.version_rank = 1
),

newest as (
    select
        repo,
        deployment_id,
        updated_at,
        source_file,
        _dlt_load_id,
        {{ stature.json_struct('payload', {
            'sha': 'text', 'ref': 'text', 'task': 'text', 'environment': 'text',
            'original_environment': 'text', 'description': 'text', 'creator': {'login': 'text'},
            'payload': {'service': 'text'}, 'production_environment': 'text', 'created_at': 'text'
        }) }} as deployment
    from newest_versions
)

select
    newest.repo,
    {{ stature.checked_cast(
        casts, 'deployment_id', 'newest.deployment_id', 'bigint'
    ) }} as deployment_id,
    newest.deployment.sha,
    newest.deployment.ref,
    newest.deployment.task,
    newest.deployment.environment,
    newest.deployment.original_environment,
    newest.deployment.description,
    newest.deployment.creator.login as creator_login,
    newest.deployment.payload.service as payload_service,
    {{ stature.checked_cast(
        casts, 'is_production_environment', 'newest.deployment.production_environment', 'boolean'
    ) }} as is_production_environment,
    {{ stature.checked_cast(
        casts, 'created_at', 'newest.deployment.created_at', ts
    ) }} as created_at,
    {{ stature.checked_cast(casts, 'updated_at', 'newest.updated_at', ts) }} as updated_at,
    newest.source_file,
    newest._dlt_load_id,
    {{ stature.invalid_fields(casts) }} as invalid_fields
from newest
