{#-
    How one metric's value is placed among a benchmark edition's tiers, as SQL over
    `benchmarks` (a CTE with metric, tier, tier_rank, comparison, threshold): the rows plus
    placement_rank and shares_band_with, placed within each `within` group (one edition's
    metric).

    DORA's tiers are clusters of teams over all four metrics at once, and an edition may print
    one metric's bands out of the clusters' order (2024: medium's change failure rate 10%,
    high's 20%) or print the same band for several clusters (2024's recovery time: high and
    medium both "less than one day"; 2021's change failure rate: high, medium and low all
    16-30%). A single value is placed by the metric's own order: the bands are tested best
    value first (placement_rank 1 is tested first), so a 2024 change failure rate of 8% is
    medium and 15% is high. Where clusters print the same band, the best-ranked of them takes
    it and the others have no placement_rank (shares_band_with names the one that does). The
    row without a threshold (low) takes every value beyond the printed bands and is tested
    last. So every placed band is reached by some value.
-#}
{% macro dora_benchmark_placement(benchmarks, within=['metric']) %}
    select
        keyed.*,
        case when keyed.threshold is not null and keyed.band_owner <> keyed.tier then keyed.band_owner end
            as shares_band_with,
        case
            when keyed.threshold is null or keyed.band_owner = keyed.tier
                then
                    row_number() over (
                        partition by
                            {% for column in within %}keyed.{{ column }}, {% endfor %}
                            keyed.threshold is null or keyed.band_owner = keyed.tier
                        order by keyed.value_key asc nulls last, keyed.tier_rank asc
                    )
        end as placement_rank
    from (
        select
            {{ benchmarks }}.*,
            -- ascending value_key: better values first, whichever way the metric improves
            case
                when {{ benchmarks }}.comparison in ('<', '<=') then {{ benchmarks }}.threshold
                when {{ benchmarks }}.comparison in ('>', '>=') then -{{ benchmarks }}.threshold
            end as value_key,
            first_value({{ benchmarks }}.tier) over (
                partition by
                    {% for column in within %}{{ benchmarks }}.{{ column }}, {% endfor %}
                    {{ benchmarks }}.comparison, {{ benchmarks }}.threshold
                order by {{ benchmarks }}.tier_rank
            ) as band_owner
        from {{ benchmarks }}
    ) as keyed
{% endmacro %}
