-- One row per GitLab deployment (project, deployment_id): the newest version landed.
{%- set casts = [] %}
{%- set ts = stature.type_timestamptz() %}
with versions as (
    select
        project,
        deployment_id,
        updated_at,
        row_number() over (
            partition by project, deployment_id
            order by updated_at desc
        ) as version_rank
    from {{ source('gitlab', 'deployments') }}
),

-- The newest version's key is picked first, so the wide payload is read once, not sorted.
newest_versions as (
    select
        raw_versions.project,
        raw_versions.deployment_id,
        raw_versions.updated_at,
        raw_versions.payload,
        raw_versions.source_file
    from {{ source('gitlab', 'deployments') }} as raw_versions
    inner join versions
        on
            raw_versions.project = versions.project
            and raw_versions.deployment_id = versions.deployment_id
            and raw_versions.updated_at = versions.updated_at
    where versions.version_rank = 1
)

select
    project,
    {{ stature.checked_cast(casts, 'deployment_id', 'deployment_id', 'bigint') }} as deployment_id,
    {{ stature.checked_cast(
        casts, 'deployment_iid', stature.json_text('payload', '$.iid'), 'bigint'
    ) }} as deployment_iid,
    {{ stature.json_text('payload', '$.sha') }} as sha,
    {{ stature.json_text('payload', '$.ref') }} as ref,
    lower({{ stature.json_text('payload', '$.status') }}) as status,
    {{ stature.json_text('payload', '$.environment.name') }} as environment,
    {{ stature.json_text('payload', '$.user.username') }} as deployer_username,
    {{ stature.checked_cast(
        casts, 'created_at', stature.json_text('payload', '$.created_at'), ts
    ) }} as created_at,
    {{ stature.checked_cast(casts, 'updated_at', 'updated_at', ts) }} as updated_at,
    {{ stature.checked_cast(
        casts, 'finished_at', stature.json_text('payload', '$.deployable.finished_at'), ts
    ) }} as finished_at,
    {{ stature.json_text('payload', '$.deployable.name') }} as job_name,
    source_file,
    {{ stature.invalid_fields(casts) }} as invalid_fields
from newest_versions
