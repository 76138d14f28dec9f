/*---
id: change_failure_rate
title: Few production deployments fail
scorecard: balanced_scorecard
owner: platform-team
entity: team
perspective: Customer Outcomes
objective: Reliable service
direction: lower_is_better
indicator: lagging
target: 15.0
target_history:
  - {from: 2026-01-01, target: 12.0}
yellow_band: 0.25
unit: "% of deployments"
rollout: enforced
remediation: https://wiki.example.com/scorecard/change-failure-rate
description: >
  Failed production deployments / production deployments over the quarter
  (marts.dora_metrics). Target 15% until 2025-Q4, 12% from 2026-Q1. The value of the
  latest fiscal quarter that ended on or before as_of, from marts.bsc_measures;
  scorecards.balanced_scorecard grades every quarter against the target in effect for it.
---*/
select
    entity_id as team_id,
    value,
    period || ': ' || round(value, 2) || ' % of deployments' as note
from marts.bsc_measures
where
    measure_id = 'change_failure_rate'
    and entity_type = 'team'
    and period_end = (
        select max(period_end)
        from marts.bsc_measures
        where measure_id = 'change_failure_rate' and period_end <= getvariable('as_of')
    )
