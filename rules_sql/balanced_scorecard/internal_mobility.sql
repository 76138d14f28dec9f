/*---
id: internal_mobility
title: Roles are filled from within
scorecard: balanced_scorecard
owner: people-team
entity: org
perspective: Team Capability
objective: Engaged teams
direction: higher_is_better
indicator: lagging
target: 12.0
yellow_band: 0.25
unit: "% of roles"
rollout: enforced
remediation: https://wiki.example.com/scorecard/internal-mobility
description: >
  Share of open roles filled by internal candidates in the quarter (inputs:
  internal_mobility, org only). The value of the latest fiscal quarter that ended on or
  before as_of, from marts.bsc_measures; scorecards.balanced_scorecard grades every
  quarter against the target in effect for it.
---*/
select
    'org' as org_id,
    value,
    period || ': ' || round(value, 2) || ' % of roles' as note
from marts.bsc_measures
where
    measure_id = 'internal_mobility'
    and entity_type = 'org'
    and period_end = (
        select max(period_end)
        from marts.bsc_measures
        where measure_id = 'internal_mobility' and period_end <= getvariable('as_of')
    )
