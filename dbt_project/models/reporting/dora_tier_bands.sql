{#-
    The value range of each DORA performance tier of the benchmark edition in force
    (marts.dim_dora_benchmarks), for charts that draw tiers as bands. Bands are tested in
    placement order (best value first), so a tier's band starts where the bands placed before
    it end: for a higher-is-better metric a tier spans [its threshold, the lowest threshold
    placed before it), for a lower-is-better one (the highest threshold placed before it, its
    threshold]. A NULL bound is open (0 below, no limit above); a cluster that printed the
    same band as a better one is not placed and has no row. Rework rate has no published
    tiers.
-#}
with benchmarks as (
    select
        benchmark_edition,
        metric,
        tier,
        tier_rank,
        placement_rank,
        threshold,
        unit,
        published_band
    from {{ ref('dim_dora_benchmarks') }}
    where placement_rank is not null
),

metrics as (
    select
        metric,
        title,
        metric_group,
        better
    from {{ ref('dim_dora_metrics') }}
),

edges as (
    select
        benchmarks.*,
        metrics.title,
        metrics.metric_group,
        metrics.better,
        min(benchmarks.threshold) over (
            partition by benchmarks.metric order by benchmarks.placement_rank
            rows between unbounded preceding and 1 preceding
        ) as lowest_better_threshold,
        max(benchmarks.threshold) over (
            partition by benchmarks.metric order by benchmarks.placement_rank
            rows between unbounded preceding and 1 preceding
        ) as highest_better_threshold
    from benchmarks
    inner join metrics on benchmarks.metric = metrics.metric
),

bands as (
    select
        benchmark_edition,
        metric,
        title,
        metric_group,
        better,
        tier,
        tier_rank,
        case
            when better = 'higher' then threshold
            else highest_better_threshold
        end as lower_bound,
        case
            when better = 'higher' then lowest_better_threshold
            else threshold
        end as upper_bound,
        unit,
        published_band
    from edges
)

select
    benchmark_edition,
    metric,
    title,
    metric_group,
    better,
    tier,
    tier_rank,
    lower_bound,
    upper_bound,
    unit,
    published_band
from bands
where lower_bound is null or upper_bound is null or lower_bound < upper_bound
