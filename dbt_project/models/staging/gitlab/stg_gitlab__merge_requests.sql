-- One row per GitLab merge request (project, mr_iid): the newest version landed.
{%- set casts = [] %}
{%- set ts = stature.type_timestamptz() %}
with versions as (
    select
        project,
        iid,
        updated_at,
        row_number() over (
            partition by project, iid
            order by updated_at desc
        ) as version_rank
    from {{ source('gitlab', 'merge_requests') }}
),

-- The newest version's key is picked first, so the wide payload is read once, not sorted.
newest_versions as (
    select
        raw_versions.project,
        raw_versions.iid,
        raw_versions.updated_at,
        raw_versions.payload,
        raw_versions.source_file
    from {{ source('gitlab', 'merge_requests') }} as raw_versions
    inner join versions
        on
            raw_versions.project = versions.project
            and raw_versions.iid = versions.iid
            and raw_versions.updated_at = versions.updated_at
    where versions.version_rank = 1
)

select
    project,
    {{ stature.checked_cast(casts, 'mr_iid', 'iid', 'bigint') }} as mr_iid,
    {{ stature.checked_cast(
        casts, 'mr_id', stature.json_text('payload', '$.id'), 'bigint'
    ) }} as mr_id,
    {{ stature.checked_cast(
        casts, 'project_id', stature.json_text('payload', '$.project_id'), 'bigint'
    ) }} as project_id,
    {{ stature.json_text('payload', '$.title') }} as title,
    lower({{ stature.json_text('payload', '$.state') }}) as state,
    {{ stature.json_text('payload', '$.author.username') }} as author_username,
    {{ stature.json_text('payload', '$.source_branch') }} as source_branch,
    {{ stature.json_text('payload', '$.target_branch') }} as target_branch,
    {{ stature.json_text_list('payload', '$.labels[*]') }} as labels,
    {{ stature.json_text('payload', '$.sha') }} as head_sha,
    {{ stature.json_text('payload', '$.merge_commit_sha') }} as merge_commit_sha,
    {{ stature.json_text('payload', '$.squash_commit_sha') }} as squash_commit_sha,
    {{ stature.checked_cast(
        casts, 'created_at', stature.json_text('payload', '$.created_at'), ts
    ) }} as created_at,
    {{ stature.checked_cast(casts, 'updated_at', 'updated_at', ts) }} as updated_at,
    {{ stature.checked_cast(
        casts, 'merged_at', stature.json_text('payload', '$.merged_at'), ts
    ) }} as merged_at,
    {{ stature.checked_cast(
        casts, 'closed_at', stature.json_text('payload', '$.closed_at'), ts
    ) }} as closed_at,
    {{ stature.json_text('payload', '$.web_url') }} as web_url,
    source_file,
    {{ stature.invalid_fields(casts) }} as invalid_fields
from newest_versions
