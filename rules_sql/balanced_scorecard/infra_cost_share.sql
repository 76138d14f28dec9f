/*---
id: infra_cost_share
title: Infrastructure cost as a share of attributed revenue
scorecard: balanced_scorecard
owner: finops-team
entity: team
perspective: Business Value
objective: Lower cost to serve
direction: lower_is_better
indicator: lagging
target: 2.2
unit: "% of revenue"
rollout: enforced
remediation: https://wiki.example.com/scorecard/infra-cost-share
description: >
  Cloud spend (inputs: infra_cost) as a percentage of the revenue attributed to the team's
  product area (inputs: revenue_attributed). The value of the latest fiscal quarter that
  ended on or before as_of, from marts.bsc_measures; scorecards.balanced_scorecard grades
  every quarter against the target in effect for it.
---*/
select
    entity_id as team_id,
    value,
    period || ': ' || round(value, 2) || ' % of revenue' as note
from marts.bsc_measures
where
    measure_id = 'infra_cost_share'
    and entity_type = 'team'
    and period_end = (
        select max(period_end)
        from marts.bsc_measures
        where measure_id = 'infra_cost_share' and period_end <= getvariable('as_of')
    )
