-- One row per catalog Group (teams and other groups).
with groups as (
    select
        namespace,
        name,
        payload,
        source_file
    from {{ source('catalog', 'entities') }}
    where lower(kind) = 'group'
)

select
    name as group_id,
    coalesce(namespace, 'default') as namespace,
    lower({{ stature.json_text('payload', '$.spec.type') }}) as group_type,
    coalesce(
        {{ stature.json_text('payload', '$.spec.profile.displayName') }},
        {{ stature.json_text('payload', '$.metadata.title') }},
        name
    ) as display_name,
    {{ stature.json_text('payload', '$.metadata.description') }} as description,
    regexp_replace(
        {{ stature.json_text('payload', '$.spec.parent') }}, '^([a-zA-Z]+:)?([^/]+/)?', ''
    ) as parent_group_id,
    source_file
from groups
