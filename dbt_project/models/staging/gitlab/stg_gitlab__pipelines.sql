-- One row per GitLab pipeline (project, pipeline_id): the newest version landed.
{%- set casts = [] %}
{%- set ts = stature.type_timestamptz() %}
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
    {{ stature.checked_cast(casts, 'pipeline_id', 'pipeline_id', 'bigint') }} as pipeline_id,
    {{ stature.checked_cast(
        casts, 'project_id', stature.json_text('payload', '$.project_id'), 'bigint'
    ) }} as project_id,
    {{ stature.json_text('payload', '$.name') }} as pipeline_name,
    {{ stature.json_text('payload', '$.sha') }} as sha,
    {{ stature.json_text('payload', '$.ref') }} as ref,
    lower({{ stature.json_text('payload', '$.status') }}) as status,
    {{ stature.json_text('payload', '$.source') }} as pipeline_source,
    {{ stature.checked_cast(
        casts, 'created_at', stature.json_text('payload', '$.created_at'), ts
    ) }} as created_at,
    {{ stature.checked_cast(casts, 'updated_at', 'updated_at', ts) }} as updated_at,
    {{ stature.checked_cast(
        casts, 'started_at', stature.json_text('payload', '$.started_at'), ts
    ) }} as started_at,
    {{ stature.checked_cast(
        casts, 'finished_at', stature.json_text('payload', '$.finished_at'), ts
    ) }} as finished_at,
    {{ stature.json_text('payload', '$.web_url') }} as web_url,
    source_file,
    {{ stature.invalid_fields(casts) }} as invalid_fields
from newest_versions
