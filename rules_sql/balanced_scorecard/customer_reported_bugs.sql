/*---
id: customer_reported_bugs
title: Few customer-reported bugs
scorecard: balanced_scorecard
owner: support-engineering
entity: team
perspective: Customer Outcomes
objective: Fewer customer-facing defects
direction: lower_is_better
indicator: lagging
target: 2.0
yellow_band: 0.25
unit: "bugs per service"
rollout: enforced
remediation: https://wiki.example.com/scorecard/customer-reported-bugs
description: >
  Issues labelled customer-reported opened in the quarter (marts.fct_issues), per
  production service. The value of the latest fiscal quarter that ended on or before
  as_of, from marts.bsc_measures; scorecards.balanced_scorecard grades every quarter
  against the target in effect for it.
---*/
select
    entity_id as team_id,
    value,
    period || ': ' || round(value, 2) || ' bugs per service' as note
from marts.bsc_measures
where
    measure_id = 'customer_reported_bugs'
    and entity_type = 'team'
    and period_end = (
        select max(period_end)
        from marts.bsc_measures
        where measure_id = 'customer_reported_bugs' and period_end <= getvariable('as_of')
    )
