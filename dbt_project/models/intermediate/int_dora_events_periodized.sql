-- One row per DORA event, placed in its reporting periods (var stature_timezone for the local
-- day; ISO weeks from Monday; fiscal quarters from var fiscal_year_start_month):
--   * 'deployment': a production deployment, in the period of its deployed_at; carries its
--     failure (recovery counts in the failed deployment's period) and rework flags.
--   * 'change': a deployed change, in the period in which it was first deployed.
--   * 'incident': an incident, in the period it was created.
-- team_id is the team that owned the service at the event (fct_*.team_id).
-- event_key identifies an event; built_at is when this build wrote the row: the model is
-- incremental (macros/incremental.sql), so an event that did not change keeps the built_at of
-- the build that last changed it, and dora_metrics recomputes only the periods of the events
-- the latest build wrote. The post-hook deletes the events that are gone (same keys as below).
{{
    config(
        materialized=stature.incremental_or_table(),
        incremental_strategy='delete+insert',
        unique_key=['event_key'],
        on_schema_change='fail',
        post_hook="""{% if model.config.materialized == 'incremental' %}
            delete from {{ this }} where event_key not in (
                select 'deployment:' || deployment_id || ':' || coalesce(service_id, '')
                from {{ ref('fct_deployments') }}
                union all
                select 'change:' || change_id || ':' || coalesce(service_id, '')
                from {{ ref('fct_changes') }}
                where deployed_at is not null
                union all
                select 'incident:' || incident_id || ':' || coalesce(service_id, '')
                from {{ ref('fct_incidents') }}
            ){% endif %}""",
    )
}}

with deployments as (
    select
        'deployment' as event_type,
        deployment_id as event_id,
        service_id,
        team_id,
        deployed_at as event_at,
        is_failure,
        is_rework,
        recovery_hours,
        cast(null as double) as lead_time_hours,
        cast(null as string) as linkage,
        cast(null as string) as attributed_by,
        cast(null as double) as restore_hours
    from {{ ref('fct_deployments') }}
),

changes as (
    select
        'change' as event_type,
        change_id as event_id,
        service_id,
        team_id,
        deployed_at as event_at,
        cast(null as boolean) as is_failure,
        cast(null as boolean) as is_rework,
        cast(null as double) as recovery_hours,
        lead_time_hours,
        linkage,
        attributed_by,
        cast(null as double) as restore_hours
    from {{ ref('fct_changes') }}
    where deployed_at is not null
),

incidents as (
    select
        'incident' as event_type,
        incident_id as event_id,
        service_id,
        team_id,
        created_at as event_at,
        cast(null as boolean) as is_failure,
        cast(null as boolean) as is_rework,
        cast(null as double) as recovery_hours,
        cast(null as double) as lead_time_hours,
        cast(null as string) as linkage,
        cast(null as string) as attributed_by,
        restore_hours
    from {{ ref('fct_incidents') }}
),

events as (
    select * from deployments
    union all
    select * from changes
    union all
    select * from incidents
),

localized as (
    select
        *,
        {{ stature.to_local_date('event_at', var('stature_timezone')) }} as event_day
    from events
),

computed as (
    select
        event_type || ':' || event_id || ':' || coalesce(service_id, '') as event_key,
        event_type,
        event_id,
        service_id,
        team_id,
        event_at,
        event_day,
        {{ stature.week_start('event_day') }} as week_start,
        {{ stature.month_start('event_day') }} as month_start,
        {{ stature.fiscal_quarter_start('event_day', var('fiscal_year_start_month')) }} as quarter_start,
        {{ stature.fiscal_quarter_label('event_day', var('fiscal_year_start_month')) }} as quarter_label,
        is_failure,
        is_rework,
        recovery_hours,
        lead_time_hours,
        linkage,
        attributed_by,
        restore_hours,
        {{ stature.build_started_at() }} as built_at
    from localized
)

{{ stature.changed_rows('computed', ['event_key'], ignore=['built_at']) }}
