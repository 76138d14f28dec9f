-- One row per commit of a code repository's default branch, whatever host keeps it: GitHub
-- commits (`parents[]`) and GitLab commits (`parent_ids`), under the repository key of
-- int_repo_services_mapped (`acme/checkout`, `gitlab:group/app`). GitLab's commits list names
-- no login and no files: author_login and changed_files are empty for them.
select
    lower(repo) as repo_key,
    'github' as repo_host,
    sha,
    first_parent_sha,
    parent_shas,
    author_login,
    author_name,
    message,
    authored_at,
    committed_at,
    changed_files
from {{ ref('stg_github__commits') }}
union all
select
    'gitlab:' || lower(project) as repo_key,
    'gitlab' as repo_host,
    sha,
    first_parent_sha,
    parent_shas,
    cast(null as string) as author_login,
    author_name,
    message,
    authored_at,
    committed_at,
    {{ stature.empty_text_list() }} as changed_files
from {{ ref('stg_gitlab__commits') }}
