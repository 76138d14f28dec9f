-- One row per change (a merged pull request or merge request, or a direct commit) and service.
-- Incremental: only new or changed rows are written (macros/incremental.sql).
{{
    config(
        materialized=stature.incremental_or_table(),
        incremental_strategy='delete+insert',
        unique_key=['change_id', 'service_id'],
        on_schema_change='fail',
        post_hook="{{ stature.delete_gone_rows(['change_id', 'service_id'], ref('int_changes_linked')) }}",
    )
}}

with changes as (
    select
        *,
        {{ stature.to_local_date('merged_at', var('stature_timezone')) }} as merged_day
    from {{ ref('int_changes_linked') }}
),

owners as (
    select * from {{ ref('int_service_teams_historized') }}
),

computed as (
    select
        changes.change_id,
        changes.service_id,
        coalesce(changes.deployment_team_id, owners.team_id) as team_id,
        changes.change_type,
        changes.repo_name as repo,
        changes.repo_host,
        changes.pr_number,
        changes.sha,
        changes.title,
        changes.author_login,
        changes.commit_count,
        changes.first_commit_at,
        changes.first_commit_source,
        changes.opened_at,
        changes.first_review_at,
        changes.merged_at,
        changes.deployment_id,
        changes.deployed_at,
        changes.deploy_day,
        changes.linkage,
        changes.attributed_by,
        changes.lead_time_hours,
        changes.coding_hours,
        changes.pickup_hours,
        changes.review_hours,
        changes.deploy_hours,
        changes.is_hotfix,
        changes.is_revert,
        changes.is_rollback
    from changes
    left join owners
        on
            changes.deployment_team_id is null
            and changes.service_id = owners.service_id
            and changes.merged_day >= owners.valid_from
            and (owners.valid_to is null or changes.merged_day < owners.valid_to)
)

{{ stature.changed_rows('computed', ['change_id', 'service_id']) }}
