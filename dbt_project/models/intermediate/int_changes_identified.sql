{#-
    One row per change and service: every merged pull request and every direct commit of the
    services' repos, with where it sits on the mainline and when its work started.
      * A merged PR (merged_at set: a closed PR's merge_commit_sha is only a test merge) is
        placed on the mainline by its merge_commit_sha: the merge commit, the squash commit or
        the last rebased commit. Its first commit time is the earliest author date of the PR's
        commits (GET .../pulls/{n}/commits); without those, the earliest author date of the
        branch its merge commit brought in; without that, the PR's creation time.
      * PRs merged into another branch than the repo's main branch are not changes: the main
        branch is the base branch of most PRs whose merge commit is on the mainline (or of most
        merged PRs when the repo has no commit graph).
      * A direct commit is a mainline commit no merged PR produced (not a PR's merge commit, not
        one of a PR's commits, not a rebased copy of one: same author date and message). Its
        first commit time is its author date (for a merge commit, the earliest author date of
        what it merged).
      * A change of a repo shared by several services (a monorepo) belongs to the services
        whose `stature.dev/paths` globs match a file it changed (files of its mainline commit
        and of its PR's commits, when the data lists them); a change without file lists
        belongs to every service of the repo, one whose files match no glob to none.
-#}
with pulls as (
    select
        lower(repo) as repo_key,
        repo,
        pr_number,
        title,
        author_login,
        head_branch,
        base_branch,
        labels,
        merge_commit_sha,
        created_at,
        merged_at
    from {{ ref('stg_github__pull_requests') }}
    where merged_at is not null
),

pull_commits as (
    select
        lower(repo) as repo_key,
        pr_number,
        sha,
        authored_at,
        message,
        changed_files
    from {{ ref('stg_github__pull_commits') }}
),

pr_first_commits as (
    select
        repo_key,
        pr_number,
        min(authored_at) as first_authored_at,
        count(*) as commit_count
    from pull_commits
    group by repo_key, pr_number
),

reviews as (
    select
        lower(reviews.repo) as repo_key,
        reviews.pr_number,
        min(reviews.submitted_at) as first_review_at,
        count(*) as review_count
    from {{ ref('stg_github__pull_reviews') }} as reviews
    inner join pulls
        on lower(reviews.repo) = pulls.repo_key and reviews.pr_number = pulls.pr_number
    where
        reviews.submitted_at is not null
        and reviews.state <> 'PENDING'
        and reviews.submitted_at <= pulls.merged_at
        and coalesce(reviews.reviewer_login, '') <> coalesce(pulls.author_login, '')
    group by lower(reviews.repo), reviews.pr_number
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

pulls_placed as (
    select
        pulls.*,
        commits.mainline_position,
        commits.sha is not null as is_on_mainline
    from pulls
    left join commits
        on
            pulls.repo_key = commits.repo_key
            and pulls.merge_commit_sha = commits.sha
            and commits.is_mainline
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
    from pulls_placed
    group by repo_key, base_branch
),

pr_changes as (
    select
        'pr' as change_type,
        pulls_placed.repo_key,
        pulls_placed.repo_key || '#' || cast(pulls_placed.pr_number as varchar) as change_key,
        pulls_placed.pr_number,
        pulls_placed.merge_commit_sha as sha,
        pulls_placed.title,
        pulls_placed.author_login,
        pulls_placed.head_branch,
        pulls_placed.labels,
        coalesce(
            pr_first_commits.first_authored_at,
            merged_branches.merged_first_authored_at,
            pulls_placed.created_at
        ) as first_commit_at,
        case
            when pr_first_commits.first_authored_at is not null then 'pr_commits'
            when merged_branches.merged_first_authored_at is not null then 'merged_branch'
            else 'pr_opened'
        end as first_commit_source,
        pulls_placed.created_at as opened_at,
        reviews.first_review_at,
        pulls_placed.merged_at,
        pulls_placed.mainline_position,
        coalesce(pr_first_commits.commit_count, merged_branches.merged_commit_count) as commit_count,
        {{ stature.list_has('pulls_placed.labels', stature.sql_string(var('hotfix_label'))) }}
        or {{ stature.regex_matches('pulls_placed.head_branch', var('hotfix_branch_pattern')) }}
            as is_hotfix,
        {{ stature.regex_matches('pulls_placed.title', var('revert_title_pattern')) }} as is_revert,
        {{ stature.regex_matches('pulls_placed.title', var('rollback_title_pattern')) }}
            as is_rollback
    from pulls_placed
    inner join base_branch_votes
        on pulls_placed.repo_key = base_branch_votes.repo_key and base_branch_votes.vote_rank = 1
    left join pr_first_commits
        on
            pulls_placed.repo_key = pr_first_commits.repo_key
            and pulls_placed.pr_number = pr_first_commits.pr_number
    left join merged_branches
        on
            pulls_placed.repo_key = merged_branches.repo_key
            and pulls_placed.merge_commit_sha = merged_branches.sha
    left join reviews
        on
            pulls_placed.repo_key = reviews.repo_key
            and pulls_placed.pr_number = reviews.pr_number
    where
        pulls_placed.is_on_mainline
        or coalesce(pulls_placed.base_branch, '') = coalesce(base_branch_votes.base_branch, '')
),

pr_produced as (
    select
        repo_key,
        merge_commit_sha as sha
    from pulls
    where merge_commit_sha is not null
    union
    select
        pull_commits.repo_key,
        pull_commits.sha
    from pull_commits
    inner join pulls
        on pull_commits.repo_key = pulls.repo_key and pull_commits.pr_number = pulls.pr_number
    union
    select
        commits.repo_key,
        commits.sha
    from commits
    inner join pull_commits
        on
            commits.repo_key = pull_commits.repo_key
            and commits.authored_at = pull_commits.authored_at
            and commits.message = pull_commits.message
    inner join pulls
        on pull_commits.repo_key = pulls.repo_key and pull_commits.pr_number = pulls.pr_number
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
        cast(null as varchar) as head_branch,
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
    left join pr_produced
        on commits.repo_key = pr_produced.repo_key and commits.sha = pr_produced.sha
    left join merged_branches
        on commits.repo_key = merged_branches.repo_key and commits.sha = merged_branches.sha
    where commits.is_mainline and pr_produced.sha is null
),

changes as (
    select * from pr_changes
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

mainline_files as (
    select
        commits.repo_key,
        commits.sha,
        changed.file_path
    from {{ ref('stg_github__commits') }} as source_commits
    inner join commits
        on lower(source_commits.repo) = commits.repo_key and source_commits.sha = commits.sha
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
    inner join pull_commits
        on
            shared_changes.repo_key = pull_commits.repo_key
            and shared_changes.pr_number = pull_commits.pr_number
    {{ stature.unnest_list('pull_commits.changed_files', 'changed', 'file_path') }}
),

service_globs as (
    select
        repo_services.repo_key,
        repo_services.service_id,
        {{ stature.glob_to_regex('trim(glob_list.path_glob)') }} as path_pattern
    from repo_services
    {{ stature.unnest_list(stature.split_text('repo_services.monorepo_paths', ','), 'glob_list', 'path_glob') }}
    where repo_services.services_in_repo > 1 and trim(glob_list.path_glob) <> ''
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
    changes.is_rollback
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
