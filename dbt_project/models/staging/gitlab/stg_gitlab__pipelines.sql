-- One row per GitLab pipeline (project, pipeline_id): the newest version landed.
with versions as (
    select
        project,
        pipeline_id,
        updated_at,
        row_number() over (
            partition by project, pipeline_id
            order by updated_at desc
        ) as version_rank
    from {{ source('gitlab', 'pipelines') }}
),

-- The newest version's key is picked first, so the wide payload is read once, not sorted.
newest_versions as (
    select
        raw_versions.project,
        raw_versions.pipeline_id,
        raw_versions.updated_at,
        raw_versions.payload,
        raw_versions.source_file
    from {{ source('gitlab', 'pipelines') }} as raw_versions
    inner join versions
        on
            raw_versions.project = versions.project
            and raw_versions.pipeline_id = versions.pipeline_id
            and raw_versions.updated_at = versions.updated_at
    where versions.version_rank = 1
)

select
    project,
    cast(pipeline_id as bigint) as pipeline_id,
    {{ stature.json_text('payload', '$.sha') }} as sha,
    {{ stature.json_text('payload', '$.ref') }} as ref,
    lower({{ stature.json_text('payload', '$.status') }}) as status,
    {{ stature.json_text('payload', '$.source') }} as pipeline_source,
    {{ stature.json_timestamp('payload', '$.created_at') }} as created_at,
    cast(updated_at as {{ stature.type_timestamptz() }}) as updated_at,
    {{ stature.json_timestamp('payload', '$.started_at') }} as started_at,
    {{ stature.json_timestamp('payload', '$.finished_at') }} as finished_at,
    {{ stature.json_text('payload', '$.web_url') }} as web_url,
    source_file
from newest_versions
