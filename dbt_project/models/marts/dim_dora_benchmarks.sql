{#- The benchmark tiers marts.dora_metrics grades with: the rows of seed dora_benchmarks for
    var benchmark_edition, with how a single value is placed among them (placement_rank: the
    order bands are tested, best value first; NULL for a cluster that printed the same band as
    a better one, named in shares_band_with). See macros/dora_benchmarks.sql. -#}
with benchmarks as (
    select
        cast(edition as string) as benchmark_edition,
        cast(metric as string) as metric,
        cast(tier as string) as tier,
        cast(tier_rank as integer) as tier_rank,
        cast(comparison as string) as comparison,
        cast(threshold as double) as threshold,
        cast(unit as string) as unit,
        cast(published_band as string) as published_band
    from {{ ref('dora_benchmarks') }}
    where cast(edition as string) = {{ stature.sql_string(var('benchmark_edition')) }}
),

placed as (
    {{ dora_benchmark_placement('benchmarks') }}
)

select
    benchmark_edition,
    metric,
    tier,
    tier_rank,
    comparison,
    threshold,
    unit,
    published_band,
    cast(placement_rank as integer) as placement_rank,
    shares_band_with
from placed
