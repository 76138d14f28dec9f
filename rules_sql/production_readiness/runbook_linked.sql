/*---
id: runbook_linked
title: A runbook is linked in the catalog
scorecard: production_readiness
level: 2
owner: sre-team
entity: service
applies_to: "lifecycle = 'production'"
thresholds: {pass: "== 1"}
unit: runbook linked (1 = yes)
rollout: enforced
remediation: https://wiki.example.com/sre/runbooks
description: >
  The catalog annotation `stature.dev/runbook` holds the runbook URL.
---*/
select
    service_id,
    case when has_runbook then 1 else 0 end as value,
    case
        when has_runbook then 'runbook: ' || runbook_url
        else 'no stature.dev/runbook annotation in catalog-info.yaml'
    end as note,
    runbook_url as evidence_url
from marts.dim_services
