-- One row per (service, team, valid_from): the team history of every service.
select
    service_id,
    team_id,
    valid_from,
    valid_to,
    recorded_from,
    is_current
from {{ ref('int_service_teams_historized') }}
