/*---
id: uptime
title: Production services stay up
scorecard: balanced_scorecard
owner: sre-team
entity: team
perspective: Customer Outcomes
objective: Reliable service
direction: higher_is_better
indicator: lagging
target: 99.5
yellow_band: 0.003
unit: "% of service hours"
rollout: enforced
remediation: https://wiki.example.com/scorecard/uptime
description: >
  Share of production service hours not lost to resolved incidents created in the quarter
  (marts.fct_incidents). Yellow down to 99.2015% (a band of 0.3% of the target). The value of the
  latest fiscal quarter that ended on or before as_of, from marts.bsc_measures;
  scorecards.balanced_scorecard grades every quarter against the target in effect for it.
---*/
select
    entity_id as team_id,
    value,
    period || ': ' || round(value, 2) || ' % of service hours' as note
from marts.bsc_measures
where
    measure_id = 'uptime'
    and entity_type = 'team'
    and period_end = (
        select max(period_end)
        from marts.bsc_measures
        where measure_id = 'uptime' and period_end <= getvariable('as_of')
    )
