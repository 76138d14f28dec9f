-- One row per change request of any host, merged or not: GitHub pull requests (`#12`) and GitLab
-- merge requests (`!12`), under the repository key of int_repo_services_mapped. The shas that
-- may put a merged one on the mainline, in the order they are tried:
--   * merge_commit_sha: GitHub's merge, squash or last rebased commit; GitLab's merge commit;
--   * squash_commit_sha: GitLab's squash commit (squash without a merge commit);
--   * fast_forward_sha: GitLab's head `sha`, on the mainline after a fast-forward merge.
select
    lower(repo) as repo_key,
    'github' as repo_host,
    '#' as number_marker,
    pr_number as request_number,
    title,
    author_login,
    head_branch,
    base_branch,
    labels,
    merge_commit_sha,
    cast(null as string) as squash_commit_sha,
    cast(null as string) as fast_forward_sha,
    created_at,
    merged_at
from {{ ref('stg_github__pull_requests') }}
union all
select
    'gitlab:' || lower(project) as repo_key,
    'gitlab' as repo_host,
    '!' as number_marker,
    mr_iid as request_number,
    title,
    author_username as author_login,
    source_branch as head_branch,
    target_branch as base_branch,
    labels,
    merge_commit_sha,
    squash_commit_sha,
    head_sha as fast_forward_sha,
    created_at,
    merged_at
from {{ ref('stg_gitlab__merge_requests') }}
