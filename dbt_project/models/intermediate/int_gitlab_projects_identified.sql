-- One row per GitLab project the raw tables hold, under the key they carry (`project`: the
-- export folder, or the path or id the config names), with its path with namespace (from the
-- web URLs of its merge requests and pipelines) and its numeric id (their `project_id`) where
-- the data says them, so a catalog annotation can name the project by either.
with seen as (
    select
        project,
        project_id,
        web_url
    from {{ ref('stg_gitlab__merge_requests') }}
    union all
    select
        project,
        project_id,
        web_url
    from {{ ref('stg_gitlab__pipelines') }}
    union all
    select
        project,
        cast(null as bigint) as project_id,
        cast(null as string) as web_url
    from {{ ref('stg_gitlab__deployments') }}
    union all
    select
        project,
        cast(null as bigint) as project_id,
        cast(null as string) as web_url
    from {{ ref('stg_gitlab__commits') }}
),

parsed as (
    select
        project,
        project_id,
        nullif(regexp_extract(web_url, '^https?://[^/]+/(.+?)/-/', 1), '') as project_path
    from seen
)

select
    project,
    lower(project) as project_key,
    coalesce(max(project_path), project) as project_path,
    max(project_id) as project_id
from parsed
group by project
