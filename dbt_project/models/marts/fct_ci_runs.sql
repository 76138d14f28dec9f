-- One row per GitHub Actions workflow run (its newest version), classified by workflow name
-- (docs/conventions.md): a production deploy, an SBOM / dependency scan, static analysis.
with runs as (
    select
        *,
        coalesce(workflow_name, workflow_path) as effective_name
    from {{ ref('stg_github__workflow_runs') }}
),

repo_services as (
    select * from {{ ref('int_repo_services_mapped') }}
),

candidates as (
    select
        runs.repo,
        runs.run_id,
        repo_services.service_id,
        row_number() over (
            partition by runs.repo, runs.run_id
            order by length(repo_services.service_id) desc, repo_services.service_id
        ) as match_rank
    from runs
    inner join repo_services
        on lower(runs.repo) = repo_services.repo_key
    where
        repo_services.services_in_repo = 1
        or position(
            lower(repo_services.service_id)
            in lower(coalesce(runs.workflow_name, '') || ' ' || coalesce(runs.workflow_path, ''))
        ) > 0
),

classified as (
    select
        runs.*,
        {{ stature.regex_matches('runs.effective_name', var('deploy_workflow_pattern')) }}
        and {{ stature.regex_matches('runs.effective_name', var('production_workflow_pattern')) }}
            as is_deploy,
        {{ stature.regex_matches('runs.effective_name', '(?i)dependency|sbom') }} as is_sbom,
        {{ stature.regex_matches('runs.effective_name', '(?i)codeql|static analysis|sast|semgrep') }}
            as is_static_analysis
    from runs
)

select
    classified.run_id,
    candidates.service_id,
    classified.repo,
    classified.effective_name as workflow_name,
    classified.workflow_path,
    classified.workflow_id,
    classified.display_title,
    classified.run_number,
    classified.run_attempt,
    classified.status,
    classified.conclusion,
    classified.event,
    classified.head_branch,
    classified.head_sha,
    classified.created_at,
    classified.updated_at,
    classified.run_started_at,
    classified.is_deploy,
    classified.is_sbom or classified.is_static_analysis as is_security_scan,
    classified.is_sbom,
    classified.is_static_analysis,
    classified.html_url
from classified
left join candidates
    on
        classified.repo = candidates.repo
        and classified.run_id = candidates.run_id
        and candidates.match_rank = 1
