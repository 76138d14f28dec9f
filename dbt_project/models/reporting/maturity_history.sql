{#- Every entity's maturity level in every quarter with a snapshot (services, teams and the
    org): its level, the next level and the rules blocking it (a list and text), the
    services it counts (teams and the org), and the quarter's state. The path a team's or a
    service's page draws; reporting.service_maturity is its latest quarter for services. -#}
with snapshots as (
    select * from {{ source('scorecards', 'maturity_snapshots') }}
),

ladder as (
    {{ stature.maturity_ladder_rows() }}
)

select
    snapshots.quarter,
    snapshots.quarter_start,
    snapshots.quarter_end,
    snapshots.as_of,
    snapshots.is_closed,
    snapshots.entity_type,
    snapshots.entity_id,
    case snapshots.entity_type
        when 'service' then coalesce(services.name, snapshots.entity_id)
        when 'team' then coalesce(teams.name, snapshots.entity_id)
        else {{ stature.sql_string(var('org_name')) }}
    end as entity_name,
    snapshots.team_id,
    snapshots.level,
    snapshots.level_name,
    next_level.level as next_level,
    next_level.level_name as next_level_name,
    snapshots.blockers,
    coalesce({{ stature.list_size('snapshots.blockers') }}, 0) as blocker_count,
    coalesce({{ stature.list_join('snapshots.blockers', ', ') }}, '') as blockers_text,
    snapshots.service_count,
    {{ stature.day_count('snapshots.quarter_start', 'snapshots.quarter_end') }} as period_days,
    least(
        {{ stature.day_count('snapshots.quarter_start', 'snapshots.quarter_end') }},
        {{ stature.day_count('snapshots.quarter_start', 'snapshots.as_of') }}
    ) as elapsed_days
from snapshots
left join ladder as next_level on snapshots.level + 1 = next_level.level
left join {{ ref('dim_services') }} as services
    on snapshots.entity_type = 'service' and snapshots.entity_id = services.service_id
left join {{ ref('dim_teams') }} as teams
    on snapshots.entity_type = 'team' and snapshots.entity_id = teams.team_id
