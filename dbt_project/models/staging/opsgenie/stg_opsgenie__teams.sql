-- One row per Opsgenie team (team_id) with its name: alerts carry team ids, a catalog may name
-- the team (the `opsgenie.com/team` annotation of Backstage's Opsgenie plugin holds the name).
select
    team_id,
    {{ stature.json_text('payload', '$.name') }} as team_name,
    {{ stature.json_text('payload', '$.description') }} as description,
    source_file
from {{ source('opsgenie', 'teams') }}
