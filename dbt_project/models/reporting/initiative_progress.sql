{#-
    Every initiative's daily progress (scorecards.initiative_progress) with the initiative's
    title and deadline and the names of the entities and teams: the burn-up (grain org),
    per-team progress (grain team) and each covered entity's state (grain entity).
-#}
select
    progress.initiative_id,
    initiatives.title as initiative_title,
    initiatives.deadline,
    progress.as_of,
    progress.grain,
    progress.entity_type,
    progress.entity_id,
    case progress.grain
        when 'org' then '{{ var("org_name") }}'
        when 'team' then coalesce(teams.name, progress.entity_id)
        else coalesce(services.name, teams.name, progress.entity_id)
    end as entity_name,
    progress.team_id,
    coalesce(owners.name, progress.team_id) as team_name,
    progress.state,
    progress.failing_rules,
    progress.covered,
    progress.passing,
    progress.exempt,
    progress.failing,
    progress.pass_share,
    progress.target
from {{ ref('scorecards_initiative_progress') }} as progress
inner join {{ source('scorecards', 'initiatives') }} as initiatives
    on progress.initiative_id = initiatives.initiative_id
left join {{ ref('dim_services') }} as services
    on progress.entity_type = 'service' and progress.entity_id = services.service_id
left join {{ ref('dim_teams') }} as teams
    on progress.entity_type = 'team' and progress.entity_id = teams.team_id
left join {{ ref('dim_teams') }} as owners on progress.team_id = owners.team_id
