-- One row per catalog Component that says which of its repository's deployments are its own,
-- for repositories several services share (a monorepo):
--   * deploy_environment (`stature.dev/deploy-environment`, e.g. `prod-payments`): deployments
--     (GitHub, GitLab) to an environment of that name, compared without regard to case;
--   * deploy_workflow (`stature.dev/deploy-workflow`, e.g. `.github/workflows/payments-*.yml`):
--     GitHub Actions runs (GitLab pipelines) whose workflow path or name matches that glob.
with components as (
    select
        name as service_id,
        {{ stature.json_annotation('payload', 'stature.dev/deploy-environment') }}
            as deploy_environment,
        {{ stature.json_annotation('payload', 'stature.dev/deploy-workflow') }} as deploy_workflow
    from {{ source('catalog', 'entities') }}
    where lower(kind) = 'component'
)

select
    service_id,
    deploy_environment,
    deploy_workflow,
    case
        when deploy_workflow is not null then {{ stature.glob_to_regex('deploy_workflow') }}
    end as deploy_workflow_pattern
from components
where deploy_environment is not null or deploy_workflow is not null
