-- One row per incident with the production deployment it is attributed to, if any:
--   * 'named': the incident's title or description names a deployment of its service: a sha
--     (7 to 40 hex characters, a prefix of the deployed sha) or the source's deployment id;
--     the latest such deployment at or before the incident wins.
--   * 'window': otherwise the service's latest deployment at or before the incident's creation
--     (so the incident came before the next deployment), if the incident was created within
--     `attribution_window_hours` (var) of it, inclusive.
-- Incidents without a service are never attributed.
with incidents as (
    select
        *,
        {{ stature.to_local_date('created_at', var('stature_timezone')) }} as created_day
    from {{ ref('int_incidents_unioned') }}
),

deployments as (
    select
        deployment_id,
        service_id,
        source_deployment_id,
        sha,
        deployed_at,
        deployment_number
    from {{ ref('int_deployments_positioned') }}
),

mentions as (
    select distinct
        incidents.incident_id,
        incidents.service_id,
        incidents.created_at,
        token.mention
    from incidents
    {{ stature.unnest_list(
        stature.regex_extract_all(
            "lower(coalesce(incidents.title, '') || ' ' || coalesce(incidents.description, ''))",
            '\\b[0-9a-f]{7,40}\\b|\\b[0-9]{3,}\\b'
        ),
        'token',
        'mention'
    ) }}
    where incidents.service_id is not null
),

named_matches as (
    select
        mentions.incident_id,
        deployments.deployment_id,
        row_number() over (
            partition by mentions.incident_id
            order by deployments.deployed_at desc, deployments.deployment_id desc
        ) as match_rank
    from mentions
    inner join deployments
        on
            mentions.service_id = deployments.service_id
            and (
                (
                    length(mentions.mention) >= 7
                    and left(lower(deployments.sha), 7) = left(mentions.mention, 7)
                    and left(lower(deployments.sha), length(mentions.mention)) = mentions.mention
                )
                or mentions.mention = deployments.source_deployment_id
            )
    where deployments.deployed_at <= mentions.created_at
),

named as (
    select
        incident_id,
        deployment_id
    from named_matches
    where match_rank = 1
),

timeline as (
    select
        service_id,
        {{ stature.epoch_seconds('deployed_at') }} as sort_time,
        0 as event_order,
        deployment_number,
        deployment_id,
        cast(null as string) as incident_id
    from deployments
    union all
    select
        service_id,
        {{ stature.epoch_seconds('created_at') }} as sort_time,
        1 as event_order,
        cast(null as bigint) as deployment_number,
        cast(null as string) as deployment_id,
        incident_id
    from incidents
    where service_id is not null
),

preceding as (
    select
        incident_id,
        deployment_id
    from (
        select
            incident_id,
            {{ stature.last_value_ignore_nulls('deployment_id') }} over (
                partition by service_id
                order by sort_time, event_order, deployment_number
                rows between unbounded preceding and current row
            ) as deployment_id
        from timeline
    ) as ordered
    where incident_id is not null and deployment_id is not null
),

windowed as (
    select
        preceding.incident_id,
        preceding.deployment_id
    from preceding
    inner join incidents
        on preceding.incident_id = incidents.incident_id
    inner join deployments
        on preceding.deployment_id = deployments.deployment_id
    where
        incidents.created_at
        <= {{ stature.add_hours('deployments.deployed_at', var('attribution_window_hours')) }}
)

select
    incidents.incident_id,
    incidents.service_id,
    incidents.source,
    incidents.source_incident_id,
    incidents.title,
    incidents.severity,
    incidents.status,
    incidents.created_at,
    incidents.created_day,
    incidents.resolved_at,
    incidents.url,
    {{ stature.hours_between('incidents.created_at', 'incidents.resolved_at') }} as restore_hours,
    coalesce(named.deployment_id, windowed.deployment_id) as deployment_id,
    case
        when named.deployment_id is not null then 'named'
        when windowed.deployment_id is not null then 'window'
    end as attribution_method
from incidents
left join named
    on incidents.incident_id = named.incident_id
left join windowed
    on incidents.incident_id = windowed.incident_id
