-- One row per key the records of a source carry (GitHub repo, GitLab project, Jenkins job,
-- PagerDuty service), in the form int_source_keys_mapped compares, with how many records carry
-- it and when the first and last of them happened: what marts.unmapped_entities reports for a
-- key no service claims.
with keyed as (
    select
        'github' as source,
        'repository' as entity_kind,
        lower(repo) as entity_key,
        created_at as seen_at
    from {{ ref('stg_github__pull_requests') }}
    union all
    select
        'github' as source,
        'repository' as entity_kind,
        lower(repo) as entity_key,
        committed_at as seen_at
    from {{ ref('stg_github__commits') }}
    union all
    select
        'github' as source,
        'repository' as entity_kind,
        lower(repo) as entity_key,
        created_at as seen_at
    from {{ ref('stg_github__deployments') }}
    union all
    select
        'github' as source,
        'repository' as entity_kind,
        lower(repo) as entity_key,
        created_at as seen_at
    from {{ ref('stg_github__workflow_runs') }}
    union all
    select
        'github' as source,
        'repository' as entity_kind,
        lower(repo) as entity_key,
        created_at as seen_at
    from {{ ref('stg_github__issues') }}
    where not is_pull_request
    union all
    select
        'gitlab' as source,
        'project' as entity_kind,
        lower(project) as entity_key,
        created_at as seen_at
    from {{ ref('stg_gitlab__merge_requests') }}
    union all
    select
        'gitlab' as source,
        'project' as entity_kind,
        lower(project) as entity_key,
        created_at as seen_at
    from {{ ref('stg_gitlab__pipelines') }}
    union all
    select
        'gitlab' as source,
        'project' as entity_kind,
        lower(project) as entity_key,
        created_at as seen_at
    from {{ ref('stg_gitlab__deployments') }}
    union all
    select
        'gitlab' as source,
        'project' as entity_kind,
        lower(project) as entity_key,
        committed_at as seen_at
    from {{ ref('stg_gitlab__commits') }}
    union all
    select
        'jenkins' as source,
        'job' as entity_kind,
        job as entity_key,
        started_at as seen_at
    from {{ ref('stg_jenkins__builds') }}
    union all
    select
        'pagerduty' as source,
        'service' as entity_kind,
        coalesce(pagerduty_service_id, '') as entity_key,
        created_at as seen_at
    from {{ ref('stg_pagerduty__incidents') }}
)

select
    source,
    entity_kind,
    entity_key,
    count(*) as records,
    min(seen_at) as first_seen_at,
    max(seen_at) as last_seen_at
from keyed
group by source, entity_kind, entity_key
