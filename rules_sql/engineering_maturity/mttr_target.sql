/*---
id: mttr_target
title: Incidents are restored within a day (median over 90 days)
scorecard: engineering_maturity
level: 4
owner: sre-team
entity: service
applies_to: "lifecycle = 'production'"
thresholds: {pass: "<= 24", warn: "<= 168"}
unit: hours
rollout: enforced
remediation: https://wiki.example.com/sre/incident-response
description: >
  Median restore time (created -> resolved) of the incidents created in the 90 days up
  to as_of (marts.fct_incidents). Target: a day; within a week is a warning. A service
  with no incident in the window is not applicable for that date.
---*/
with incidents as (
    select
        service_id,
        count(*) as incidents,
        count(resolved_at) as resolved,
        median(restore_hours) as median_hours
    from marts.fct_incidents
    where created_at::date between getvariable('as_of') - interval 89 day and getvariable('as_of')
    group by service_id
)
select
    s.service_id,
    i.median_hours as value,
    case when i.incidents is null then 'not_applicable' end as status,
    case
        when i.incidents is null then 'no incident in the last 90 days'
        when i.resolved = 0 then i.incidents || ' incidents, none resolved yet'
        else 'median ' || round(i.median_hours, 1) || ' h over ' || i.resolved || ' resolved of '
            || i.incidents || ' incidents; target {pass} h'
    end as note
from marts.dim_services as s
left join incidents as i on i.service_id = s.service_id
