{#-
    One row per change and service: every merged pull request (GitHub) or merge request
    (GitLab) and every direct commit of the services' code repositories, with where it sits on
    the mainline and when its work started. Both hosts arrive through the same unioned models
    (int_change_requests_unioned, int_change_request_commits_unioned,
    int_change_request_reviews_unioned, int_commits_mainline_ranked), keyed by repo_key.
      * A merged request (merged_at set: a closed PR's merge_commit_sha is only a test merge) is
        placed on the mainline by the first of its shas on it: merge_commit_sha (the merge
        commit, GitHub's squash commit or last rebased commit), squash_commit_sha (GitLab's
        squash commit), fast_forward_sha (GitLab's head sha after a fast-forward merge). Its
        first commit time is the earliest author date of its commits; without those, the
        earliest author date of the branch its merge commit brought in; without that, its
        creation time. Its first review is the earliest review by someone else before the merge
        (GitHub reviews; GitLab comments and approvals).
      * Requests merged into another branch than the repo's main branch are not changes: the main
        branch is the base branch of most requests placed on the mainline (or of most merged
        requests when the repo has no commit graph).
      * A direct commit is a mainline commit no merged request produced (not one of the shas
        above, not one of a request's commits, not a rebased copy of one: same author date and
        message). Its first commit time is its author date (for a merge commit, the earliest
        author date of what it merged).
      * A change of a repo shared by several services (a monorepo) belongs to the services
        whose `stature.dev/paths` globs (stg_catalog__service_paths) match a file it changed:
        the files of its mainline commit and of its request (PR files, commit files, and files
        listed in commit objects, int_changed_files_unioned). A file two services' globs match
        makes the change both services'; a change whose files match no glob is no service's; a
        change without any file list belongs to every service of the repo.
      * attributed_by: 'repo' (the repository is one service's), 'paths' (a shared repository's
        change matched by its files), 'whole_repo' (a shared repository's change without any
        file list, given to every service of the repository).
      * change_id: GitHub `acme/checkout#12` and `acme/checkout@<sha>`; GitLab
        `gitlab:group/app!12` and `gitlab:group/app@<sha>`.
-#}
with requests as (
    select
        repo_key,
        repo_host,
        number_marker,
        request_number,
        title,
        author_login,
        head_branch,
        base_branch,
        labels,
        merge_commit_sha,
        squash_commit_sha,
        fast_forward_sha,
        created_at,
        merged_at
    from {{ ref('int_change_requests_unioned') }}
    where merged_at is not null
),

request_commits as (
    select
        repo_key,
        request_number,
        sha,
        authored_at,
        message,
        changed_files
    from {{ ref('int_change_request_commits_unioned') }}
),

request_first_commits as (
    select
        repo_key,
        request_number,
        min(authored_at) as first_authored_at,
        count(*) as commit_count
    from request_commits
    group by repo_key, request_number
),

reviews as (
    select
        reviews.repo_key,
        reviews.request_number,
        min(reviews.reviewed_at) as first_review_at,
        count(*) as review_count
    from {{ ref('int_change_request_reviews_unioned') }} as reviews
    inner join requests
        on reviews.repo_key = requests.repo_key and reviews.request_number = requests.request_number
    where
        reviews.reviewed_at <= requests.merged_at
        and coalesce(reviews.reviewer_login, '') <> coalesce(requests.author_login, '')
    group by reviews.repo_key, reviews.request_number
),

commits as (
    select * from {{ ref('int_commits_mainline_ranked') }}
),

merged_branches as (
    select * from {{ ref('int_commits_branch_walked') }}
),

repos_with_graph as (
    select distinct repo_key from commits
    where is_mainline
),

requests_placed as (
    select
        requests.*,
        coalesce(merge_commit.sha, squash_commit.sha, head_commit.sha) as mainline_sha,
        coalesce(
            merge_commit.mainline_position,
            squash_commit.mainline_position,
            head_commit.mainline_position
        ) as mainline_position,
        coalesce(merge_commit.sha, squash_commit.sha, head_commit.sha) is not null as is_on_mainline
    from requests
    left join commits as merge_commit
        on
            requests.repo_key = merge_commit.repo_key
            and requests.merge_commit_sha = merge_commit.sha
            and merge_commit.is_mainline
    left join commits as squash_commit
        on
            requests.repo_key = squash_commit.repo_key
            and requests.squash_commit_sha = squash_commit.sha
            and squash_commit.is_mainline
    left join commits as head_commit
        on
            requests.repo_key = head_commit.repo_key
            and requests.fast_forward_sha = head_commit.sha
            and head_commit.is_mainline
),

base_branch_votes as (
    select
        repo_key,
        base_branch,
        row_number() over (
            partition by repo_key
            order by
                sum(case when is_on_mainline then 1 else 0 end) desc,
                count(*) desc,
                base_branch
        ) as vote_rank
    from requests_placed
    group by repo_key, base_branch
),

request_changes as (
    select
        'pr' as change_type,
        requests_placed.repo_key,
        requests_placed.repo_key || requests_placed.number_marker
        || cast(requests_placed.request_number as string) as change_key,
        requests_placed.request_number as pr_number,
        coalesce(
            requests_placed.mainline_sha,
            requests_placed.merge_commit_sha,
            requests_placed.squash_commit_sha,
            requests_placed.fast_forward_sha
        ) as sha,
        requests_placed.title,
        requests_placed.author_login,
        requests_placed.head_branch,
        requests_placed.labels,
        coalesce(
            request_first_commits.first_authored_at,
            merged_branches.merged_first_authored_at,
            requests_placed.created_at
        ) as first_commit_at,
        case
            when request_first_commits.first_authored_at is not null then 'pr_commits'
            when merged_branches.merged_first_authored_at is not null then 'merged_branch'
            else 'pr_opened'
        end as first_commit_source,
        requests_placed.created_at as opened_at,
        reviews.first_review_at,
        requests_placed.merged_at,
        requests_placed.mainline_position,
        coalesce(request_first_commits.commit_count, merged_branches.merged_commit_count)
            as commit_count,
        {{ stature.list_has('requests_placed.labels', stature.sql_string(var('hotfix_label'))) }}
        or {{ stature.regex_matches('requests_placed.head_branch', var('hotfix_branch_pattern')) }}
            as is_hotfix,
        {{ stature.regex_matches('requests_placed.title', var('revert_title_pattern')) }} as is_revert,
        {{ stature.regex_matches('requests_placed.title', var('rollback_title_pattern')) }}
            as is_rollback
    from requests_placed
    inner join base_branch_votes
        on requests_placed.repo_key = base_branch_votes.repo_key and base_branch_votes.vote_rank = 1
    left join request_first_commits
        on
            requests_placed.repo_key = request_first_commits.repo_key
            and requests_placed.request_number = request_first_commits.request_number
    left join merged_branches
        on
            requests_placed.repo_key = merged_branches.repo_key
            and coalesce(requests_placed.mainline_sha, requests_placed.merge_commit_sha)
            = merged_branches.sha
    left join reviews
        on
            requests_placed.repo_key = reviews.repo_key
            and requests_placed.request_number = reviews.request_number
    where
        requests_placed.is_on_mainline
        or coalesce(requests_placed.base_branch, '') = coalesce(base_branch_votes.base_branch, '')
),

request_produced as (
    select
        repo_key,
        merge_commit_sha as sha
    from requests
    where merge_commit_sha is not null
    union
    select
        repo_key,
        squash_commit_sha as sha
    from requests
    where squash_commit_sha is not null
    union
    select
        repo_key,
        fast_forward_sha as sha
    from requests
    where fast_forward_sha is not null
    union
    select
        request_commits.repo_key,
        request_commits.sha
    from request_commits
    inner join requests
        on
            request_commits.repo_key = requests.repo_key
            and request_commits.request_number = requests.request_number
    union
    select
        commits.repo_key,
        commits.sha
    from commits
    inner join request_commits
        on
            commits.repo_key = request_commits.repo_key
            and commits.authored_at = request_commits.authored_at
            and commits.message = request_commits.message
    inner join requests
        on
            request_commits.repo_key = requests.repo_key
            and request_commits.request_number = requests.request_number
    where commits.is_mainline
),

direct_changes as (
    select
        'direct_commit' as change_type,
        commits.repo_key,
        commits.repo_key || '@' || commits.sha as change_key,
        cast(null as bigint) as pr_number,
        commits.sha,
        split_part(commits.message, chr(10), 1) as title,
        commits.author_login,
        cast(null as string) as head_branch,
        cast(null as {{ stature.type_text_list() }}) as labels,
        case
            when merged_branches.merged_first_authored_at < commits.authored_at
                then merged_branches.merged_first_authored_at
            else commits.authored_at
        end as first_commit_at,
        case
            when merged_branches.merged_first_authored_at < commits.authored_at
                then 'merged_branch'
            else 'commit'
        end as first_commit_source,
        cast(null as {{ stature.type_timestamptz() }}) as opened_at,
        cast(null as {{ stature.type_timestamptz() }}) as first_review_at,
        commits.committed_at as merged_at,
        commits.mainline_position,
        1 + coalesce(merged_branches.merged_commit_count, 0) as commit_count,
        false as is_hotfix,
        {{ stature.regex_matches('commits.message', var('revert_title_pattern')) }} as is_revert,
        {{ stature.regex_matches('commits.message', var('rollback_title_pattern')) }}
            as is_rollback
    from commits
    left join request_produced
        on commits.repo_key = request_produced.repo_key and commits.sha = request_produced.sha
    left join merged_branches
        on commits.repo_key = merged_branches.repo_key and commits.sha = merged_branches.sha
    where commits.is_mainline and request_produced.sha is null
),

changes as (
    select * from request_changes
    union all
    select * from direct_changes
),

repo_services as (
    select * from {{ ref('int_repo_services_mapped') }}
),

shared_repos as (
    select distinct repo_key from repo_services
    where services_in_repo > 1
),

shared_changes as (
    select changes.*
    from changes
    inner join shared_repos
        on changes.repo_key = shared_repos.repo_key
),

listed_files as (
    select * from {{ ref('int_changed_files_unioned') }}
),

mainline_files as (
    select
        source_commits.repo_key,
        source_commits.sha,
        changed.file_path
    from {{ ref('int_commits_unioned') }} as source_commits
    {{ stature.unnest_list('source_commits.changed_files', 'changed', 'file_path') }}
),

change_files as (
    select
        shared_changes.change_key,
        mainline_files.file_path
    from shared_changes
    inner join mainline_files
        on shared_changes.repo_key = mainline_files.repo_key and shared_changes.sha = mainline_files.sha
    union
    select
        shared_changes.change_key,
        changed.file_path
    from shared_changes
    inner join request_commits
        on
            shared_changes.repo_key = request_commits.repo_key
            and shared_changes.pr_number = request_commits.request_number
    {{ stature.unnest_list('request_commits.changed_files', 'changed', 'file_path') }}
    union
    select
        shared_changes.change_key,
        listed_files.file_path
    from shared_changes
    inner join listed_files
        on
            shared_changes.repo_key = listed_files.repo_key
            and shared_changes.sha = listed_files.sha
    union
    select
        shared_changes.change_key,
        listed_files.file_path
    from shared_changes
    inner join listed_files
        on
            shared_changes.repo_key = listed_files.repo_key
            and shared_changes.pr_number = listed_files.request_number
),

service_globs as (
    select
        repo_services.repo_key,
        repo_services.service_id,
        service_paths.path_pattern
    from repo_services
    inner join {{ ref('stg_catalog__service_paths') }} as service_paths
        on repo_services.service_id = service_paths.service_id
    where repo_services.services_in_repo > 1
),

path_matches as (
    select distinct
        change_files.change_key,
        service_globs.service_id
    from change_files
    inner join shared_changes
        on change_files.change_key = shared_changes.change_key
    inner join service_globs
        on
            shared_changes.repo_key = service_globs.repo_key
            and {{ stature.regex_matches_expression('change_files.file_path', 'service_globs.path_pattern') }}
),

changes_with_files as (
    select distinct change_key from change_files
)

select
    case
        when repo_services.services_in_repo > 1
            then changes.change_key || '/' || repo_services.service_id
        else changes.change_key
    end as change_id,
    repo_services.service_id,
    changes.change_type,
    changes.repo_key,
    repo_services.repo_host,
    repo_services.repo_name,
    changes.pr_number,
    changes.sha,
    changes.title,
    changes.author_login,
    changes.head_branch,
    changes.labels,
    changes.first_commit_at,
    changes.first_commit_source,
    changes.opened_at,
    changes.first_review_at,
    changes.merged_at,
    changes.mainline_position,
    repos_with_graph.repo_key is not null as repo_has_graph,
    changes.commit_count,
    changes.is_hotfix,
    changes.is_revert,
    changes.is_rollback,
    case
        when repo_services.services_in_repo = 1 then 'repo'
        when changes_with_files.change_key is null then 'whole_repo'
        else 'paths'
    end as attributed_by
from changes
inner join repo_services
    on changes.repo_key = repo_services.repo_key
left join repos_with_graph
    on changes.repo_key = repos_with_graph.repo_key
left join changes_with_files
    on changes.change_key = changes_with_files.change_key
left join path_matches
    on
        changes.change_key = path_matches.change_key
        and repo_services.service_id = path_matches.service_id
where
    repo_services.services_in_repo = 1
    or changes_with_files.change_key is null
    or path_matches.service_id is not null
