-- One row per production deployment with its rework, failure and recovery facts.
--   * Rework (a deployment made to fix a production problem): a rollback (int_deployments_
--     positioned, or it ships a change titled like the rollback pattern), or it first deploys
--     a hotfix change (label / head branch) or a revert change (title / commit message).
--   * Failure (failure_reasons, a list in this order): an incident is attributed to it
--     ('incident'); the next deployment of the
--     service is a rollback ('rollback'); the next deployment ships a hotfix or a revert within
--     `attribution_window_hours` ('hotfix', 'revert'). Only the deployment right before the
--     fix fails: one fix never fails several deployments, and a deployment counts once however
--     many reasons it has.
--   * Recovery: with attributed incidents, the latest resolution among them (NULL while one is
--     open); otherwise the next deployment of the service that is not itself failed.
with deployments as (
    select * from {{ ref('int_deployments_positioned') }}
),

changes as (
    select
        deployment_id,
        max(case when is_hotfix then 1 else 0 end) = 1 as ships_hotfix,
        max(case when is_revert then 1 else 0 end) = 1 as ships_revert,
        max(case when is_rollback then 1 else 0 end) = 1 as ships_rollback_change,
        count(*) as change_count
    from {{ ref('int_changes_linked') }}
    where deployment_id is not null
    group by deployment_id
),

incidents as (
    select
        deployment_id,
        count(*) as incident_count,
        max(resolved_at) as last_resolved_at,
        sum(case when resolved_at is null then 1 else 0 end) as open_incident_count
    from {{ ref('int_incidents_attributed') }}
    where deployment_id is not null
    group by deployment_id
),

reworked as (
    select
        deployments.*,
        coalesce(changes.change_count, 0) as change_count,
        coalesce(changes.ships_hotfix, false) as ships_hotfix,
        coalesce(changes.ships_revert, false) as ships_revert,
        deployments.is_rollback_by_sha
        or deployments.is_rollback_by_title
        or coalesce(changes.ships_rollback_change, false) as is_rollback,
        coalesce(incidents.incident_count, 0) as incident_count,
        incidents.last_resolved_at,
        coalesce(incidents.open_incident_count, 0) as open_incident_count
    from deployments
    left join changes
        on deployments.deployment_id = changes.deployment_id
    left join incidents
        on deployments.deployment_id = incidents.deployment_id
),

with_next as (
    select
        current_deployment.*,
        next_deployment.deployed_at as next_deployed_at,
        coalesce(next_deployment.is_rollback, false) as next_is_rollback,
        coalesce(next_deployment.ships_hotfix, false)
        and next_deployment.deployed_at
        <= {{ stature.add_hours('current_deployment.deployed_at', var('attribution_window_hours')) }}
            as next_hotfix_in_window,
        coalesce(next_deployment.ships_revert, false)
        and next_deployment.deployed_at
        <= {{ stature.add_hours('current_deployment.deployed_at', var('attribution_window_hours')) }}
            as next_revert_in_window
    from reworked as current_deployment
    left join reworked as next_deployment
        on current_deployment.next_deployment_id = next_deployment.deployment_id
),

failed as (
    select
        *,
        incident_count > 0 as failed_by_incident,
        next_is_rollback as failed_by_rollback,
        coalesce(next_hotfix_in_window, false) as failed_by_hotfix,
        coalesce(next_revert_in_window, false) as failed_by_revert,
        incident_count > 0
        or next_is_rollback
        or coalesce(next_hotfix_in_window, false)
        or coalesce(next_revert_in_window, false) as is_failure
    from with_next
),

recovery as (
    select
        *,
        min(case when not is_failure then deployed_at end) over (
            partition by service_id
            order by deployed_at, deployment_id
            rows between 1 following and unbounded following
        ) as next_good_deployed_at,
        concat_ws(
            ',',
            case when failed_by_incident then 'incident' end,
            case when failed_by_rollback then 'rollback' end,
            case when failed_by_hotfix then 'hotfix' end,
            case when failed_by_revert then 'revert' end
        ) as failure_reason_text
    from failed
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
    is_first_deployment,
    previous_deployment_id,
    next_deployment_id,
    mainline_position,
    change_count,
    is_rollback,
    ships_hotfix,
    ships_revert,
    is_rollback or ships_hotfix or ships_revert as is_rework,
    nullif(concat_ws(
        ',',
        case when is_rollback then 'rollback' end,
        case when ships_hotfix then 'hotfix' end,
        case when ships_revert then 'revert' end
    ), '') as rework_reason,
    incident_count,
    is_failure,
    failed_by_incident,
    failed_by_rollback,
    failed_by_hotfix,
    failed_by_revert,
    case
        when is_failure then {{ stature.split_text('failure_reason_text', ',') }}
        else {{ stature.empty_text_list() }}
    end as failure_reasons,
    case
        when not is_failure then null
        when failed_by_incident and open_incident_count = 0 then last_resolved_at
        when failed_by_incident then null
        else next_good_deployed_at
    end as recovered_at
from recovery
