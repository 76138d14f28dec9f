/*---
id: recovery_time
title: Failed deployments recover within hours
scorecard: balanced_scorecard
owner: sre-team
entity: team
perspective: Customer Outcomes
objective: Reliable service
direction: lower_is_better
indicator: lagging
target: 6.0
yellow_band: 0.25
unit: "hours (p50)"
rollout: enforced
remediation: https://wiki.example.com/scorecard/recovery-time
description: >
  Median failed deployment recovery time over the quarter (marts.dora_metrics). The value
  of the latest fiscal quarter that ended on or before as_of, from marts.bsc_measures;
  scorecards.balanced_scorecard grades every quarter against the target in effect for it.
---*/
select
    entity_id as team_id,
    value,
    period || ': ' || round(value, 2) || ' hours (p50)' as note
from marts.bsc_measures
where
    measure_id = 'recovery_time'
    and entity_type = 'team'
    and period_end = (
        select max(period_end)
        from marts.bsc_measures
        where measure_id = 'recovery_time' and period_end <= getvariable('as_of')
    )
