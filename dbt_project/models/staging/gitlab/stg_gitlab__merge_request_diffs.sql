-- One row per path a merge request changed (project, mr_iid, file_path), from its diffs list: the
-- file's new path, and for a rename or a deletion also its old path (both are the change's).
with diffs as (
    select
        project,
        mr_iid,
        new_path,
        {{ stature.json_text('payload', '$.old_path') }} as old_path,
        source_file
    from {{ source('gitlab', 'merge_request_diffs') }}
),

paths as (
    select
        project,
        mr_iid,
        new_path as file_path,
        source_file
    from diffs
    union all
    select
        project,
        mr_iid,
        old_path as file_path,
        source_file
    from diffs
    where old_path is not null and old_path <> new_path
)

select
    project,
    cast(mr_iid as bigint) as mr_iid,
    file_path,
    min(source_file) as source_file
from paths
group by project, mr_iid, file_path
