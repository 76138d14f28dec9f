{#- Each entity's maturity level against the quarter before: up, down, same or new (kept by
    the maturity stage in scorecards.maturity_movements), with the quarter's state: closed
    once its snapshot was taken as of its last day, else the days elapsed up to the
    snapshot's as_of. -#}
with movements as (
    select * from {{ source('scorecards', 'maturity_movements') }}
),

quarters as (
    select
        quarter,
        max(quarter_end) as quarter_end,
        max(as_of) as as_of
    from {{ source('scorecards', 'maturity_snapshots') }}
    group by quarter
)

select
    movements.quarter,
    movements.quarter_start,
    movements.previous_quarter,
    movements.entity_type,
    movements.entity_id,
    movements.team_id,
    movements.level_from,
    movements.level_name_from,
    movements.level_to,
    movements.level_name_to,
    movements.level_change,
    movements.movement,
    movements.is_closed,
    quarters.quarter_end,
    quarters.as_of,
    {{ stature.day_count('movements.quarter_start', 'quarters.quarter_end') }} as period_days,
    least(
        {{ stature.day_count('movements.quarter_start', 'quarters.quarter_end') }},
        {{ stature.day_count('movements.quarter_start', 'quarters.as_of') }}
    ) as elapsed_days
from movements
left join quarters on movements.quarter = quarters.quarter
