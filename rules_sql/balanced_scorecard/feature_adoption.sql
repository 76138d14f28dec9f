/*---
id: feature_adoption
title: Customers adopt the features shipped in the quarter
scorecard: balanced_scorecard
owner: product-analytics
entity: team
perspective: Business Value
objective: Grow product value
direction: higher_is_better
indicator: leading
target: 30.0
unit: "% of customers"
rollout: enforced
remediation: https://wiki.example.com/scorecard/feature-adoption
description: >
  Share of active customers using features shipped in the quarter (inputs:
  feature_adoption); the org's figure is the teams' average. The value of the latest
  fiscal quarter that ended on or before as_of, from marts.bsc_measures;
  scorecards.balanced_scorecard grades every quarter against the target in effect for it.
---*/
select
    entity_id as team_id,
    value,
    period || ': ' || round(value, 2) || ' % of customers' as note
from marts.bsc_measures
where
    measure_id = 'feature_adoption'
    and entity_type = 'team'
    and period_end = (
        select max(period_end)
        from marts.bsc_measures
        where measure_id = 'feature_adoption' and period_end <= getvariable('as_of')
    )
