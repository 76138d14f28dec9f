-- One row per path a pull request changed (repo, pr_number, file_path), from its files list: the
-- file's path, and for a rename also the path it had before (both are the change's).
{{ config(materialized=stature.table_or_view()) }}
with files as (
    select
        repo,
        pr_number,
        filename,
        {{ stature.json_text('payload', '$.previous_filename') }} as previous_filename,
        {{ stature.json_text('payload', '$.status') }} as file_status,
        source_file
    from {{ source('github', 'pull_files') }}
),

paths as (
    select
        repo,
        pr_number,
        filename as file_path,
        file_status,
        source_file
    from files
    union all
    select
        repo,
        pr_number,
        previous_filename as file_path,
        file_status,
        source_file
    from files
    where previous_filename is not null and previous_filename <> filename
)

select
    repo,
    cast(pr_number as bigint) as pr_number,
    file_path,
    min(file_status) as file_status,
    min(source_file) as source_file
from paths
group by repo, pr_number, file_path
