-- One row per (code repository, service): the repository whose merged pull or merge requests and
-- commits are the service's changes, and whose commit graph places its deployments, whatever
-- system deploys it: its GitHub repo (github.com/project-slug), else its GitLab project
-- (gitlab.com/project-slug; a service annotated with both keeps GitHub, where a project that only
-- runs pipelines for a GitHub repo mirrors its commits).
--   * repo_key: the GitHub slug in lower case (`acme/checkout`), or `gitlab:` and the project key
--     in lower case (`gitlab:group/app`): the two hosts' keys never collide.
--   * A repository shared by several services (a monorepo) lists them all, with
--     `services_in_repo` telling events of that repository need a service named in them.
with keys as (
    select * from {{ ref('int_source_keys_mapped') }}
    where source in ('github', 'gitlab')
),

components as (
    select
        service_id,
        monorepo_paths
    from {{ ref('stg_catalog__components') }}
),

projects as (
    select * from {{ ref('int_gitlab_projects_identified') }}
),

github as (
    select
        match_key as repo_key,
        'github' as repo_host,
        match_key as repo_name,
        service_id
    from keys
    where source = 'github'
),

gitlab_ranked as (
    select
        keys.match_key,
        keys.service_id,
        projects.project_path,
        row_number() over (partition by keys.service_id order by keys.match_key) as project_rank
    from keys
    left join projects
        on keys.match_key = projects.project_key
    left join github
        on keys.service_id = github.service_id
    where keys.source = 'gitlab' and github.service_id is null
),

gitlab as (
    select
        'gitlab:' || match_key as repo_key,
        'gitlab' as repo_host,
        coalesce(project_path, match_key) as repo_name,
        service_id
    from gitlab_ranked
    where project_rank = 1
),

repositories as (
    select * from github
    union all
    select * from gitlab
)

select
    repositories.repo_key,
    repositories.repo_host,
    repositories.repo_name,
    repositories.service_id,
    components.monorepo_paths,
    count(*) over (partition by repositories.repo_key) as services_in_repo
from repositories
inner join components
    on repositories.service_id = components.service_id
