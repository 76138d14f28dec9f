/*---
id: oncall_assigned
title: An on-call rotation is assigned
scorecard: production_readiness
level: 2
owner: sre-team
entity: service
applies_to: "lifecycle = 'production' and tier in ('tier-1', 'tier-2')"
thresholds: {pass: "== 1"}
unit: on-call assigned (1 = yes)
rollout: enforced
remediation: https://wiki.example.com/sre/on-call
description: >
  On-call is assigned when the catalog names a PagerDuty service
  (`pagerduty.com/service-id`) or an Opsgenie team (`opsgenie.com/team`).
---*/
select
    service_id,
    case when has_oncall then 1 else 0 end as value,
    case
        when pagerduty_service_id is not null then 'PagerDuty service ' || pagerduty_service_id
        when opsgenie_team is not null then 'Opsgenie team ' || opsgenie_team
        when has_oncall then 'on-call assigned'
        else 'no pagerduty.com/service-id or opsgenie.com/team annotation'
    end as note
from marts.dim_services
