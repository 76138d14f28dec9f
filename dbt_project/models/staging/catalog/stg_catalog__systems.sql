-- One row per catalog System.
with systems as (
    select
        namespace,
        name,
        payload,
        source_file
    from {{ source('catalog', 'entities') }}
    where lower(kind) = 'system'
)

select
    name as system_id,
    coalesce(namespace, 'default') as namespace,
    coalesce({{ stature.json_text('payload', '$.metadata.title') }}, name) as title,
    {{ stature.json_text('payload', '$.metadata.description') }} as description,
    regexp_replace(
        {{ stature.json_text('payload', '$.spec.owner') }}, '^([a-zA-Z]+:)?([^/]+/)?', ''
    ) as owner_team_id,
    source_file
from systems
