-- One row per pull request (repo, pr_number): the newest version landed.
-- Incremental: a night reads only the records landed since its last build.
{{ config(unique_key=['repo', 'pr_number']) }}
{%- set landed = stature.landed_since_last_build(source('github', 'pulls'), ['repo', 'number']) %}
{%- set casts = [] %}
{%- set ts = stature.type_timestamptz() %}
with versions as (
    select
        repo,
        number,
        updated_at,
        row_number() over (
            partition by repo, number
            order by updated_at desc
        ) as version_rank
    from {{ landed }}
),

-- The newest version's key is picked first, so the wide payload is read once, not sorted.
newest_versions as (
    select
        raw_versions.repo,
        raw_versions.number,
        raw_versions.id,
        raw_versions.updated_at,
        raw_versions.payload,
        raw_versions.source_file,
        raw_versions._dlt_load_id
    from {{ landed }} as raw_versions
    inner join versions
        on
            raw_versions.repo = versions.repo
            and raw_versions.number = versions.number
            and raw_versions.updated_at = versions.updated_at
    where versions.version_rank = 1
),

newest as (
    select
        repo,
        number,
        id,
        updated_at,
        source_file,
        _dlt_load_id,
        {{ stature.json_text_list('payload', '$.labels[*].name') }} as labels,
        {{ stature.json_struct('payload', {
            'title': 'text', 'state': 'text', 'user': {'login': 'text'},
            'head': {'ref': 'text', 'sha': 'text'}, 'base': {'ref': 'text'}, 'draft': 'text',
            'merge_commit_sha': 'text', 'created_at': 'text', 'closed_at': 'text',
            'merged_at': 'text', 'html_url': 'text'
        }) }} as pull
    from newest_versions
)

select
    newest.repo,
    {{ stature.checked_cast(casts, 'pr_number', 'newest.number', 'bigint') }} as pr_number,
    {{ stature.checked_cast(casts, 'pr_id', 'newest.id', 'bigint') }} as pr_id,
    newest.pull.title,
    newest.pull.state,
    newest.pull.user.login as author_login,
    newest.pull.head.ref as head_branch,
    newest.pull.head.sha as head_sha,
    newest.pull.base.ref as base_branch,
    newest.labels,
    coalesce({{ stature.checked_cast(
        casts, 'is_draft', 'newest.pull.draft', 'boolean'
    ) }}, false) as is_draft,
    newest.pull.merge_commit_sha,
    {{ stature.checked_cast(casts, 'created_at', 'newest.pull.created_at', ts) }} as created_at,
    {{ stature.checked_cast(casts, 'updated_at', 'newest.updated_at', ts) }} as updated_at,
    {{ stature.checked_cast(casts, 'closed_at', 'newest.pull.closed_at', ts) }} as closed_at,
    {{ stature.checked_cast(casts, 'merged_at', 'newest.pull.merged_at', ts) }} as merged_at,
    newest.pull.html_url,
    newest.source_file,
    newest._dlt_load_id,
    {{ stature.invalid_fields(casts) }} as invalid_fields
from newest
