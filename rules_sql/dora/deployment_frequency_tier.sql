/*---
id: deployment_frequency_tier
title: Deployment frequency is in the high or elite DORA tier
scorecard: dora
level: 4
owner: platform-team
entity: service
applies_to: "lifecycle = 'production'"
unit: deploys/week
rollout: enforced
remediation: https://dora.dev/capabilities/continuous-delivery/
description: >
  The DORA tier of the last complete month (marts.dora_metrics, graded by the benchmark
  edition in stature.yml): elite or high pass, medium warns, low fails.
---*/
select
    entity_id as service_id,
    deployment_frequency as value,
    case lower(deployment_frequency_tier)
        when 'elite' then 'pass' when 'high' then 'pass' when 'medium' then 'warn' when 'low' then 'fail'
    end as status,
    period_label || ': ' || coalesce(lower(deployment_frequency_tier), 'no tier')
        || ' (DORA ' || benchmark_edition || '), ' || deployments || ' deploys' as note
from marts.dora_metrics
where entity_type = 'service'
  and period_grain = 'month'
  and period_start = date_trunc('month', getvariable('as_of') - interval 1 month)::date
