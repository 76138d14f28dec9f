-- One row per path a commit changed (repo, sha, file_path), from its single-commit `files` list: the
-- file's path, and for a rename also the path it had before (both are the change's).
{{ config(materialized=stature.table_or_view()) }}
with files as (
    select
        repo,
        sha,
        filename,
        {{ stature.json_text('payload', '$.previous_filename') }} as previous_filename,
        {{ stature.json_text('payload', '$.status') }} as file_status,
        source_file
    from {{ source('github', 'commit_files') }}
),

paths as (
    select
        repo,
        sha,
        filename as file_path,
        file_status,
        source_file
    from files
    union all
    select
        repo,
        sha,
        previous_filename as file_path,
        file_status,
        source_file
    from files
    where previous_filename is not null and previous_filename <> filename
)

select
    repo,
    lower(sha) as sha,
    file_path,
    min(file_status) as file_status,
    min(source_file) as source_file
from paths
group by repo, sha, file_path
