-- One row per commit of a pull request (repo, pr_number, sha), as the PR's commits list shows it.
-- Incremental: a night reads only the records landed since its last build.
{{ config(unique_key=['repo', 'pr_number', 'sha']) }}
{%- set landed = stature.landed_since_last_build(
    source('github', 'pull_commits'), ['repo', 'pr_number', 'sha']
) %}
{%- set casts = [] %}
{%- set ts = stature.type_timestamptz() %}
with unpacked as (
    select
        repo,
        pr_number,
        sha,
        source_file,
        _dlt_load_id,
        -- Only single-commit responses (and exports that keep them) list the files changed.
        {{ stature.json_text_list('payload', '$.files[*].filename') }} as changed_files,
        {{ stature.json_struct('payload', {
            'commit': {
                'author': {'name': 'text', 'email': 'text', 'date': 'text'},
                'committer': {'date': 'text'},
                'message': 'text'
            },
            'author': {'login': 'text'}
        }) }} as pull_commit,
        {{ stature.json_text('payload', '$.parents[0].sha') }} as first_parent_sha
    from {{ landed }}
)

select
    unpacked.repo,
    {{ stature.checked_cast(casts, 'pr_number', 'unpacked.pr_number', 'bigint') }} as pr_number,
    unpacked.sha,
    unpacked.pull_commit.commit.author.name as author_name,
    unpacked.pull_commit.commit.author.email as author_email,
    unpacked.pull_commit.author.login as author_login,
    {{ stature.checked_cast(
        casts, 'authored_at', 'unpacked.pull_commit.commit.author.date', ts
    ) }} as authored_at,
    {{ stature.checked_cast(
        casts, 'committed_at', 'unpacked.pull_commit.commit.committer.date', ts
    ) }} as committed_at,
    unpacked.pull_commit.commit.message,
    unpacked.first_parent_sha,
    unpacked.changed_files,
    unpacked.source_file,
    unpacked._dlt_load_id,
    {{ stature.invalid_fields(casts) }} as invalid_fields
from unpacked
