/*---
id: team_deployment_frequency_tier
title: The team deploys in the high or elite DORA tier
scorecard: dora
level: 4
owner: platform-team
entity: team
unit: deploys/week
rollout: enforced
remediation: https://dora.dev/capabilities/continuous-delivery/
description: >
  The team's deployment frequency tier over the last complete month (services counted
  with the team that owned them at the time, per marts.dora_metrics).
---*/
select
    entity_id as team_id,
    deployment_frequency as value,
    case lower(deployment_frequency_tier)
        when 'elite' then 'pass' when 'high' then 'pass' when 'medium' then 'warn' when 'low' then 'fail'
    end as status,
    period_label || ': ' || coalesce(lower(deployment_frequency_tier), 'no tier')
        || ' (DORA ' || benchmark_edition || '), ' || deployments || ' deploys' as note
from marts.dora_metrics
where entity_type = 'team'
  and period_grain = 'month'
  and period_start = date_trunc('month', getvariable('as_of') - interval 1 month)::date
