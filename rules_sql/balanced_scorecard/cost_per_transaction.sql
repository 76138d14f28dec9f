/*---
id: cost_per_transaction
title: Infrastructure cost per 1000 transactions
scorecard: balanced_scorecard
owner: finops-team
entity: team
perspective: Business Value
objective: Lower cost to serve
direction: lower_is_better
indicator: lagging
target: 8.0
target_history:
  - {from: 2026-01-01, target: 7.5}
unit: "USD per 1000 transactions"
rollout: enforced
remediation: https://wiki.example.com/scorecard/cost-per-transaction
description: >
  Cloud spend (inputs: infra_cost) per 1000 business transactions (inputs: transactions)
  over the quarter. Target 8.0 USD until 2025-Q4, 7.5 USD from 2026-Q1. The value of the
  latest fiscal quarter that ended on or before as_of, from marts.bsc_measures;
  scorecards.balanced_scorecard grades every quarter against the target in effect for it.
---*/
select
    entity_id as team_id,
    value,
    period || ': ' || round(value, 2) || ' USD per 1000 transactions' as note
from marts.bsc_measures
where
    measure_id = 'cost_per_transaction'
    and entity_type = 'team'
    and period_end = (
        select max(period_end)
        from marts.bsc_measures
        where measure_id = 'cost_per_transaction' and period_end <= getvariable('as_of')
    )
