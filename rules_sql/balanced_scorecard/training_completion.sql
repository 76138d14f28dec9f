/*---
id: training_completion
title: Required training is completed
scorecard: balanced_scorecard
owner: engineering-enablement
entity: team
perspective: Team Capability
objective: Skilled teams
direction: higher_is_better
indicator: leading
target: 85.0
yellow_band: 0.05
unit: "% completed"
rollout: enforced
remediation: https://wiki.example.com/scorecard/training-completion
description: >
  Share of required training completed in the quarter (inputs: training_completion); the
  org's figure is the teams' average. The value of the latest fiscal quarter that ended on
  or before as_of, from marts.bsc_measures; scorecards.balanced_scorecard grades every
  quarter against the target in effect for it.
---*/
select
    entity_id as team_id,
    value,
    period || ': ' || round(value, 2) || ' % completed' as note
from marts.bsc_measures
where
    measure_id = 'training_completion'
    and entity_type = 'team'
    and period_end = (
        select max(period_end)
        from marts.bsc_measures
        where measure_id = 'training_completion' and period_end <= getvariable('as_of')
    )
