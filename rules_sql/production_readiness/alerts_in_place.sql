/*---
id: alerts_in_place
title: Alerting is in place
scorecard: production_readiness
level: 3
owner: sre-team
entity: service
applies_to: "lifecycle = 'production'"
thresholds: {pass: "== 1"}
unit: alerts linked (1 = yes)
rollout: enforced
remediation: https://wiki.example.com/sre/alerting
description: >
  The catalog annotation `stature.dev/alerts` links the service's alerting rules or
  dashboard.
---*/
select
    service_id,
    case when has_alerts then 1 else 0 end as value,
    case
        when has_alerts then 'alerts: ' || alerts_url
        else 'no stature.dev/alerts annotation in catalog-info.yaml'
    end as note,
    alerts_url as evidence_url
from marts.dim_services
