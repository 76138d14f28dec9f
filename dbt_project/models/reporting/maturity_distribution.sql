{#-
    How many entities sit at each level of the maturity ladder (var maturity_ladder, every
    level listed, 0 where none) and how many are unrated (level NULL: no enforced, levelled
    rule applies to them), per fiscal quarter and entity type. A quarter is closed once
    its snapshot was taken as of its last day; an open one carries the days elapsed up to its
    snapshot's as_of.
-#}
with snapshots as (
    select
        quarter,
        quarter_start,
        quarter_end,
        entity_type,
        entity_id,
        level,
        as_of
    from {{ source('scorecards', 'maturity_snapshots') }}
),

quarters as (
    select
        quarter,
        quarter_start,
        quarter_end,
        entity_type,
        count(*) as total_entities,
        max(as_of) as as_of
    from snapshots
    group by quarter, quarter_start, quarter_end, entity_type
),

counts as (
    select
        quarter,
        entity_type,
        level,
        count(*) as entities
    from snapshots
    group by quarter, entity_type, level
),

ladder as (
    {{ stature.maturity_ladder_rows() }}
    -- unrated entities (level NULL) get a row of their own, so the shares add up to 1
    union all
    select
        cast(null as integer) as level,
        'Unrated' as level_name
)

select
    quarters.quarter,
    quarters.quarter_start,
    quarters.as_of,
    quarters.as_of >= quarters.quarter_end as is_closed,
    quarters.entity_type,
    ladder.level,
    ladder.level_name,
    coalesce(counts.entities, 0) as entities,
    quarters.total_entities,
    cast(coalesce(counts.entities, 0) as double) / quarters.total_entities as share,
    quarters.quarter_end,
    {{ stature.day_count('quarters.quarter_start', 'quarters.quarter_end') }} as period_days,
    least(
        {{ stature.day_count('quarters.quarter_start', 'quarters.quarter_end') }},
        {{ stature.day_count('quarters.quarter_start', 'quarters.as_of') }}
    ) as elapsed_days
from quarters
cross join ladder
left join counts
    on
        quarters.quarter = counts.quarter
        and quarters.entity_type = counts.entity_type
        and ladder.level is not distinct from counts.level
