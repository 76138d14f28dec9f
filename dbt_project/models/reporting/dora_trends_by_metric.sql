{#-
    reporting.dora_trends one metric per row, with the metric's DORA group (throughput:
    deployment frequency, change lead time, failed deployment recovery time; instability:
    change failure rate, deployment rework rate), title and unit from marts.dim_dora_metrics.
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
)

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
