{#-
    One row per mainline merge commit (two or more parents): what it brought in from its side
    branch(es). The commits merged are those reached from its non-first parents by following
    first parents until the mainline; their earliest author date is the change's first commit
    when no pull request describes it.

    Pointer jumping again (linear in commits x log2(branch length)): level k holds, for each
    off-mainline commit, its 2^k-th first-parent ancestor that is still off the mainline plus
    the earliest author date and the commit count on the way. Branches deeper than
    2^(levels - 1) commits (512 by default) are cut there.
-#}
{%- set levels = var('branch_walk_levels', 10) | int -%}
{#- The steps up to the last walk level read each other level by level
    (macros/staged_steps.sql). -#}
{%- set steps = [] -%}

{%- set step -%}
select
    repo_key,
    sha,
    first_parent_sha,
    authored_at
from {{ ref('int_commits_mainline_ranked') }}
where not is_mainline
{%- endset -%}
{%- do steps.append(['off_mainline', step]) -%}

{%- set step -%}
select
    child.repo_key,
    child.sha,
    parent.sha as ancestor_sha,
    child.authored_at as first_authored_at,
    cast(1 as bigint) as commit_count
from off_mainline as child
left join off_mainline as parent
    on child.repo_key = parent.repo_key and child.first_parent_sha = parent.sha
{%- endset -%}
{%- do steps.append(['walk_0', step]) -%}

{%- for k in range(1, levels) -%}
{%- set step -%}
select
    near.repo_key,
    near.sha,
    far.ancestor_sha,
    case
        when far.sha is null then near.first_authored_at
        when far.first_authored_at < near.first_authored_at then far.first_authored_at
        else near.first_authored_at
    end as first_authored_at,
    near.commit_count + coalesce(far.commit_count, 0) as commit_count
from walk_{{ k - 1 }} as near
left join walk_{{ k - 1 }} as far
    on near.repo_key = far.repo_key and near.ancestor_sha = far.sha
{%- endset -%}
{%- do steps.append(['walk_' ~ k, step]) -%}
{%- endfor %}

with commits as (
    select * from {{ ref('int_commits_mainline_ranked') }}
),

{{ stature.staged_ctes(steps) }}
merge_parents as (
    select
        commits.repo_key,
        commits.sha,
        side.parent_sha
    from commits
    {{ stature.unnest_list('commits.parent_shas', 'side', 'parent_sha') }}
    where
        commits.is_mainline
        and commits.parent_count > 1
        and side.parent_sha <> commits.first_parent_sha
)

select
    merge_parents.repo_key,
    merge_parents.sha,
    min(walked.first_authored_at) as merged_first_authored_at,
    cast(sum(walked.commit_count) as bigint) as merged_commit_count
from merge_parents
inner join walk_{{ levels - 1 }} as walked
    on merge_parents.repo_key = walked.repo_key and merge_parents.parent_sha = walked.sha
group by merge_parents.repo_key, merge_parents.sha
