/*---
id: enps
title: Engineers recommend working here
scorecard: balanced_scorecard
owner: people-team
entity: team
perspective: Team Capability
objective: Engaged teams
direction: higher_is_better
indicator: leading
target: 15.0
yellow_band: 0.5
unit: "score"
rollout: enforced
remediation: https://wiki.example.com/scorecard/enps
description: >
  Employee net promoter score of the quarter's survey (inputs: enps, -100..100); the org's
  own survey row, else the teams' average. The value of the latest fiscal quarter that
  ended on or before as_of, from marts.bsc_measures; scorecards.balanced_scorecard grades
  every quarter against the target in effect for it.
---*/
select
    entity_id as team_id,
    value,
    period || ': ' || round(value, 2) || ' score' as note
from marts.bsc_measures
where
    measure_id = 'enps'
    and entity_type = 'team'
    and period_end = (
        select max(period_end)
        from marts.bsc_measures
        where measure_id = 'enps' and period_end <= getvariable('as_of')
    )
