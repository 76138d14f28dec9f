-- One row per issue (repo, issue_number): the newest version landed. Pull requests, which the
-- issues endpoint also returns, are flagged so no reader mistakes them for issues.
-- Incremental: a night reads only the records landed since its last build.
{{ config(unique_key=['repo', 'issue_number']) }}
{%- set landed = stature.landed_since_last_build(source('github', 'issues'), ['repo', 'number']) %}
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
        updated_at,
        source_file,
        _dlt_load_id,
        {{ stature.json_text_list('payload', '$.labels[*].name') }} as labels,
        {{ stature.json_struct('payload', {
            'id': 'text', 'title': 'text', 'body': 'text', 'state': 'text',
            'state_reason': 'text', 'user': {'login': 'text'}, 'pull_request': {'url': 'text'},
            'created_at': 'text', 'closed_at': 'text', 'html_url': 'text'
        }) }} as issue
    from newest_versions
)

select
    newest.repo,
    {{ stature.checked_cast(casts, 'issue_number', 'newest.number', 'bigint') }} as issue_number,
    {{ stature.checked_cast(casts, 'issue_id', 'newest.issue.id', 'bigint') }} as issue_id,
    newest.issue.title,
    newest.issue.body,
    lower(newest.issue.state) as state,
    newest.issue.state_reason,
    newest.labels,
    newest.issue.user.login as author_login,
    newest.issue.pull_request.url is not null as is_pull_request,
    {{ stature.checked_cast(casts, 'created_at', 'newest.issue.created_at', ts) }} as created_at,
    {{ stature.checked_cast(casts, 'updated_at', 'newest.updated_at', ts) }} as updated_at,
    {{ stature.checked_cast(casts, 'closed_at', 'newest.issue.closed_at', ts) }} as closed_at,
    newest.issue.html_url,
    newest.source_file,
    newest._dlt_load_id,
    {{ stature.invalid_fields(casts) }} as invalid_fields
from newest
