-- One row per incident (PagerDuty incident, GitHub issue labelled as an incident, Opsgenie alert).
-- Incremental: only new or changed rows are written (macros/incremental.sql).
{{
    config(
        materialized=stature.incremental_or_table(),
        incremental_strategy='delete+insert',
        unique_key=['incident_id'],
        on_schema_change='fail',
        post_hook="{{ stature.delete_gone_rows(['incident_id'], ref('int_incidents_attributed')) }}",
    )
}}

with incidents as (
    select * from {{ ref('int_incidents_attributed') }}
),

owners as (
    select * from {{ ref('int_service_teams_historized') }}
),

computed as (
    select
        incidents.incident_id,
        incidents.service_id,
        owners.team_id,
        incidents.source,
        incidents.source_incident_id,
        incidents.title,
        incidents.severity,
        incidents.status,
        incidents.created_at,
        incidents.created_day,
        incidents.resolved_at,
        incidents.restore_hours,
        incidents.deployment_id,
        incidents.attribution_method,
        incidents.url
    from incidents
    left join owners
        on
            incidents.service_id = owners.service_id
            and incidents.created_day >= owners.valid_from
            and (owners.valid_to is null or incidents.created_day < owners.valid_to)
)

{{ stature.changed_rows('computed', ['incident_id']) }}
