{#- The benchmark tiers marts.dora_metrics grades with: the rows of seed dora_benchmarks for
    var benchmark_edition. -#}
select
    cast(edition as varchar) as benchmark_edition,
    cast(metric as varchar) as metric,
    cast(tier as varchar) as tier,
    cast(tier_rank as integer) as tier_rank,
    cast(comparison as varchar) as comparison,
    cast(threshold as double) as threshold,
    cast(unit as varchar) as unit,
    cast(published_band as varchar) as published_band
from {{ ref('dora_benchmarks') }}
where cast(edition as varchar) = {{ stature.sql_string(var('benchmark_edition')) }}
