/*---
id: lead_time_tier
title: Lead time for changes is in the high or elite DORA tier
scorecard: dora
level: 4
owner: platform-team
entity: service
applies_to: "lifecycle = 'production'"
unit: hours (p50)
rollout: enforced
remediation: https://dora.dev/capabilities/working-in-small-batches/
description: >
  The DORA tier of the median lead time of the last complete month: elite or high pass,
  medium warns, low fails.
---*/
select
    entity_id as service_id,
    lead_time_p50_hours as value,
    case lower(lead_time_tier)
        when 'elite' then 'pass' when 'high' then 'pass' when 'medium' then 'warn' when 'low' then 'fail'
    end as status,
    period_label || ': ' || coalesce(lower(lead_time_tier), 'no tier')
        || ' (DORA ' || benchmark_edition || '), p50 ' || round(lead_time_p50_hours, 1) || ' h' as note
from marts.dora_metrics
where entity_type = 'service'
  and period_grain = 'month'
  and period_start = date_trunc('month', getvariable('as_of') - interval 1 month)::date
