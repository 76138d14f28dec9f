/*---
id: review_turnaround
title: Pull requests are reviewed and merged within a day
scorecard: balanced_scorecard
owner: engineering-managers
entity: team
perspective: Engineering Excellence
objective: Fast, steady flow
direction: lower_is_better
indicator: leading
target: 24.0
yellow_band: 0.25
unit: "hours (p50)"
rollout: enforced
remediation: https://wiki.example.com/scorecard/review-turnaround
description: >
  Median time from opening to merging of the pull requests that got a review (pickup +
  review hours, marts.fct_changes), in the quarter they merged. The value of the latest
  fiscal quarter that ended on or before as_of, from marts.bsc_measures;
  scorecards.balanced_scorecard grades every quarter against the target in effect for it.
---*/
select
    entity_id as team_id,
    value,
    period || ': ' || round(value, 2) || ' hours (p50)' as note
from marts.bsc_measures
where
    measure_id = 'review_turnaround'
    and entity_type = 'team'
    and period_end = (
        select max(period_end)
        from marts.bsc_measures
        where measure_id = 'review_turnaround' and period_end <= getvariable('as_of')
    )
