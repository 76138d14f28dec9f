/*---
id: rework_rate
title: Few deployments are made to fix production
scorecard: balanced_scorecard
owner: platform-team
entity: team
perspective: Engineering Excellence
objective: Build quality in
direction: lower_is_better
indicator: lagging
target: 10.0
yellow_band: 0.2
unit: "% of deployments"
rollout: enforced
remediation: https://wiki.example.com/scorecard/rework-rate
description: >
  Hotfix, rollback and revert deployments / production deployments over the quarter
  (marts.dora_metrics). The value of the latest fiscal quarter that ended on or before
  as_of, from marts.bsc_measures; scorecards.balanced_scorecard grades every quarter
  against the target in effect for it.
---*/
select
    entity_id as team_id,
    value,
    period || ': ' || round(value, 2) || ' % of deployments' as note
from marts.bsc_measures
where
    measure_id = 'rework_rate'
    and entity_type = 'team'
    and period_end = (
        select max(period_end)
        from marts.bsc_measures
        where measure_id = 'rework_rate' and period_end <= getvariable('as_of')
    )
