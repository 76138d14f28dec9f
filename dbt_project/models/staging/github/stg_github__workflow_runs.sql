-- One row per GitHub Actions workflow run (repo, run_id): the newest version landed.
-- Incremental: a night reads only the records landed since its last build.
{{ config(unique_key=['repo', 'run_id']) }}
{%- set landed = stature.landed_since_last_build(
    source('github', 'workflow_runs'), ['repo', 'run_id']
) %}
{%- set casts = [] %}
{%- set ts = stature.type_timestamptz() %}
with versions as (
    select
        repo,
        run_id,
        updated_at,
        row_number() over (
            partition by repo, run_id
            order by updated_at desc
        ) as version_rank
    from {{ landed }}
),

-- The newest version's key is picked first, so the wide payload is read once, not sorted.
newest_versions as (
    select
        raw_versions.repo,
        raw_versions.run_id,
        raw_versions.updated_at,
        raw_versions.payload,
        raw_versions.source_file,
        raw_versions._dlt_load_id
    from {{ landed }} as raw_versions
    inner join versions
        on
            raw_versions.repo = versions.repo
            and raw_versions.run_id = versions.run_id
            and raw_versions.updated_at = versions.updated_at
    where versions.version_rank = 1
),

newest as (
    select
        repo,
        run_id,
        updated_at,
        source_file,
        _dlt_load_id,
        {{ stature.json_struct('payload', {
            'workflow_id': 'text', 'name': 'text', 'path': 'text', 'display_title': 'text',
            'run_number': 'text', 'run_attempt': 'text', 'event': 'text', 'status': 'text',
            'conclusion': 'text', 'head_branch': 'text', 'head_sha': 'text',
            'created_at': 'text', 'run_started_at': 'text', 'html_url': 'text'
        }) }} as run
    from newest_versions
)

select
    newest.repo,
    {{ stature.checked_cast(casts, 'run_id', 'newest.run_id', 'bigint') }} as run_id,
    {{ stature.checked_cast(
        casts, 'workflow_id', 'newest.run.workflow_id', 'bigint'
    ) }} as workflow_id,
    nullif(trim(newest.run.name), '') as workflow_name,
    newest.run.path as workflow_path,
    newest.run.display_title,
    {{ stature.checked_cast(
        casts, 'run_number', 'newest.run.run_number', 'bigint'
    ) }} as run_number,
    {{ stature.checked_cast(
        casts, 'run_attempt', 'newest.run.run_attempt', 'bigint'
    ) }} as run_attempt,
    newest.run.event,
    lower(newest.run.status) as status,
    lower(newest.run.conclusion) as conclusion,
    newest.run.head_branch,
    newest.run.head_sha,
    {{ stature.checked_cast(casts, 'created_at', 'newest.run.created_at', ts) }} as created_at,
    {{ stature.checked_cast(casts, 'updated_at', 'newest.updated_at', ts) }} as updated_at,
    {{ stature.checked_cast(
        casts, 'run_started_at', 'newest.run.run_started_at', ts
    ) }} as run_started_at,
    newest.run.html_url,
    newest.source_file,
    newest._dlt_load_id,
    {{ stature.invalid_fields(casts) }} as invalid_fields
from newest
