/*---
id: tls_all_endpoints
title: Every public endpoint is served over TLS
scorecard: security
level: 2
owner: security-team
entity: service
applies_to: "lifecycle <> 'deprecated' and endpoint_count > 0"
thresholds: {pass: "== 1"}
unit: share of endpoints
rollout: enforced
remediation: https://wiki.example.com/security/tls
description: >
  Endpoints come from the catalog annotation `stature.dev/endpoints`
  (docs/conventions.md); an endpoint has TLS when its URL starts with https://.
  Services that publish no endpoint are not applicable.
---*/
select
    service_id,
    tls_endpoint_count::double / endpoint_count as value,
    tls_endpoint_count || ' of ' || endpoint_count || ' endpoints use https' as note
from marts.dim_services
where endpoint_count > 0
