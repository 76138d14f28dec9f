-- One row per commit of a project's default branch (project, sha), with its parents.
{%- set casts = [] %}
{%- set ts = stature.type_timestamptz() %}
with unpacked as (
    select
        project,
        sha,
        source_file,
        {{ stature.json_text_list('payload', '$.parent_ids[*]') }} as parent_shas,
        {{ stature.json_struct('payload', {
            'author_name': 'text', 'author_email': 'text', 'authored_date': 'text',
            'committed_date': 'text', 'message': 'text'
        }) }} as main_commit
    from {{ source('gitlab', 'commits') }}
)

select
    unpacked.project,
    unpacked.sha,
    unpacked.main_commit.author_name,
    unpacked.main_commit.author_email,
    {{ stature.checked_cast(casts, 'authored_at', 'unpacked.main_commit.authored_date', ts) }} as authored_at,
    {{ stature.checked_cast(
        casts, 'committed_at', 'unpacked.main_commit.committed_date', ts
    ) }} as committed_at,
    unpacked.main_commit.message,
    {{ stature.list_at('unpacked.parent_shas', 1) }} as first_parent_sha,
    unpacked.parent_shas,
    unpacked.source_file,
    {{ stature.invalid_fields(casts) }} as invalid_fields
from unpacked
