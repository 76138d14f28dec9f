-- One row per commit of a repo's default branch (repo, sha), with its parents.
-- Incremental: a night reads only the records landed since its last build.
{{ config(unique_key=['repo', 'sha']) }}
{%- set landed = stature.landed_since_last_build(source('github', 'commits'), ['repo', 'sha']) %}
{%- set casts = [] %}
{%- set ts = stature.type_timestamptz() %}
with unpacked as (
    select
        repo,
        sha,
        source_file,
        _dlt_load_id,
        {{ stature.json_text_list('payload', '$.parents[*].sha') }} as parent_shas,
        -- Only single-commit responses (and exports that keep them) list the files changed.
        {{ stature.json_text_list('payload', '$.files[*].filename') }} as changed_files,
        {{ stature.json_struct('payload', {
            'commit': {
                'author': {'name': 'text', 'email': 'text', 'date': 'text'},
                'committer': {'date': 'text'},
                'message': 'text'
            },
            'author': {'login': 'text'}
        }) }} as main_commit
    from {{ landed }}
)

select
    unpacked.repo,
    unpacked.sha,
    unpacked.main_commit.commit.author.name as author_name,
    unpacked.main_commit.commit.author.email as author_email,
    unpacked.main_commit.author.login as author_login,
    {{ stature.checked_cast(
        casts, 'authored_at', 'unpacked.main_commit.commit.author.date', ts
    ) }} as authored_at,
    {{ stature.checked_cast(
        casts, 'committed_at', 'unpacked.main_commit.commit.committer.date', ts
    ) }} as committed_at,
    unpacked.main_commit.commit.message,
    {{ stature.list_at('unpacked.parent_shas', 1) }} as first_parent_sha,
    unpacked.changed_files,
    unpacked.parent_shas,
    unpacked.source_file,
    unpacked._dlt_load_id,
    {{ stature.invalid_fields(casts) }} as invalid_fields
from unpacked
