-- One row per production deployment, placed on its service's mainline and in its service's
-- deployment sequence (by deployed_at, then deployment_id).
--   * mainline_position: the position of the deployed sha on the mainline of the service's code
--     repository (int_repo_services_mapped: its GitHub repo, else its GitLab project), whatever
--     system deployed it (NULL when the sha is not a mainline commit or the repository has no
--     commit graph).
--   * A deployment "advances" when its position is beyond every earlier deployment's: it
--     contains the positions (previous maximum, its position]. The first deployment contains
--     everything up to its position (within the history horizon, see int_changes_linked).
--   * A rollback ships an older sha: its position is below an earlier deployment's; without a
--     position, its sha differs from the previous deployment's and was deployed before; or its
--     title matches the rollback pattern.
with deployments as (
    select * from {{ ref('int_deployments_production_identified') }}
),

service_repos as (
    select
        service_id,
        repo_key
    from {{ ref('int_repo_services_mapped') }}
),

commits as (
    select
        repo_key,
        sha,
        mainline_position
    from {{ ref('int_commits_mainline_ranked') }}
    where is_mainline
),

placed as (
    select
        deployments.*,
        commits.mainline_position
    from deployments
    left join service_repos
        on deployments.service_id = service_repos.service_id
    left join commits
        on service_repos.repo_key = commits.repo_key and deployments.sha = commits.sha
),

sequenced as (
    select
        placed.*,
        -- bigint on every engine (Spark's row_number is int)
        cast(row_number() over (
            partition by placed.service_id order by placed.deployed_at, placed.deployment_id
        ) as bigint) as deployment_number,
        lag(placed.deployment_id) over (
            partition by placed.service_id order by placed.deployed_at, placed.deployment_id
        ) as previous_deployment_id,
        lead(placed.deployment_id) over (
            partition by placed.service_id order by placed.deployed_at, placed.deployment_id
        ) as next_deployment_id,
        lag(placed.sha) over (
            partition by placed.service_id order by placed.deployed_at, placed.deployment_id
        ) as previous_sha,
        max(placed.mainline_position) over (
            partition by placed.service_id order by placed.deployed_at, placed.deployment_id
            rows between unbounded preceding and 1 preceding
        ) as previous_max_position,
        min(placed.deployed_at) over (partition by placed.service_id, placed.sha) as sha_first_deployed_at,
        min(placed.deployed_at) over (partition by placed.service_id) as service_first_deployed_at
    from placed
)

select
    deployment_id,
    service_id,
    team_id,
    source,
    source_key,
    source_deployment_id,
    environment,
    sha,
    ref,
    title,
    started_at,
    deployed_at,
    deploy_day,
    deployment_number,
    deployment_number = 1 as is_first_deployment,
    service_first_deployed_at,
    previous_deployment_id,
    next_deployment_id,
    mainline_position,
    previous_max_position,
    mainline_position is not null
    and (previous_max_position is null or mainline_position > previous_max_position)
        as is_advancing,
    case
        when mainline_position is not null and previous_max_position is not null
            then mainline_position < previous_max_position
        when mainline_position is null
            then coalesce(sha <> previous_sha and sha_first_deployed_at < deployed_at, false)
        else false
    end as is_rollback_by_sha,
    {{ stature.regex_matches('title', var('rollback_title_pattern')) }} as is_rollback_by_title
from sequenced
