-- One row per deployment attempt of any source, before any filtering: GitHub deployments
-- (with their first `success` status), GitHub Actions runs, GitLab deployments, GitLab
-- pipelines and Jenkins builds. `is_success` and `is_production` say whether it is a production
-- deployment under the configured patterns (vars), so an excluded attempt can still be
-- explained. A pipeline is judged like an Actions run: its name (`workflow:name`) must match the
-- deploy and the production patterns. `match_source` and `match_key` are what the catalog maps
-- it by (int_source_keys_mapped): the GitHub repo, the GitLab project, the Jenkins job.
-- `workflow_path` is the Actions workflow file (the GitLab pipeline name) a service's
-- `stature.dev/deploy-workflow` glob is matched against.
with github_statuses as (
    select
        repo,
        deployment_id,
        min(case when state = 'success' then created_at end) as succeeded_at,
        max(created_at) as last_status_at
    from {{ ref('stg_github__deployment_statuses') }}
    group by repo, deployment_id
),

github_last_status as (
    select
        statuses.repo,
        statuses.deployment_id,
        statuses.state
    from {{ ref('stg_github__deployment_statuses') }} as statuses
    inner join github_statuses
        on
            statuses.repo = github_statuses.repo
            and statuses.deployment_id = github_statuses.deployment_id
            and statuses.created_at = github_statuses.last_status_at
),

github_last_state as (
    select
        repo,
        deployment_id,
        max(state) as last_state
    from github_last_status
    group by repo, deployment_id
),

github_deployments as (
    select
        'github:' || deployments.repo || ':' || cast(deployments.deployment_id as string)
            as deployment_id,
        'github_deployment' as source,
        deployments.repo as source_key,
        'github' as match_source,
        lower(deployments.repo) as match_key,
        cast(deployments.deployment_id as string) as source_deployment_id,
        deployments.environment,
        cast(null as string) as workflow_path,
        deployments.sha,
        deployments.ref,
        deployments.description as title,
        coalesce(deployments.payload_service, '') || ' ' || coalesce(deployments.environment, '')
        || ' ' || coalesce(deployments.task, '') || ' ' || coalesce(deployments.description, '')
            as service_hint,
        deployments.created_at as started_at,
        github_statuses.succeeded_at as deployed_at,
        coalesce(github_last_state.last_state, 'pending') as final_state,
        github_statuses.succeeded_at is not null as is_success,
        {{ stature.regex_matches('deployments.environment', var('production_environment_pattern')) }}
            as is_production
    from {{ ref('stg_github__deployments') }} as deployments
    left join github_statuses
        on
            deployments.repo = github_statuses.repo
            and deployments.deployment_id = github_statuses.deployment_id
    left join github_last_state
        on
            deployments.repo = github_last_state.repo
            and deployments.deployment_id = github_last_state.deployment_id
),

actions_runs as (
    select
        'actions:' || repo || ':' || cast(run_id as string) as deployment_id,
        'github_actions' as source,
        repo as source_key,
        'github' as match_source,
        lower(repo) as match_key,
        cast(run_id as string) as source_deployment_id,
        coalesce(workflow_name, workflow_path) as environment,
        workflow_path,
        head_sha as sha,
        head_branch as ref,
        display_title as title,
        coalesce(workflow_name, '') || ' ' || coalesce(workflow_path, '') as service_hint,
        created_at as started_at,
        updated_at as deployed_at,
        coalesce(conclusion, status) as final_state,
        coalesce(conclusion = 'success', false) as is_success,
        {{ stature.regex_matches('coalesce(workflow_name, workflow_path)', var('deploy_workflow_pattern')) }}
        and {{ stature.regex_matches('coalesce(workflow_name, workflow_path)', var('production_workflow_pattern')) }}
            as is_production
    from {{ ref('stg_github__workflow_runs') }}
),

gitlab_deployments as (
    select
        'gitlab:' || project || ':' || cast(deployment_id as string) as deployment_id,
        'gitlab_deployment' as source,
        project as source_key,
        'gitlab' as match_source,
        lower(project) as match_key,
        cast(deployment_id as string) as source_deployment_id,
        environment,
        cast(null as string) as workflow_path,
        sha,
        ref,
        job_name as title,
        coalesce(environment, '') || ' ' || coalesce(job_name, '') as service_hint,
        created_at as started_at,
        coalesce(finished_at, updated_at) as deployed_at,
        status as final_state,
        coalesce(status = 'success', false) as is_success,
        {{ stature.regex_matches('environment', var('production_environment_pattern')) }}
            as is_production
    from {{ ref('stg_gitlab__deployments') }}
),

gitlab_pipelines as (
    select
        'pipeline:' || project || ':' || cast(pipeline_id as string) as deployment_id,
        'gitlab_pipeline' as source,
        project as source_key,
        'gitlab' as match_source,
        lower(project) as match_key,
        cast(pipeline_id as string) as source_deployment_id,
        pipeline_name as environment,
        pipeline_name as workflow_path,
        sha,
        ref,
        pipeline_name as title,
        coalesce(pipeline_name, '') as service_hint,
        coalesce(started_at, created_at) as started_at,
        coalesce(finished_at, updated_at) as deployed_at,
        status as final_state,
        coalesce(status = 'success', false) as is_success,
        {{ stature.regex_matches('pipeline_name', var('deploy_workflow_pattern')) }}
        and {{ stature.regex_matches('pipeline_name', var('production_workflow_pattern')) }}
            as is_production
    from {{ ref('stg_gitlab__pipelines') }}
),

jenkins_builds as (
    select
        'jenkins:' || job || ':' || cast(build_number as string) as deployment_id,
        'jenkins' as source,
        job as source_key,
        'jenkins' as match_source,
        job as match_key,
        cast(build_number as string) as source_deployment_id,
        coalesce(environment, 'production') as environment,
        cast(null as string) as workflow_path,
        sha,
        cast(null as string) as ref,
        display_name as title,
        job as service_hint,
        started_at,
        finished_at as deployed_at,
        coalesce(result, 'BUILDING') as final_state,
        coalesce(result = 'SUCCESS', false) as is_success,
        -- The catalog names a service's deploy job; a build without an environment
        -- parameter deploys to production.
        environment is null
        or {{ stature.regex_matches('environment', var('production_environment_pattern')) }}
            as is_production
    from {{ ref('stg_jenkins__builds') }}
)

select * from github_deployments
union all
select * from actions_runs
union all
select * from gitlab_deployments
union all
select * from gitlab_pipelines
union all
select * from jenkins_builds
