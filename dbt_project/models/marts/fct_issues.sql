-- One row per GitHub issue that is not a pull request.
with issues as (
    select * from {{ ref('stg_github__issues') }}
    where not is_pull_request
),

repo_services as (
    select * from {{ ref('int_repo_services_mapped') }}
),

candidates as (
    select
        issues.repo,
        issues.issue_number,
        repo_services.service_id,
        row_number() over (
            partition by issues.repo, issues.issue_number
            order by length(repo_services.service_id) desc, repo_services.service_id
        ) as match_rank
    from issues
    inner join repo_services
        on lower(issues.repo) = repo_services.repo_key
    where
        repo_services.services_in_repo = 1
        or position(lower(repo_services.service_id) in lower(coalesce(issues.title, ''))) > 0
)

select
    issues.repo || '#' || cast(issues.issue_number as string) as issue_key,
    candidates.service_id,
    issues.repo,
    issues.issue_number as number,
    issues.issue_id,
    issues.title,
    issues.labels,
    issues.state,
    {{ stature.list_has('issues.labels', stature.sql_string(var('incident_label'))) }} as is_incident,
    {{ stature.list_has('issues.labels', "'customer-reported'") }} as is_customer_reported,
    issues.author_login,
    issues.created_at,
    issues.closed_at,
    issues.html_url
from issues
left join candidates
    on
        issues.repo = candidates.repo
        and issues.issue_number = candidates.issue_number
        and candidates.match_rank = 1
