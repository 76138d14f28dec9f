-- One row per path a change request or a commit changed, whatever host keeps the code, under the
-- repository key of int_repo_services_mapped: GitHub's PR files (pulls/{n}/files) and commit
-- files (files[] of commits/{sha}), GitLab's merge request diffs and commit diffs. A row names either its request (request_number) or its
-- commit (sha). Monorepo attribution matches these paths against the services' path globs.
select
    lower(repo) as repo_key,
    pr_number as request_number,
    cast(null as string) as sha,
    file_path
from {{ ref('stg_github__pull_files') }}
union all
select
    lower(repo) as repo_key,
    cast(null as bigint) as request_number,
    sha,
    file_path
from {{ ref('stg_github__commit_files') }}
union all
select
    'gitlab:' || lower(project) as repo_key,
    mr_iid as request_number,
    cast(null as string) as sha,
    file_path
from {{ ref('stg_gitlab__merge_request_diffs') }}
union all
select
    'gitlab:' || lower(project) as repo_key,
    cast(null as bigint) as request_number,
    sha,
    file_path
from {{ ref('stg_gitlab__commit_diffs') }}
