-- One row per change and service with the first production deployment of that service that
-- contains it, and its lead time and parts.
--   * linkage 'graph' (the change and at least one deployment of the service sit on the
--     mainline): the first deployment in time whose mainline position reaches the change's.
--     That is always an advancing deployment, and advancing positions grow with time, so it is
--     the advancing deployment with the smallest position >= the change's: a sort, not a
--     range join. A rollback (older sha) contains nothing new.
--   * linkage 'time_order' (otherwise): the first deployment of the service at or after the
--     change was merged.
--   * Changes merged more than `history_horizon_days` before the service's first production
--     deployment are history, not changes, and are left out (tracking a service mid-life must
--     not invent year-long lead times).
--   * Durations are epoch-second differences / 3600.0; a PR's (or MR's) parts are clamped at zero
--     when its events are out of order (e.g. it was opened before its first commit).
--   * Changes and deployments meet by service, whatever host keeps the code and whatever system
--     deploys it: positions come from the service's code repository (int_deployments_positioned).
with changes as (
    select * from {{ ref('int_changes_identified') }}
),

deployments as (
    select * from {{ ref('int_deployments_positioned') }}
),

service_deployments as (
    select
        service_id,
        min(deployed_at) as first_deployed_at,
        max(case when mainline_position is not null then 1 else 0 end) = 1 as has_positioned
    from deployments
    group by service_id
),

changes_scoped as (
    select
        changes.*,
        coalesce(
            changes.mainline_position is not null and service_deployments.has_positioned, false
        ) as use_graph
    from changes
    left join service_deployments
        on changes.service_id = service_deployments.service_id
    where
        service_deployments.first_deployed_at is null
        or changes.merged_at
        >= {{ stature.add_hours('service_deployments.first_deployed_at', '-24 * ' ~ var('history_horizon_days')) }}
),

graph_events as (
    select
        service_id,
        mainline_position as sort_position,
        0 as event_order,
        change_id,
        cast(null as string) as deployment_id
    from changes_scoped
    where use_graph
    union all
    select
        service_id,
        mainline_position as sort_position,
        1 as event_order,
        cast(null as string) as change_id,
        deployment_id
    from deployments
    where is_advancing
),

graph_linked as (
    select
        change_id,
        service_id,
        deployment_id
    from (
        select
            service_id,
            change_id,
            {{ stature.first_value_ignore_nulls('deployment_id') }} over (
                partition by service_id
                order by sort_position, event_order
                rows between current row and unbounded following
            ) as deployment_id
        from graph_events
    ) as ordered
    where change_id is not null
),

time_events as (
    select
        service_id,
        {{ stature.epoch_seconds('merged_at') }} as sort_time,
        0 as event_order,
        change_id,
        cast(null as string) as deployment_id,
        cast(null as bigint) as deployment_number
    from changes_scoped
    where not use_graph
    union all
    select
        service_id,
        {{ stature.epoch_seconds('deployed_at') }} as sort_time,
        1 as event_order,
        cast(null as string) as change_id,
        deployment_id,
        deployment_number
    from deployments
),

time_linked as (
    select
        change_id,
        service_id,
        deployment_id
    from (
        select
            service_id,
            change_id,
            {{ stature.first_value_ignore_nulls('deployment_id') }} over (
                partition by service_id
                order by sort_time, event_order, deployment_number
                rows between current row and unbounded following
            ) as deployment_id
        from time_events
    ) as ordered
    where change_id is not null
),

linked as (
    select
        change_id,
        service_id,
        deployment_id,
        'graph' as linkage
    from graph_linked
    union all
    select
        change_id,
        service_id,
        deployment_id,
        'time_order' as linkage
    from time_linked
),

joined as (
    select
        changes_scoped.*,
        linked.deployment_id,
        case when linked.deployment_id is not null then linked.linkage end as linkage,
        deployments.deployed_at,
        deployments.deploy_day,
        deployments.team_id as deployment_team_id
    from changes_scoped
    inner join linked
        on changes_scoped.change_id = linked.change_id
    left join deployments
        on linked.deployment_id = deployments.deployment_id
)

select
    change_id,
    service_id,
    change_type,
    repo_key,
    repo_host,
    repo_name,
    pr_number,
    sha,
    title,
    author_login,
    head_branch,
    labels,
    first_commit_at,
    first_commit_source,
    opened_at,
    first_review_at,
    merged_at,
    mainline_position,
    commit_count,
    is_hotfix,
    is_revert,
    is_rollback,
    attributed_by,
    deployment_id,
    deployed_at,
    deploy_day,
    deployment_team_id,
    linkage,
    {{ stature.hours_between('first_commit_at', 'deployed_at') }} as lead_time_hours,
    case when change_type = 'pr' then
            {{ stature.clamp_at_zero(stature.hours_between('first_commit_at', 'opened_at')) }}
    end as coding_hours,
    case when change_type = 'pr' then
            {{ stature.clamp_at_zero(stature.hours_between('opened_at', 'first_review_at')) }}
    end as pickup_hours,
    case when change_type = 'pr' then
            {{ stature.clamp_at_zero(stature.hours_between('first_review_at', 'merged_at')) }}
    end as review_hours,
    case when change_type = 'pr' then
            {{ stature.clamp_at_zero(stature.hours_between('merged_at', 'deployed_at')) }}
    end as deploy_hours
from joined
