{#- Every service's maturity level in the latest quarter, the next level, and the rules
    blocking it (as a list and as text, for BI tools that cannot read lists). -#}
with snapshots as (
    select * from {{ source('scorecards', 'maturity_snapshots') }}
    where entity_type = 'service'
),

latest as (
    select max(quarter_start) as quarter_start
    from snapshots
),

ladder as (
    {{ stature.maturity_ladder_rows() }}
)

select
    snapshots.quarter,
    snapshots.quarter_start,
    snapshots.as_of,
    snapshots.entity_id as service_id,
    coalesce(services.name, snapshots.entity_id) as service_name,
    coalesce(snapshots.team_id, services.team_id) as team_id,
    coalesce(teams.name, snapshots.team_id, services.team_id) as team_name,
    services.tier,
    services.lifecycle,
    snapshots.level,
    snapshots.level_name,
    next_level.level as next_level,
    next_level.level_name as next_level_name,
    snapshots.blockers,
    coalesce({{ stature.list_size('snapshots.blockers') }}, 0) as blocker_count,
    coalesce({{ stature.list_join('snapshots.blockers', ', ') }}, '') as blockers_text,
    snapshots.is_closed,
    snapshots.quarter_end,
    {{ stature.day_count('snapshots.quarter_start', 'snapshots.quarter_end') }} as period_days,
    least(
        {{ stature.day_count('snapshots.quarter_start', 'snapshots.quarter_end') }},
        {{ stature.day_count('snapshots.quarter_start', 'snapshots.as_of') }}
    ) as elapsed_days
from snapshots
inner join latest on snapshots.quarter_start = latest.quarter_start
left join ladder as next_level on snapshots.level + 1 = next_level.level
left join {{ ref('dim_services') }} as services on snapshots.entity_id = services.service_id
left join {{ ref('dim_teams') }} as teams
    on coalesce(snapshots.team_id, services.team_id) = teams.team_id
