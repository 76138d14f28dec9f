{#-
    One row per (initiative, late entity): the covered entities not passing on the
    initiative's latest evaluation day, with their owner team and the rules they fail.
-#}
with latest as (
    select
        initiative_id,
        max(as_of) as as_of
    from {{ ref('scorecards_initiative_progress') }}
    group by initiative_id
)

select
    progress.initiative_id,
    initiatives.title as initiative_title,
    initiatives.deadline,
    progress.as_of,
    progress.entity_type,
    progress.entity_id,
    coalesce(services.name, teams.name, progress.entity_id) as entity_name,
    progress.team_id,
    coalesce(owners.name, progress.team_id) as team_name,
    progress.failing_rules,
    progress.as_of > initiatives.deadline as is_overdue
from {{ ref('scorecards_initiative_progress') }} as progress
inner join latest
    on progress.initiative_id = latest.initiative_id and progress.as_of = latest.as_of
inner join {{ source('scorecards', 'initiatives') }} as initiatives
    on progress.initiative_id = initiatives.initiative_id
left join {{ ref('dim_services') }} as services
    on progress.entity_type = 'service' and progress.entity_id = services.service_id
left join {{ ref('dim_teams') }} as teams
    on progress.entity_type = 'team' and progress.entity_id = teams.team_id
left join {{ ref('dim_teams') }} as owners on progress.team_id = owners.team_id
where progress.grain = 'entity' and progress.state = 'failing'
