/*---
id: recovery_time_tier
title: Failed deployment recovery time is in the high or elite DORA tier
scorecard: dora
level: 5
owner: platform-team
entity: service
applies_to: "lifecycle = 'production'"
unit: hours (p50)
rollout: shadow
remediation: https://dora.dev/capabilities/monitoring-and-observability/
description: >
  The DORA tier of the median failed-deployment recovery time of the last complete
  month. In shadow: reported, never blocks a maturity level, while recovery linkage is
  being checked against incident data.
---*/
select
    entity_id as service_id,
    recovery_time_p50_hours as value,
    case lower(recovery_time_tier)
        when 'elite' then 'pass' when 'high' then 'pass' when 'medium' then 'warn' when 'low' then 'fail'
    end as status,
    period_label || ': ' || coalesce(lower(recovery_time_tier), 'no tier')
        || ' (DORA ' || benchmark_edition || '), p50 ' || coalesce(round(recovery_time_p50_hours, 1) || ' h', 'no failed deployment') as note
from marts.dora_metrics
where entity_type = 'service'
  and period_grain = 'month'
  and period_start = date_trunc('month', getvariable('as_of') - interval 1 month)::date
