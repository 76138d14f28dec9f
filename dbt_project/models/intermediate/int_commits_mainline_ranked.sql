{#-
    The mainline of every code repository (GitHub or GitLab, int_commits_unioned): the
    first-parent chain from the repository's head (the newest commit no other commit names as a
    parent), numbered from the oldest (position 0) to the head.

    Linear-time by pointer jumping instead of a recursive walk: jump level k holds, for every
    commit, its 2^k-th first-parent ancestor (level k+1 = level k applied twice), then the
    mainline is expanded from the head with levels K-1 .. 0 (each level doubles the set of
    offsets reached). Work is O(commits x levels) with levels = log2(longest chain), and no
    recursive SQL (which neither dbt unit tests nor every engine support). Commits are numbered
    first so the jumps join on one integer instead of (repo, sha).
-#}
{%- set levels = var('commit_graph_levels', 20) | int -%}
{#- The steps up to reached_0 read each other level by level (macros/staged_steps.sql). -#}
{%- set steps = [] -%}

{%- set step -%}
select
    row_number() over (order by repo_key, sha) as commit_id,
    repo_key,
    sha,
    first_parent_sha,
    parent_shas,
    author_login,
    author_name,
    message,
    authored_at,
    committed_at
from {{ ref('int_commits_unioned') }}
{%- endset -%}
{%- do steps.append(['commits', step]) -%}

{%- set step -%}
select
    commits.repo_key,
    edge.parent_sha
from commits
{{ stature.unnest_list('commits.parent_shas', 'edge', 'parent_sha') }}
{%- endset -%}
{%- do steps.append(['parent_edges', step]) -%}

{%- set step -%}
select distinct
    repo_key,
    parent_sha
from parent_edges
{%- endset -%}
{%- do steps.append(['parents', step]) -%}

{%- set step -%}
select
    commits.commit_id,
    row_number() over (
        partition by commits.repo_key
        order by commits.committed_at desc, commits.sha asc
    ) as head_rank
from commits
left join parents as children
    on commits.repo_key = children.repo_key and commits.sha = children.parent_sha
where children.parent_sha is null
{%- endset -%}
{%- do steps.append(['heads_ranked', step]) -%}

{%- set step -%}
select
    child.commit_id,
    parent.commit_id as ancestor_id
from commits as child
inner join commits as parent
    on child.repo_key = parent.repo_key and child.first_parent_sha = parent.sha
{%- endset -%}
{%- do steps.append(['jump_0', step]) -%}

{%- for k in range(1, levels) -%}
{%- set step -%}
select
    near.commit_id,
    far.ancestor_id
from jump_{{ k - 1 }} as near
inner join jump_{{ k - 1 }} as far
    on near.ancestor_id = far.commit_id
{%- endset -%}
{%- do steps.append(['jump_' ~ k, step]) -%}
{%- endfor -%}

{%- set step -%}
select
    commit_id,
    cast(0 as bigint) as head_offset
from heads_ranked
where head_rank = 1
{%- endset -%}
{%- do steps.append(['reached_' ~ levels, step]) -%}

{%- for k in range(levels - 1, -1, -1) -%}
{%- set step -%}
select
    commit_id,
    head_offset
from reached_{{ k + 1 }}
union all
select
    jump.ancestor_id as commit_id,
    reached.head_offset + {{ 2 ** k }} as head_offset
from reached_{{ k + 1 }} as reached
inner join jump_{{ k }} as jump
    on reached.commit_id = jump.commit_id
{%- endset -%}
{%- do steps.append(['reached_' ~ k, step]) -%}
{%- endfor %}

with {{ stature.staged_ctes(steps) }}
mainline as (
    select
        commits.commit_id,
        max(reached_0.head_offset) over (partition by commits.repo_key) - reached_0.head_offset
            as mainline_position
    from reached_0
    inner join commits
        on reached_0.commit_id = commits.commit_id
)

select
    commits.repo_key,
    commits.sha,
    commits.first_parent_sha,
    commits.parent_shas,
    {{ stature.list_size('commits.parent_shas') }} as parent_count,
    commits.author_login,
    commits.author_name,
    commits.message,
    commits.authored_at,
    commits.committed_at,
    mainline.mainline_position,
    mainline.commit_id is not null as is_mainline
from commits
left join mainline
    on commits.commit_id = mainline.commit_id
