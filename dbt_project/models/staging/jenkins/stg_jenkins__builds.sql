-- One row per Jenkins build (job, build_number). Epoch milliseconds become UTC timestamps; the
-- built commit comes from the git plugin's `lastBuiltRevision`, the environment from a build
-- parameter named ENVIRONMENT / ENV / DEPLOY_ENV when there is one.
{%- set casts = [] %}
{%- set ts = stature.type_timestamptz() %}
{%- set max_duration_ms = 315360000000 %}
with unpacked as (
    select
        job,
        {{ stature.checked_cast(casts, 'build_number', 'number', 'bigint') }} as build_number,
        upper({{ stature.json_text('payload', '$.result') }}) as result,
        {{ stature.checked_cast(
            casts, 'is_building', stature.json_text('payload', '$.building'), 'boolean'
        ) }} as is_building,
        {{ stature.checked_cast(
            casts, 'duration_ms', stature.json_text('payload', '$.duration'), 'bigint'
        ) }} as duration_ms,
        {{ stature.json_text('payload', '$.displayName') }} as display_name,
        {{ stature.json_text('payload', '$.url') }} as build_url,
        {{ stature.json_text_list('payload', '$.actions[*].lastBuiltRevision.SHA1') }}
            as built_revisions,
        {{ stature.json_text_list('payload', '$.actions[*].parameters[*].name') }}
            as parameter_names,
        {{ stature.json_text_list('payload', '$.actions[*].parameters[*].value') }}
            as parameter_values,
        {{ stature.checked_cast(casts, 'started_at', 'started_at', ts) }} as started_at,
        {#- A duration past ten years is not a build: it would overflow the end time. #}
        {{- stature.checked_condition(
            casts, 'duration_ms',
            stature.try_cast(stature.json_text('payload', '$.duration'), 'bigint')
            ~ ' not between 0 and ' ~ max_duration_ms
        ) }}
        source_file,
        {{ stature.invalid_fields(casts) }} as invalid_fields
    from {{ source('jenkins', 'builds') }}
)

select
    job,
    build_number,
    result,
    is_building,
    duration_ms,
    display_name,
    build_url,
    {{ stature.list_at('built_revisions', 1) }} as sha,
    case
        when upper(coalesce({{ stature.list_at('parameter_names', 1) }}, ''))
            in ('ENVIRONMENT', 'ENV', 'DEPLOY_ENV')
            then {{ stature.list_at('parameter_values', 1) }}
        when upper(coalesce({{ stature.list_at('parameter_names', 2) }}, ''))
            in ('ENVIRONMENT', 'ENV', 'DEPLOY_ENV')
            then {{ stature.list_at('parameter_values', 2) }}
        when upper(coalesce({{ stature.list_at('parameter_names', 3) }}, ''))
            in ('ENVIRONMENT', 'ENV', 'DEPLOY_ENV')
            then {{ stature.list_at('parameter_values', 3) }}
    end as environment,
    started_at,
    case
        when duration_ms between 0 and {{ max_duration_ms }}
            then {{ stature.add_hours('started_at', 'cast(duration_ms as double) / 3600000.0') }}
    end as finished_at,
    source_file,
    invalid_fields
from unpacked
