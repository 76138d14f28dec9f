-- One row per production deployment.
-- Incremental: only new or changed rows are written (macros/incremental.sql).
{{
    config(
        materialized=stature.incremental_or_table(),
        incremental_strategy='delete+insert',
        unique_key=['deployment_id'],
        on_schema_change='fail',
        post_hook="{{ stature.delete_gone_rows(['deployment_id'], ref('int_deployments_classified')) }}",
    )
}}

with computed as (
    select
        deployment_id,
        service_id,
        team_id,
        environment,
        deployed_at,
        deploy_day,
        sha,
        ref,
        source,
        source_deployment_id,
        title,
        deployment_number,
        is_first_deployment,
        previous_deployment_id,
        next_deployment_id,
        mainline_position,
        change_count,
        is_failure,
        failure_reasons,
        failed_by_incident,
        failed_by_rollback,
        failed_by_hotfix,
        failed_by_revert,
        incident_count,
        is_rework,
        rework_reason,
        is_rollback,
        recovered_at,
        {{ stature.hours_between('deployed_at', 'recovered_at') }} as recovery_hours
    from {{ ref('int_deployments_classified') }}
)

{{ stature.changed_rows('computed', ['deployment_id']) }}
