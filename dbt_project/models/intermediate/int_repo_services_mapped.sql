-- One row per (GitHub repo, service) from the catalog's `github.com/project-slug`; repos are
-- compared in lower case. A repo shared by several services (a monorepo) lists them all, with
-- `services_in_repo` telling events of that repo need a service named in them.
with components as (
    select
        service_id,
        lower(trim(github_repo)) as repo_key,
        monorepo_paths
    from {{ ref('stg_catalog__components') }}
    where github_repo is not null
)

select
    repo_key,
    service_id,
    monorepo_paths,
    count(*) over (partition by repo_key) as services_in_repo
from components
