-- One row per Opsgenie alert (alert_id): the newest version landed. `report.closeTime` is the
-- milliseconds from creation to close; closed_at is derived from it.
{%- set casts = [] %}
{%- set ts = stature.type_timestamptz() %}
{%- set max_duration_ms = 315360000000 %}
with versions as (
    select
        alert_id,
        updated_at,
        row_number() over (
            partition by alert_id
            order by updated_at desc
        ) as version_rank
    from {{ source('opsgenie', 'alerts') }}
),

-- The newest version's key is picked first, so the wide payload is read once, not sorted.
newest_versions as (
    select
        raw_versions.alert_id,
        raw_versions.updated_at,
        raw_versions.payload,
        raw_versions.source_file
    from {{ source('opsgenie', 'alerts') }} as raw_versions
    inner join versions
        on
            raw_versions.alert_id = versions.alert_id
            and raw_versions.updated_at = versions.updated_at
    where versions.version_rank = 1
),

unpacked as (
    select
        alert_id,
        {{ stature.json_text('payload', '$.tinyId') }} as tiny_id,
        {{ stature.json_text('payload', '$.message') }} as message,
        {{ stature.json_text('payload', '$.description') }} as description,
        lower({{ stature.json_text('payload', '$.status') }}) as status,
        upper({{ stature.json_text('payload', '$.priority') }}) as priority,
        {{ stature.json_text('payload', '$.owner') }} as owner,
        {{ stature.json_text('payload', '$.entity') }} as alert_entity,
        {{ stature.json_text_list('payload', '$.teams[*].id') }} as team_ids,
        {{ stature.json_text_list('payload', '$.responders[*].id') }} as responder_ids,
        {{ stature.json_text_list('payload', '$.responders[*].name') }} as responder_names,
        {{ stature.json_text_list('payload', '$.tags[*]') }} as tags,
        {{ stature.checked_cast(
            casts, 'created_at', stature.json_text('payload', '$.createdAt'), ts
        ) }} as created_at,
        {{ stature.checked_cast(casts, 'updated_at', 'updated_at', ts) }} as updated_at,
        {{ stature.checked_cast(
            casts, 'close_time_ms', stature.json_text('payload', '$.report.closeTime'), 'bigint'
        ) }} as close_time_ms,
        {#- A close time past ten years is not an alert's: it would overflow closed_at. #}
        {{- stature.checked_condition(
            casts, 'close_time_ms',
            stature.try_cast(stature.json_text('payload', '$.report.closeTime'), 'bigint')
            ~ ' not between 0 and ' ~ max_duration_ms
        ) }}
        source_file,
        {{ stature.invalid_fields(casts) }} as invalid_fields
    from newest_versions
)

select
    alert_id,
    tiny_id,
    message,
    description,
    status,
    priority,
    owner,
    alert_entity,
    team_ids,
    responder_ids,
    responder_names,
    tags,
    created_at,
    updated_at,
    case
        when status = 'closed' and close_time_ms between 0 and {{ max_duration_ms }}
            then {{ stature.add_hours('created_at', 'cast(close_time_ms as double) / 3600000.0') }}
        when status = 'closed' then updated_at
    end as closed_at,
    source_file,
    invalid_fields
from unpacked
