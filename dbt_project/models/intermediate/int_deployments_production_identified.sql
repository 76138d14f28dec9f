-- One row per production deployment: a successful attempt whose environment (or Actions
-- workflow / GitLab pipeline name) matches the production patterns, attributed to one catalog
-- service, with the team that owned the service on the local deploy day.
--   * Every source maps through int_source_keys_mapped: a GitHub deployment or Actions run by
--     its repo (github.com/project-slug), a GitLab deployment or pipeline by its project
--     (gitlab.com/project-slug, path or id), a Jenkins build by its job
--     (jenkins.io/job-full-name). Where several services share the key (a monorepo, a shared
--     job), the service whose id appears in the attempt's hint (GitHub: payload.service /
--     environment / task / description; Actions: workflow name or path; GitLab: environment and
--     job, or pipeline name; Jenkins: the job) wins, the longest id first; none -> not
--     attributed (marts.unmapped_entities counts them).
--   * A service that names its own deployments in the catalog (stg_catalog__service_deploy_targets:
--     `stature.dev/deploy-environment`, `stature.dev/deploy-workflow`) gets the successful
--     attempts of its repository or project to that environment (GitHub, GitLab deployments) or
--     of a matching workflow (Actions run's workflow path or name, GitLab pipeline name). They
--     are its production deployments whatever the production patterns say, and this match wins
--     over the hint.
--   * An Actions run that created a GitHub deployment of the same service and sha while it ran
--     is the same deployment: the GitHub deployment is kept, the run is dropped. Likewise a
--     GitLab pipeline during which a GitLab deployment of the same service and sha was created.
with successful as (
    select * from {{ ref('int_deployments_unioned') }}
    where is_success and deployed_at is not null
),

source_keys as (
    select * from {{ ref('int_source_keys_mapped') }}
    where source in ('github', 'gitlab', 'jenkins')
),

deploy_targets as (
    select * from {{ ref('stg_catalog__service_deploy_targets') }}
),

targeted as (
    select
        successful.deployment_id,
        source_keys.service_id,
        0 as match_priority
    from successful
    inner join source_keys
        on
            successful.match_source = source_keys.source
            and successful.match_key = source_keys.match_key
    inner join deploy_targets
        on source_keys.service_id = deploy_targets.service_id
    where
        (
            successful.source in ('github_deployment', 'gitlab_deployment')
            and lower(successful.environment) = lower(deploy_targets.deploy_environment)
        )
        or (
            successful.source in ('github_actions', 'gitlab_pipeline')
            and (
                {{ stature.regex_matches_expression(
                    'successful.workflow_path', 'deploy_targets.deploy_workflow_pattern'
                ) }}
                or {{ stature.regex_matches_expression(
                    'successful.environment', 'deploy_targets.deploy_workflow_pattern'
                ) }}
            )
        )
),

hinted as (
    select
        successful.deployment_id,
        source_keys.service_id,
        1 as match_priority
    from successful
    inner join source_keys
        on
            successful.match_source = source_keys.source
            and successful.match_key = source_keys.match_key
    where
        successful.is_production
        and (
            source_keys.services_for_key = 1
            or position(lower(source_keys.service_id) in lower(successful.service_hint)) > 0
        )
),

candidates as (
    select
        deployment_id,
        service_id,
        row_number() over (
            partition by deployment_id
            order by match_priority asc, length(service_id) desc, service_id asc
        ) as match_rank
    from (
        select * from targeted
        union all
        select * from hinted
    ) as matches
),

attributed as (
    select
        successful.*,
        candidates.service_id
    from successful
    inner join candidates
        on successful.deployment_id = candidates.deployment_id and candidates.match_rank = 1
),

duplicate_runs as (
    select distinct runs.deployment_id
    from attributed as runs
    inner join attributed as deployments
        on
            runs.service_id = deployments.service_id
            and runs.sha = deployments.sha
            and (
                (runs.source = 'github_actions' and deployments.source = 'github_deployment')
                or (runs.source = 'gitlab_pipeline' and deployments.source = 'gitlab_deployment')
            )
            and runs.started_at <= deployments.started_at
            and runs.deployed_at >= deployments.started_at
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
