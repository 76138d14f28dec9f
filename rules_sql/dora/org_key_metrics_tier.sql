/*---
id: org_key_metrics_tier
title: The org is high or elite on the four DORA key metrics
scorecard: dora
level: 4
owner: platform-team
entity: org
thresholds: {pass: "== 4", warn: ">= 2"}
unit: key metrics at high or elite (of 4)
rollout: enforced
remediation: https://dora.dev/guides/dora-metrics-four-keys/
description: >
  How many of deployment frequency, lead time, change failure rate and recovery time are
  in the high or elite tier for the whole org over the last complete month.
---*/
select
    'org' as org_id,
    coalesce(lower(deployment_frequency_tier) in ('elite', 'high'), false)::int
        + coalesce(lower(lead_time_tier) in ('elite', 'high'), false)::int
        + coalesce(lower(change_failure_rate_tier) in ('elite', 'high'), false)::int
        + coalesce(lower(recovery_time_tier) in ('elite', 'high'), false)::int as value,
    period_label || ' (DORA ' || benchmark_edition || '): deployment frequency '
        || coalesce(lower(deployment_frequency_tier), '-') || ', lead time ' || coalesce(lower(lead_time_tier), '-')
        || ', change failure rate ' || coalesce(lower(change_failure_rate_tier), '-')
        || ', recovery time ' || coalesce(lower(recovery_time_tier), '-') as note
from marts.dora_metrics
where entity_type = 'org'
  and period_grain = 'month'
  and period_start = date_trunc('month', getvariable('as_of') - interval 1 month)::date
