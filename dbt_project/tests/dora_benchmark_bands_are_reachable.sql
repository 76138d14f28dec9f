{#-
    Every edition's benchmark seed places each printed band once: no two placed rows of a
    metric share a threshold (one of them could never be reached), and a cluster left out
    because a better one takes its thresholds printed the same band in the report's words
    (else its thresholds were entered wrong). Rows returned are the offending seed rows.
-#}
with benchmarks as (
    select
        cast(edition as string) as edition,
        cast(metric as string) as metric,
        cast(tier as string) as tier,
        cast(tier_rank as integer) as tier_rank,
        cast(comparison as string) as comparison,
        cast(threshold as double) as threshold,
        cast(published_band as string) as published_band
    from {{ ref('dora_benchmarks') }}
),

placed as (
    {{ dora_benchmark_placement('benchmarks', within=['edition', 'metric']) }}
),

same_threshold as (
    select
        edition,
        metric,
        tier,
        'placed with the threshold of another placed band' as problem
    from placed
    where placement_rank is not null and threshold is not null
    qualify count(*) over (partition by edition, metric, threshold) > 1
),

other_words as (
    select
        shared.edition,
        shared.metric,
        shared.tier,
        'shares the thresholds of ' || owner.tier || ' but prints another band' as problem
    from placed as shared
    inner join placed as owner
        on
            shared.edition = owner.edition
            and shared.metric = owner.metric
            and shared.shares_band_with = owner.tier
    where shared.published_band <> owner.published_band
)

select * from same_threshold
union all
select * from other_words
