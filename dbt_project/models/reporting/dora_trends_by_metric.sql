{#-
    reporting.dora_trends one metric per row, with the metric's DORA group (throughput:
    deployment frequency, change lead time, failed deployment recovery time; instability:
    change failure rate, deployment rework rate), title and unit from marts.dim_dora_metrics.
    Each row carries the same metric of the period right before (previous_*), for a
    comparison of the last closed period with the one before it.
-#}
with trends as (
    select * from {{ ref('dora_trend_rows') }}
),

metrics as (
    select
        metric,
        title,
        metric_group,
        unit,
        better,
        display_order
    from {{ ref('dim_dora_metrics') }}
),

metric_values as (
    select
        trends.*,
        'deployment_frequency' as metric,
        trends.deployment_frequency as metric_value,
        trends.deployment_frequency_tier as metric_tier,
        trends.deployments as sample_size
    from trends
    union all
    select
        trends.*,
        'lead_time' as metric,
        trends.lead_time_p50_hours as metric_value,
        trends.lead_time_tier as metric_tier,
        trends.lead_time_sample_size as sample_size
    from trends
    union all
    select
        trends.*,
        'recovery_time' as metric,
        trends.recovery_time_p50_hours as metric_value,
        trends.recovery_time_tier as metric_tier,
        trends.recovery_sample_size as sample_size
    from trends
    union all
    select
        trends.*,
        'change_failure_rate' as metric,
        trends.change_failure_rate as metric_value,
        trends.change_failure_rate_tier as metric_tier,
        trends.deployments as sample_size
    from trends
    union all
    select
        trends.*,
        'rework_rate' as metric,
        trends.rework_rate as metric_value,
        trends.rework_rate_tier as metric_tier,
        trends.deployments as sample_size
    from trends
),

joined as (
    select
        metric_values.period_grain,
        metric_values.period_start,
        metric_values.period_end,
        metric_values.period_label,
        metric_values.is_closed,
        metric_values.elapsed_days,
        metric_values.period_days,
        metric_values.entity_type,
        metric_values.entity_id,
        metric_values.entity_name,
        metric_values.team_id,
        metric_values.metric,
        metrics.metric_group,
        metrics.title,
        metrics.unit,
        metrics.better,
        metrics.display_order,
        metric_values.metric_value as value,
        metric_values.metric_tier as tier,
        metric_values.sample_size,
        metric_values.benchmark_edition,
        metric_values.as_of
    from metric_values
    inner join metrics on metric_values.metric = metrics.metric
),

-- The same metric of the same entity in the period right before (none when that period
-- has no row): what a summary card compares the last closed period with.
with_previous as (
    select
        joined.*,
        lag(joined.period_end) over periods as previous_period_end,
        lag(joined.period_label) over periods as previous_label,
        lag(joined.value) over periods as previous_metric_value,
        lag(joined.tier) over periods as previous_metric_tier
    from joined
    window periods as (
        partition by joined.period_grain, joined.entity_type, joined.entity_id, joined.metric
        order by joined.period_start
    )
)

select
    period_grain,
    period_start,
    period_end,
    period_label,
    is_closed,
    elapsed_days,
    period_days,
    entity_type,
    entity_id,
    entity_name,
    team_id,
    metric,
    metric_group,
    title,
    unit,
    better,
    display_order,
    value,
    tier,
    sample_size,
    benchmark_edition,
    as_of,
    case
        when {{ dbt.dateadd('day', 1, 'previous_period_end') }} = period_start then previous_label
    end as previous_period_label,
    case
        when {{ dbt.dateadd('day', 1, 'previous_period_end') }} = period_start
            then previous_metric_value
    end as previous_value,
    case
        when {{ dbt.dateadd('day', 1, 'previous_period_end') }} = period_start
            then previous_metric_tier
    end as previous_tier
from with_previous
