{#-
    One row per (period_grain, period_start, entity_type, entity_id): the DORA figures of a
    service, a team (the team that owned the service at each event) or the org ('org') over an
    ISO week, a calendar month or a fiscal quarter, local to var stature_timezone.
    Periods run from the entity's first period with any event to the org's last period with
    any event; a period without deployments has deployments = 0 and NULL rates.
    lead_time_coverage: of the services that deployed in the period, the share whose deployments
    brought changes with a lead time; below 1 a team's or the org's lead time covers only some
    of its services (one whose code host or commit data is missing shows here, not silently).
-#}
{{
    config(
        materialized=stature.incremental_or_table(),
        incremental_strategy='delete+insert',
        unique_key=['period_grain', 'period_start', 'entity_type', 'entity_id'],
        on_schema_change='fail',
        post_hook="{{ stature.delete_dora_periods_off_the_spine(ref('int_dora_events_periodized')) }}",
    )
}}

{%- set start_month = var('fiscal_year_start_month') -%}

with events as (
    select * from {{ ref('int_dora_events_periodized') }}
),

benchmarks as (
    select
        metric,
        tier,
        cast(tier_rank as integer) as tier_rank,
        comparison,
        cast(threshold as double) as threshold
    from {{ ref('dora_benchmarks') }}
    where cast(edition as string) = {{ stature.sql_string(var('benchmark_edition')) }}
),

placed_benchmarks as (
    {{ dora_benchmark_placement('benchmarks') }}
),

bounds as (
    select
        min(event_day) as first_day,
        max(event_day) as last_day
    from events
),

digits as (
    select 0 as digit
    union all
    select 1
    union all
    select 2
    union all
    select 3
    union all
    select 4
    union all
    select 5
    union all
    select 6
    union all
    select 7
    union all
    select 8
    union all
    select 9
),

day_numbers as (
    select
        ones.digit + 10 * tens.digit + 100 * hundreds.digit + 1000 * thousands.digit
        + 10000 * ten_thousands.digit as day_number
    from digits as ones
    cross join digits as tens
    cross join digits as hundreds
    cross join digits as thousands
    cross join digits as ten_thousands
),

calendar_days as (
    select
        cast({{ dbt.dateadd('day', 'day_numbers.day_number', 'bounds.first_day') }} as date)
            as calendar_day
    from bounds
    cross join day_numbers
    where day_numbers.day_number <= {{ dbt.datediff('bounds.first_day', 'bounds.last_day', 'day') }}
),

periods as (
    select distinct
        'week' as period_grain,
        {{ stature.period_start('week', 'calendar_day', start_month) }} as period_start
    from calendar_days
    union all
    select distinct
        'month' as period_grain,
        {{ stature.period_start('month', 'calendar_day', start_month) }} as period_start
    from calendar_days
    union all
    select distinct
        'quarter' as period_grain,
        {{ stature.period_start('quarter', 'calendar_day', start_month) }} as period_start
    from calendar_days
),

event_entities as (
    select
        events.*,
        'service' as entity_type,
        events.service_id as entity_id
    from events
    where events.service_id is not null
    union all
    select
        events.*,
        'team' as entity_type,
        events.team_id as entity_id
    from events
    where events.team_id is not null
    union all
    select
        events.*,
        'org' as entity_type,
        'org' as entity_id
    from events
),

event_periods as (
    {% for grain in ['week', 'month', 'quarter'] %}
    select
        '{{ grain }}' as period_grain,
        {{ grain }}_start as period_start,
        entity_type,
        entity_id,
        event_type,
        service_id,
        event_day,
        is_failure,
        is_rework,
        recovery_hours,
        lead_time_hours,
        linkage,
        attributed_by,
        restore_hours,
        built_at
    from event_entities
    {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

entity_first_periods as (
    select
        period_grain,
        entity_type,
        entity_id,
        min(period_start) as first_period_start
    from event_periods
    group by period_grain, entity_type, entity_id
),

spine as (
    select
        entity_first_periods.period_grain,
        periods.period_start,
        entity_first_periods.entity_type,
        entity_first_periods.entity_id
    from entity_first_periods
    inner join periods
        on
            entity_first_periods.period_grain = periods.period_grain
            and entity_first_periods.first_period_start <= periods.period_start
),

{% if is_incremental() -%}
-- Only the periods whose events changed are recomputed: a period (of an entity) holding an
-- event the latest build of int_dora_events_periodized wrote (new or changed), a period whose
-- number of events differs from the stored row's (an event left it), and a period not stored
-- yet. The post-hook deletes the stored periods that fell off the spine.
latest_build as (
    select max(built_at) as built_at from events
),

event_counts as (
    select
        event_periods.period_grain,
        event_periods.period_start,
        event_periods.entity_type,
        event_periods.entity_id,
        count(*) as event_count,
        max(case when event_periods.built_at = latest_build.built_at then 1 else 0 end) as has_new_events
    from event_periods
    cross join latest_build
    group by
        event_periods.period_grain,
        event_periods.period_start,
        event_periods.entity_type,
        event_periods.entity_id
),

recomputed_spine as (
    select spine.*
    from spine
    left join event_counts
        on
            spine.period_grain = event_counts.period_grain
            and spine.period_start = event_counts.period_start
            and spine.entity_type = event_counts.entity_type
            and spine.entity_id = event_counts.entity_id
    left join {{ this }} as stored
        on
            spine.period_grain = stored.period_grain
            and spine.period_start = stored.period_start
            and spine.entity_type = stored.entity_type
            and spine.entity_id = stored.entity_id
    where
        stored.entity_id is null
        or event_counts.has_new_events = 1
        or coalesce(event_counts.event_count, 0) != stored.deployments + stored.changes + stored.incidents
),

recomputed_events as (
    select event_periods.*
    from event_periods
    inner join recomputed_spine
        on
            event_periods.period_grain = recomputed_spine.period_grain
            and event_periods.period_start = recomputed_spine.period_start
            and event_periods.entity_type = recomputed_spine.entity_type
            and event_periods.entity_id = recomputed_spine.entity_id
),
{%- else %}
recomputed_spine as (
    select * from spine
),

recomputed_events as (
    select * from event_periods
),
{%- endif %}

aggregated as (
    select
        period_grain,
        period_start,
        entity_type,
        entity_id,
        count(case when event_type = 'deployment' then 1 end) as deployments,
        count(distinct case when event_type = 'deployment' then event_day end) as deploy_days,
        count(case when event_type = 'deployment' and is_failure then 1 end)
            as failed_deployments,
        count(case when event_type = 'deployment' and is_rework then 1 end)
            as rework_deployments,
        count(
            case when event_type = 'deployment' and is_failure and recovery_hours is not null then 1 end
        ) as recovery_sample_size,
        {{ stature.percentile("case when event_type = 'deployment' and is_failure then recovery_hours end", 0.5) }}
            as recovery_time_p50_hours,
        count(case when event_type = 'change' and lead_time_hours is not null then 1 end)
            as lead_time_sample_size,
        {{ stature.percentile("case when event_type = 'change' then lead_time_hours end", 0.5) }}
            as lead_time_p50_hours,
        {{ stature.percentile("case when event_type = 'change' then lead_time_hours end", 0.75) }}
            as lead_time_p75_hours,
        {{ stature.percentile("case when event_type = 'change' then lead_time_hours end", 0.9) }}
            as lead_time_p90_hours,
        count(case when event_type = 'change' then 1 end) as changes,
        count(case when event_type = 'change' and linkage = 'graph' then 1 end)
            as changes_linked_by_graph,
        count(case when event_type = 'change' and linkage = 'time_order' then 1 end)
            as changes_linked_by_time_order,
        count(case when event_type = 'change' and attributed_by in ('paths', 'whole_repo') then 1 end)
            as changes_in_shared_repos,
        count(case when event_type = 'change' and attributed_by = 'paths' then 1 end)
            as changes_attributed_by_paths,
        count(distinct case when event_type = 'deployment' then service_id end)
            as services_with_deployments,
        count(distinct case when event_type = 'change' then service_id end) as services_with_changes,
        count(case when event_type = 'incident' then 1 end) as incidents,
        {{ stature.percentile("case when event_type = 'incident' then restore_hours end", 0.5) }}
            as restore_time_p50_hours
    from recomputed_events
    group by period_grain, period_start, entity_type, entity_id
),

filled as (
    select
        spine.period_grain,
        spine.period_start,
        spine.entity_type,
        spine.entity_id,
        coalesce(aggregated.deployments, 0) as deployments,
        coalesce(aggregated.deploy_days, 0) as deploy_days,
        coalesce(aggregated.failed_deployments, 0) as failed_deployments,
        coalesce(aggregated.rework_deployments, 0) as rework_deployments,
        coalesce(aggregated.recovery_sample_size, 0) as recovery_sample_size,
        aggregated.recovery_time_p50_hours,
        coalesce(aggregated.lead_time_sample_size, 0) as lead_time_sample_size,
        aggregated.lead_time_p50_hours,
        aggregated.lead_time_p75_hours,
        aggregated.lead_time_p90_hours,
        coalesce(aggregated.changes, 0) as changes,
        coalesce(aggregated.changes_linked_by_graph, 0) as changes_linked_by_graph,
        coalesce(aggregated.changes_linked_by_time_order, 0) as changes_linked_by_time_order,
        coalesce(aggregated.changes_in_shared_repos, 0) as changes_in_shared_repos,
        coalesce(aggregated.changes_attributed_by_paths, 0) as changes_attributed_by_paths,
        coalesce(aggregated.services_with_deployments, 0) as services_with_deployments,
        coalesce(aggregated.services_with_changes, 0) as services_with_changes,
        coalesce(aggregated.incidents, 0) as incidents,
        aggregated.restore_time_p50_hours
    from recomputed_spine as spine
    left join aggregated
        on
            spine.period_grain = aggregated.period_grain
            and spine.period_start = aggregated.period_start
            and spine.entity_type = aggregated.entity_type
            and spine.entity_id = aggregated.entity_id
),

measured as (
    select
        filled.*,
        case filled.period_grain
            when 'week' then {{ stature.period_end_exclusive('week', 'filled.period_start') }}
            when 'month' then {{ stature.period_end_exclusive('month', 'filled.period_start') }}
            when 'quarter' then {{ stature.period_end_exclusive('quarter', 'filled.period_start') }}
        end as period_end_exclusive,
        case filled.period_grain
            when 'week' then {{ stature.period_label('week', 'filled.period_start', start_month) }}
            when 'month' then {{ stature.period_label('month', 'filled.period_start', start_month) }}
            when 'quarter' then {{ stature.period_label('quarter', 'filled.period_start', start_month) }}
        end as period_label
    from filled
),

measured_days as (
    select
        measured.*,
        {{ dbt.datediff('measured.period_start', 'measured.period_end_exclusive', 'day') }}
            as period_days
    from measured
),

rated as (
    select
        measured.*,
        cast(measured.deployments as double) / (cast(measured.period_days as double) / 7.0) as deployment_frequency,
        case
            when measured.deployments > 0
                then cast(measured.failed_deployments as double) / measured.deployments
        end as change_failure_rate,
        case
            when measured.deployments > 0
                then cast(measured.rework_deployments as double) / measured.deployments
        end as rework_rate,
        case
            when measured.changes > 0
                then cast(measured.changes_linked_by_graph as double) / measured.changes
        end as linkage_coverage,
        case
            when measured.changes_in_shared_repos > 0
                then cast(measured.changes_attributed_by_paths as double) / measured.changes_in_shared_repos
        end as path_coverage,
        case
            when measured.services_with_deployments > 0
                then cast(measured.services_with_changes as double) / measured.services_with_deployments
        end as lead_time_coverage
    from measured_days as measured
),

metric_values as (
    select
        period_grain,
        period_start,
        entity_type,
        entity_id,
        'deployment_frequency' as metric,
        deployment_frequency as metric_value
    from rated
    union all
    select
        period_grain,
        period_start,
        entity_type,
        entity_id,
        'lead_time' as metric,
        lead_time_p50_hours as metric_value
    from rated
    union all
    select
        period_grain,
        period_start,
        entity_type,
        entity_id,
        'change_failure_rate' as metric,
        change_failure_rate as metric_value
    from rated
    union all
    select
        period_grain,
        period_start,
        entity_type,
        entity_id,
        'recovery_time' as metric,
        recovery_time_p50_hours as metric_value
    from rated
    union all
    select
        period_grain,
        period_start,
        entity_type,
        entity_id,
        'rework_rate' as metric,
        rework_rate as metric_value
    from rated
),

graded as (
    select
        metric_values.period_grain,
        metric_values.period_start,
        metric_values.entity_type,
        metric_values.entity_id,
        metric_values.metric,
        min(benchmarks.placement_rank) as placement_rank
    from metric_values
    inner join placed_benchmarks as benchmarks
        on metric_values.metric = benchmarks.metric
    where
        metric_values.metric_value is not null
        and benchmarks.placement_rank is not null
        and (
            benchmarks.threshold is null
            or (benchmarks.comparison = '>' and metric_values.metric_value > benchmarks.threshold)
            or (benchmarks.comparison = '>=' and metric_values.metric_value >= benchmarks.threshold)
            or (benchmarks.comparison = '<' and metric_values.metric_value < benchmarks.threshold)
            or (benchmarks.comparison = '<=' and metric_values.metric_value <= benchmarks.threshold)
        )
    group by
        metric_values.period_grain,
        metric_values.period_start,
        metric_values.entity_type,
        metric_values.entity_id,
        metric_values.metric
),

tiers as (
    select
        graded.period_grain,
        graded.period_start,
        graded.entity_type,
        graded.entity_id,
        max(case when graded.metric = 'deployment_frequency' then benchmarks.tier end)
            as deployment_frequency_tier,
        max(case when graded.metric = 'lead_time' then benchmarks.tier end) as lead_time_tier,
        max(case when graded.metric = 'change_failure_rate' then benchmarks.tier end)
            as change_failure_rate_tier,
        max(case when graded.metric = 'recovery_time' then benchmarks.tier end)
            as recovery_time_tier,
        max(case when graded.metric = 'rework_rate' then benchmarks.tier end) as rework_rate_tier
    from graded
    inner join placed_benchmarks as benchmarks
        on graded.metric = benchmarks.metric and graded.placement_rank = benchmarks.placement_rank
    group by graded.period_grain, graded.period_start, graded.entity_type, graded.entity_id
)

select
    rated.period_grain,
    rated.period_start,
    cast({{ dbt.dateadd('day', -1, 'rated.period_end_exclusive') }} as date) as period_end,
    rated.period_label,
    rated.entity_type,
    rated.entity_id,
    rated.deployments,
    rated.deploy_days,
    rated.deployment_frequency,
    rated.lead_time_sample_size,
    rated.lead_time_p50_hours,
    rated.lead_time_p75_hours,
    rated.lead_time_p90_hours,
    rated.failed_deployments,
    rated.change_failure_rate,
    rated.recovery_sample_size,
    rated.recovery_time_p50_hours,
    rated.rework_deployments,
    rated.rework_rate,
    rated.incidents,
    rated.restore_time_p50_hours,
    rated.changes,
    rated.changes_linked_by_graph,
    rated.changes_linked_by_time_order,
    rated.linkage_coverage,
    rated.changes_in_shared_repos,
    rated.changes_attributed_by_paths,
    rated.path_coverage,
    rated.services_with_deployments,
    rated.services_with_changes,
    rated.lead_time_coverage,
    tiers.deployment_frequency_tier,
    tiers.lead_time_tier,
    tiers.change_failure_rate_tier,
    tiers.recovery_time_tier,
    tiers.rework_rate_tier,
    {{ stature.sql_string(var('benchmark_edition')) }} as benchmark_edition
from rated
left join tiers
    on
        rated.period_grain = tiers.period_grain
        and rated.period_start = tiers.period_start
        and rated.entity_type = tiers.entity_type
        and rated.entity_id = tiers.entity_id
