-- One row per production deployment: a successful attempt whose environment (or Actions
-- workflow name) matches the production patterns, attributed to one catalog service, with the
-- team that owned the service on the local deploy day.
--   * GitHub deployment / Actions run -> the service(s) whose github.com/project-slug is the
--     repo; in a repo shared by several services, the service whose id appears in the
--     deployment's payload.service / environment / task / description (Actions: workflow name
--     or path); the longest id wins when several appear; none -> not attributed.
--   * GitLab deployment -> gitlab.com/project-slug; Jenkins build -> jenkins.io/job-full-name.
--   * An Actions run that created a GitHub deployment of the same service and sha while it ran
--     is the same deployment: the GitHub deployment is kept, the run is dropped.
with attempts as (
    select * from {{ ref('int_deployments_unioned') }}
    where is_success and is_production and deployed_at is not null
),

repo_services as (
    select * from {{ ref('int_repo_services_mapped') }}
),

components as (
    select
        service_id,
        lower(gitlab_project) as gitlab_project_key,
        jenkins_job
    from {{ ref('stg_catalog__components') }}
),

github_candidates as (
    select
        attempts.deployment_id,
        repo_services.service_id,
        repo_services.services_in_repo,
        row_number() over (
            partition by attempts.deployment_id
            order by length(repo_services.service_id) desc, repo_services.service_id
        ) as match_rank
    from attempts
    inner join repo_services
        on attempts.repo_key = repo_services.repo_key
    where
        repo_services.services_in_repo = 1
        or position(lower(repo_services.service_id) in lower(attempts.service_hint)) > 0
),

github_attributed as (
    select
        deployment_id,
        service_id
    from github_candidates
    where match_rank = 1
),

other_attributed as (
    select
        attempts.deployment_id,
        components.service_id
    from attempts
    inner join components
        on
            (attempts.source = 'gitlab_deployment' and lower(attempts.source_key) = components.gitlab_project_key)
            or (attempts.source = 'jenkins' and attempts.source_key = components.jenkins_job)
),

attributed as (
    select
        attempts.*,
        coalesce(github_attributed.service_id, other_attributed.service_id) as service_id
    from attempts
    left join github_attributed
        on attempts.deployment_id = github_attributed.deployment_id
    left join other_attributed
        on attempts.deployment_id = other_attributed.deployment_id
    where coalesce(github_attributed.service_id, other_attributed.service_id) is not null
),

duplicate_runs as (
    select distinct runs.deployment_id
    from attributed as runs
    inner join attributed as deployments
        on
            runs.service_id = deployments.service_id
            and runs.sha = deployments.sha
            and deployments.source = 'github_deployment'
            and runs.started_at <= deployments.started_at
            and runs.deployed_at >= deployments.started_at
    where runs.source = 'github_actions'
),

deduplicated as (
    select attributed.*
    from attributed
    left join duplicate_runs
        on attributed.deployment_id = duplicate_runs.deployment_id
    where duplicate_runs.deployment_id is null
),

localized as (
    select
        deduplicated.*,
        {{ stature.to_local_date('deduplicated.deployed_at', var('stature_timezone')) }} as deploy_day
    from deduplicated
),

owners as (
    select * from {{ ref('int_service_teams_historized') }}
)

select
    localized.deployment_id,
    localized.service_id,
    owners.team_id,
    localized.source,
    localized.source_key,
    localized.repo_key,
    localized.source_deployment_id,
    localized.environment,
    localized.sha,
    localized.ref,
    localized.title,
    localized.started_at,
    localized.deployed_at,
    localized.deploy_day
from localized
left join owners
    on
        localized.service_id = owners.service_id
        and localized.deploy_day >= owners.valid_from
        and (owners.valid_to is null or localized.deploy_day < owners.valid_to)
