/*---
id: lead_time
title: Changes reach production within three days
scorecard: balanced_scorecard
owner: platform-team
entity: team
perspective: Engineering Excellence
objective: Fast, steady flow
direction: lower_is_better
indicator: leading
target: 72.0
yellow_band: 0.25
unit: "hours (p50)"
rollout: enforced
remediation: https://wiki.example.com/scorecard/lead-time
description: >
  Median lead time for changes (first commit to production) over the quarter
  (marts.dora_metrics). The value of the latest fiscal quarter that ended on or before
  as_of, from marts.bsc_measures; scorecards.balanced_scorecard grades every quarter
  against the target in effect for it.
---*/
select
    entity_id as team_id,
    value,
    period || ': ' || round(value, 2) || ' hours (p50)' as note
from marts.bsc_measures
where
    measure_id = 'lead_time'
    and entity_type = 'team'
    and period_end = (
        select max(period_end)
        from marts.bsc_measures
        where measure_id = 'lead_time' and period_end <= getvariable('as_of')
    )
