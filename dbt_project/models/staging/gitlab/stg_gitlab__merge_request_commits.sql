-- One row per commit of a merge request (project, mr_iid, sha), as its commits list shows it.
{%- set casts = [] %}
{%- set ts = stature.type_timestamptz() %}
with unpacked as (
    select
        project,
        mr_iid,
        sha,
        source_file,
        {{ stature.json_struct('payload', {
            'author_name': 'text', 'author_email': 'text', 'authored_date': 'text',
            'committed_date': 'text', 'message': 'text'
        }) }} as mr_commit
    from {{ source('gitlab', 'merge_request_commits') }}
)

select
    unpacked.project,
    {{ stature.checked_cast(casts, 'mr_iid', 'unpacked.mr_iid', 'bigint') }} as mr_iid,
    unpacked.sha,
    unpacked.mr_commit.author_name,
    unpacked.mr_commit.author_email,
    {{ stature.checked_cast(casts, 'authored_at', 'unpacked.mr_commit.authored_date', ts) }} as authored_at,
    {{ stature.checked_cast(casts, 'committed_at', 'unpacked.mr_commit.committed_date', ts) }} as committed_at,
    unpacked.mr_commit.message,
    unpacked.source_file,
    {{ stature.invalid_fields(casts) }} as invalid_fields
from unpacked
