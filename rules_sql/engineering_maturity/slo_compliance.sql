/*---
id: slo_compliance
title: The SLO was met at least 99% of last month
scorecard: engineering_maturity
level: 4
owner: sre-team
entity: service
applies_to: "lifecycle = 'production' and slo_target is not null"
thresholds: {pass: ">= 99", warn: ">= 95"}
unit: "% of the month"
rollout: enforced
remediation: https://wiki.example.com/sre/slo
description: >
  The `slo_compliance` manual measure (an inputs CSV file, one row per service and month:
  the share of the month the SLO was met) for the last complete month before as_of.
  A service with an SLO but no row for that month is not reported.
---*/
select
    m.entity_id as service_id,
    m.value,
    strftime(m.period_start, '%B %Y') || ': SLO ' || s.slo_target || '% met '
        || round(m.value, 2) || '% of the month; target {pass}%' as note
from marts.fct_manual_measures as m
join marts.dim_services as s on s.service_id = m.entity_id
where m.measure_id = 'slo_compliance'
  and m.entity_type = 'service'
  and m.period_grain = 'month'
  and m.period_start = date_trunc('month', getvariable('as_of') - interval 1 month)::date
