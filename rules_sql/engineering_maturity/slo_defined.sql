/*---
id: slo_defined
title: An availability SLO is defined
scorecard: engineering_maturity
level: 3
owner: sre-team
entity: service
applies_to: "lifecycle = 'production' and tier in ('tier-1', 'tier-2')"
thresholds: {pass: "== 1"}
unit: SLO defined (1 = yes)
rollout: enforced
remediation: https://wiki.example.com/sre/slo
description: >
  The catalog annotation `stature.dev/slo` holds the availability objective in percent.
---*/
select
    service_id,
    case when slo_target is not null then 1 else 0 end as value,
    case
        when slo_target is not null then 'availability SLO ' || slo_target || '%'
        else 'no stature.dev/slo annotation in catalog-info.yaml'
    end as note
from marts.dim_services
