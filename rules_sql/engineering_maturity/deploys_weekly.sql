/*---
id: deploys_weekly
title: Deploys to production at least weekly
scorecard: engineering_maturity
level: 3
owner: platform-team
entity: service
applies_to: "lifecycle = 'production'"
thresholds: {pass: ">= 1", warn: ">= 0.25"}
unit: deploys/week
rollout: enforced
remediation: https://wiki.example.com/platform/continuous-delivery
description: >
  Production deployments (marts.fct_deployments) in the 28 days up to as_of, per week.
  Target: at least one a week; at least one a month is a warning.
---*/
select
    s.service_id,
    count(d.deployment_id) / 4.0 as value,
    count(d.deployment_id) || ' deploys on ' || count(distinct d.deployed_at::date)
        || ' days in the 4 weeks to ' || getvariable('as_of') || '; target {pass} a week' as note
from marts.dim_services as s
left join marts.fct_deployments as d
    on d.service_id = s.service_id
    and d.deployed_at::date between getvariable('as_of') - interval 27 day and getvariable('as_of')
group by s.service_id
