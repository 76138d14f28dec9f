-- One row per review of a change request, under the repository key of int_repo_services_mapped:
--   * GitHub: a submitted review (approved, changes requested or commented; not pending);
--   * GitLab: a comment (a note that is not a system note) or an approval (the system note
--     "approved this merge request"). Other system notes (pushes, labels, review requests) are
--     events, not reviews.
-- Whether a review counts (not the author's own, not after the merge) is int_changes_identified's.
select
    lower(repo) as repo_key,
    pr_number as request_number,
    reviewer_login,
    submitted_at as reviewed_at
from {{ ref('stg_github__pull_reviews') }}
where submitted_at is not null and state <> 'PENDING'
union all
select
    'gitlab:' || lower(project) as repo_key,
    mr_iid as request_number,
    author_username as reviewer_login,
    created_at as reviewed_at
from {{ ref('stg_gitlab__merge_request_notes') }}
where created_at is not null and (not is_system or is_approval)
