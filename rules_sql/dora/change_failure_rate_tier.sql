/*---
id: change_failure_rate_tier
title: Change failure rate is in the high or elite DORA tier
scorecard: dora
level: 5
owner: platform-team
entity: service
applies_to: "lifecycle = 'production'"
unit: share of deployments
rollout: enforced
remediation: https://dora.dev/capabilities/test-automation/
description: >
  The DORA tier of the change failure rate of the last complete month: elite or high
  pass, medium warns, low fails.
---*/
select
    entity_id as service_id,
    change_failure_rate as value,
    case lower(change_failure_rate_tier)
        when 'elite' then 'pass' when 'high' then 'pass' when 'medium' then 'warn' when 'low' then 'fail'
    end as status,
    period_label || ': ' || coalesce(lower(change_failure_rate_tier), 'no tier')
        || ' (DORA ' || benchmark_edition || '), ' || round(100 * change_failure_rate, 1)
        || '% of ' || deployments || ' deploys failed' as note
from marts.dora_metrics
where entity_type = 'service'
  and period_grain = 'month'
  and period_start = date_trunc('month', getvariable('as_of') - interval 1 month)::date
