/*---
id: dependency_scanning_sbom
title: Dependencies are scanned and an SBOM produced at least every 30 days
scorecard: security
level: 3
owner: security-team
entity: service
applies_to: "lifecycle = 'production'"
thresholds: {pass: ">= 1"}
unit: successful scans in 30 days
rollout: enforced
remediation: https://wiki.example.com/security/sbom
description: >
  Counts successful CI runs whose workflow name matches `(?i)dependency|sbom`
  (marts.fct_ci_runs.is_sbom, docs/conventions.md) in the 30 days up to as_of.
---*/
select
    s.service_id,
    count(r.run_id) as value,
    case
        when count(r.run_id) = 0 then 'no successful SBOM scan in the last 30 days'
        else count(r.run_id) || ' scans; last on ' || strftime(max(r.created_at), '%Y-%m-%d')
            || ' (' || arg_max(r.workflow_name, r.created_at) || ')'
    end as note,
    case
        when count(r.run_id) > 0 and s.repo is not null
            then 'https://github.com/' || s.repo || '/actions/runs/' || arg_max(r.run_id, r.created_at)
    end as evidence_url
from marts.dim_services as s
left join marts.fct_ci_runs as r
    on r.service_id = s.service_id
    and r.is_sbom
    and r.conclusion = 'success'
    and r.created_at::date between getvariable('as_of') - interval 29 day and getvariable('as_of')
group by s.service_id, s.repo
