-- One row per GitLab deployment (project, deployment_id): the newest version landed.
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
    cast(deployment_id as bigint) as deployment_id,
    cast({{ stature.json_text('payload', '$.iid') }} as bigint) as deployment_iid,
    {{ stature.json_text('payload', '$.sha') }} as sha,
    {{ stature.json_text('payload', '$.ref') }} as ref,
    lower({{ stature.json_text('payload', '$.status') }}) as status,
    {{ stature.json_text('payload', '$.environment.name') }} as environment,
    {{ stature.json_text('payload', '$.user.username') }} as deployer_username,
    {{ stature.json_timestamp('payload', '$.created_at') }} as created_at,
    cast(updated_at as {{ stature.type_timestamptz() }}) as updated_at,
    {{ stature.json_timestamp('payload', '$.deployable.finished_at') }} as finished_at,
    {{ stature.json_text('payload', '$.deployable.name') }} as job_name,
    source_file
from newest_versions
