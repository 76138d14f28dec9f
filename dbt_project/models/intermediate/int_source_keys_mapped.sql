{#-
    One row per (source, key, service): how the records of each source find their catalog
    service, by the annotations users write (docs/sources.md, "Mapping records to services"):
      * github    repository  github.com/project-slug, compared in lower case;
      * gitlab    project     gitlab.com/project-slug: the path with namespace (any case) or the
                              numeric id, resolved to the project key the raw tables carry (the
                              annotation itself when no landed project matches it yet);
      * jenkins   job         jenkins.io/job-full-name, as written (`folder/deploy-app`);
      * pagerduty service     pagerduty.com/service-id;
      * opsgenie  team        opsgenie.com/team: a team id or a team name (Backstage's Opsgenie
                              plugin writes the name), in lower case, resolved through the teams
                              list to both, so alerts' team ids and responder names match either;
      * opsgenie  tag         the `tag:` terms of opsgenie.com/component-selector, lower case.
    `services_for_key` > 1: several services share the key (a monorepo, a shared job): an event
    of it needs a service named in it.
-#}
with components as (
    select * from {{ ref('stg_catalog__components') }}
),

projects as (
    select * from {{ ref('int_gitlab_projects_identified') }}
),

teams as (
    select
        lower(team_id) as team_id,
        lower(team_name) as team_name
    from {{ ref('stg_opsgenie__teams') }}
),

github as (
    select
        'github' as source,
        'repository' as key_kind,
        lower(trim(github_repo)) as match_key,
        service_id
    from components
    where github_repo is not null
),

gitlab_annotations as (
    select
        service_id,
        lower(trim(gitlab_project)) as annotation
    from components
    where gitlab_project is not null
),

gitlab_resolved as (
    select
        gitlab_annotations.service_id,
        projects.project_key
    from gitlab_annotations
    inner join projects
        on
            gitlab_annotations.annotation = projects.project_key
            or gitlab_annotations.annotation = lower(projects.project_path)
            or gitlab_annotations.annotation = cast(projects.project_id as string)
),

gitlab as (
    select
        'gitlab' as source,
        'project' as key_kind,
        project_key as match_key,
        service_id
    from gitlab_resolved
    union all
    select
        'gitlab' as source,
        'project' as key_kind,
        gitlab_annotations.annotation as match_key,
        gitlab_annotations.service_id
    from gitlab_annotations
    left join gitlab_resolved
        on gitlab_annotations.service_id = gitlab_resolved.service_id
    where gitlab_resolved.service_id is null
),

jenkins as (
    select
        'jenkins' as source,
        'job' as key_kind,
        trim(jenkins_job) as match_key,
        service_id
    from components
    where jenkins_job is not null
),

pagerduty as (
    select
        'pagerduty' as source,
        'service' as key_kind,
        trim(pagerduty_service_id) as match_key,
        service_id
    from components
    where pagerduty_service_id is not null
),

opsgenie_annotations as (
    select
        service_id,
        lower(trim(opsgenie_team)) as annotation
    from components
    where opsgenie_team is not null
),

opsgenie_teams as (
    select
        'opsgenie' as source,
        'team' as key_kind,
        annotation as match_key,
        service_id
    from opsgenie_annotations
    union all
    select
        'opsgenie' as source,
        'team' as key_kind,
        teams.team_id as match_key,
        opsgenie_annotations.service_id
    from opsgenie_annotations
    inner join teams on opsgenie_annotations.annotation = teams.team_name
    union all
    select
        'opsgenie' as source,
        'team' as key_kind,
        teams.team_name as match_key,
        opsgenie_annotations.service_id
    from opsgenie_annotations
    inner join teams on opsgenie_annotations.annotation = teams.team_id
),

selector_terms as (
    select
        components.service_id,
        terms.term
    from components
    {{ stature.unnest_list(
        stature.regex_extract_all(
            'components.opsgenie_component_selector', 'tags?\\s*:\\s*("[^"]*"|[^\\s()"]+)'
        ),
        'terms',
        'term'
    ) }}
    where components.opsgenie_component_selector is not null
),

opsgenie_tags as (
    select
        'opsgenie' as source,
        'tag' as key_kind,
        lower(replace(regexp_replace(term, '^tags?\s*:\s*', ''), '"', '')) as match_key,
        service_id
    from selector_terms
),

keys as (
    select * from github
    union all
    select * from gitlab
    union all
    select * from jenkins
    union all
    select * from pagerduty
    union all
    select * from opsgenie_teams
    union all
    select * from opsgenie_tags
),

distinct_keys as (
    select
        source,
        match_key,
        service_id,
        min(key_kind) as key_kind
    from keys
    where match_key is not null and match_key <> ''
    group by source, match_key, service_id
),

key_counts as (
    select
        source,
        match_key,
        count(*) as services_for_key
    from distinct_keys
    group by source, match_key
)

select
    distinct_keys.source,
    distinct_keys.key_kind,
    distinct_keys.match_key,
    distinct_keys.service_id,
    key_counts.services_for_key
from distinct_keys
inner join key_counts
    on distinct_keys.source = key_counts.source and distinct_keys.match_key = key_counts.match_key
