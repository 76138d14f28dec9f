-- One row per commit of a change request (pull request or merge request), under the repository
-- key of int_repo_services_mapped: their earliest author date is the change's first commit.
select
    lower(repo) as repo_key,
    pr_number as request_number,
    sha,
    authored_at,
    message,
    changed_files
from {{ ref('stg_github__pull_commits') }}
union all
select
    'gitlab:' || lower(project) as repo_key,
    mr_iid as request_number,
    sha,
    authored_at,
    message,
    {{ stature.empty_text_list() }} as changed_files
from {{ ref('stg_gitlab__merge_request_commits') }}
