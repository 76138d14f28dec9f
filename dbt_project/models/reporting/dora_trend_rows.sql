{{ config(materialized='ephemeral') }}
{#-
    marts.dora_metrics by month and fiscal quarter with names, the team that owned each
    service at the period's end, and the period's state as of the run (var as_of). A closed
    period's figures are the mart's. An open period's deployment frequency is per elapsed week
    (deployments so far / (elapsed days / 7)), graded again with the same benchmarks; its other
    figures (medians and ratios of what happened so far) need no such correction.
-#}
with dora as (
    select *
    from {{ ref('dora_metrics') }}
    where period_grain in ('month', 'quarter')
),

periods as (
    select
        period_grain,
        period_start,
        period_days,
        is_closed,
        elapsed_days,
        as_of
    from {{ ref('periods_as_of') }}
    where period_grain in ('month', 'quarter')
),

ownership as (
    select
        service_id,
        team_id,
        valid_from,
        valid_to
    from {{ ref('dim_service_teams') }}
),

benchmarks as (
    select
        tier,
        tier_rank,
        comparison,
        threshold
    from {{ ref('dim_dora_benchmarks') }}
    where metric = 'deployment_frequency'
),

placed as (
    select
        dora.*,
        periods.period_days as calendar_days,
        periods.is_closed,
        periods.elapsed_days,
        periods.as_of,
        case
            when periods.is_closed then dora.deployment_frequency
            when periods.elapsed_days > 0
                then cast(dora.deployments as double) / (cast(periods.elapsed_days as double) / 7.0)
        end as frequency_to_date
    from dora
    inner join periods
        on
            dora.period_grain = periods.period_grain
            and dora.period_start = periods.period_start
),

open_ranks as (
    select
        placed.period_grain,
        placed.period_start,
        placed.entity_type,
        placed.entity_id,
        min(benchmarks.tier_rank) as tier_rank
    from placed
    inner join benchmarks
        on
            benchmarks.threshold is null
            or (benchmarks.comparison = '>' and placed.frequency_to_date > benchmarks.threshold)
            or (benchmarks.comparison = '>=' and placed.frequency_to_date >= benchmarks.threshold)
            or (benchmarks.comparison = '<' and placed.frequency_to_date < benchmarks.threshold)
            or (benchmarks.comparison = '<=' and placed.frequency_to_date <= benchmarks.threshold)
    where not placed.is_closed and placed.frequency_to_date is not null
    group by placed.period_grain, placed.period_start, placed.entity_type, placed.entity_id
),

open_tiers as (
    select
        open_ranks.period_grain,
        open_ranks.period_start,
        open_ranks.entity_type,
        open_ranks.entity_id,
        benchmarks.tier
    from open_ranks
    inner join benchmarks on open_ranks.tier_rank = benchmarks.tier_rank
)

select
    placed.period_grain,
    placed.period_start,
    placed.period_end,
    placed.period_label,
    placed.entity_type,
    placed.entity_id,
    coalesce(
        teams.name,
        services.name,
        case when placed.entity_type = 'org' then {{ stature.sql_string(var('org_name')) }} end,
        placed.entity_id
    ) as entity_name,
    case placed.entity_type
        when 'team' then placed.entity_id
        when 'service' then ownership.team_id
    end as team_id,
    placed.deployments,
    placed.deploy_days,
    placed.frequency_to_date as deployment_frequency,
    placed.lead_time_sample_size,
    placed.lead_time_p50_hours,
    placed.lead_time_p75_hours,
    placed.lead_time_p90_hours,
    placed.failed_deployments,
    placed.change_failure_rate,
    placed.recovery_sample_size,
    placed.recovery_time_p50_hours,
    placed.rework_deployments,
    placed.rework_rate,
    placed.incidents,
    placed.restore_time_p50_hours,
    placed.linkage_coverage,
    case
        when placed.is_closed then placed.deployment_frequency_tier
        else open_tiers.tier
    end as deployment_frequency_tier,
    placed.lead_time_tier,
    placed.change_failure_rate_tier,
    placed.recovery_time_tier,
    placed.rework_rate_tier,
    placed.benchmark_edition,
    placed.is_closed,
    placed.elapsed_days,
    placed.calendar_days as period_days,
    placed.as_of
from placed
left join open_tiers
    on
        placed.period_grain = open_tiers.period_grain
        and placed.period_start = open_tiers.period_start
        and placed.entity_type = open_tiers.entity_type
        and placed.entity_id = open_tiers.entity_id
left join {{ ref('dim_teams') }} as teams
    on placed.entity_type = 'team' and placed.entity_id = teams.team_id
left join {{ ref('dim_services') }} as services
    on placed.entity_type = 'service' and placed.entity_id = services.service_id
left join ownership
    on
        placed.entity_type = 'service'
        and placed.entity_id = ownership.service_id
        and placed.period_end >= ownership.valid_from
        and (ownership.valid_to is null or placed.period_end < ownership.valid_to)
