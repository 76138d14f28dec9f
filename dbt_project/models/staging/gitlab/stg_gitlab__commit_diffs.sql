-- One row per path a commit changed (project, sha, file_path), from its diff: the
-- file's new path, and for a rename or a deletion also its old path (both are the change's).
with diffs as (
    select
        project,
        sha,
        new_path,
        {{ stature.json_text('payload', '$.old_path') }} as old_path,
        source_file
    from {{ source('gitlab', 'commit_diffs') }}
),

paths as (
    select
        project,
        sha,
        new_path as file_path,
        source_file
    from diffs
    union all
    select
        project,
        sha,
        old_path as file_path,
        source_file
    from diffs
    where old_path is not null and old_path <> new_path
)

select
    project,
    lower(sha) as sha,
    file_path,
    min(source_file) as source_file
from paths
group by project, sha, file_path
