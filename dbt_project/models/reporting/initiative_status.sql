{#-
    One row per initiative (scorecards.initiative_status): its latest counts, pace,
    projection and status (met, on_track, at_risk, missed, no_pace, not_started).
-#}
select
    initiative_id,
    title,
    owner,
    description,
    entity,
    applies_to,
    scorecard,
    level,
    rules,
    start_date,
    deadline,
    target,
    pace_days,
    as_of,
    covered,
    passing,
    exempt,
    failing,
    pass_share,
    pace_from,
    pace_from_share,
    pace_per_day,
    projected_share,
    projected_date,
    days_left,
    status,
    status in ('at_risk', 'missed') as is_at_risk
from {{ ref('scorecards_initiative_status') }}
