/*---
id: deployment_frequency
title: Every production service deploys often
scorecard: balanced_scorecard
owner: platform-team
entity: team
perspective: Engineering Excellence
objective: Fast, steady flow
direction: higher_is_better
indicator: leading
target: 1.25
target_history:
  - {from: 2025-07-01, target: 1.5}
yellow_band: 0.2
unit: "deploys/week per service"
rollout: enforced
remediation: https://wiki.example.com/scorecard/deployment-frequency
description: >
  Production deployments per week over the quarter (marts.dora_metrics) divided by the
  production services owned on its last day. Target 1.25 until 2025-Q2, 1.5 from 2025-Q3.
  The value of the latest fiscal quarter that ended on or before as_of, from
  marts.bsc_measures; scorecards.balanced_scorecard grades every quarter against the
  target in effect for it.
---*/
select
    entity_id as team_id,
    value,
    period || ': ' || round(value, 2) || ' deploys/week per service' as note
from marts.bsc_measures
where
    measure_id = 'deployment_frequency'
    and entity_type = 'team'
    and period_end = (
        select max(period_end)
        from marts.bsc_measures
        where measure_id = 'deployment_frequency' and period_end <= getvariable('as_of')
    )
