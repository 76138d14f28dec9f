-- One row per Jenkins build (job, build_number). Epoch milliseconds become UTC timestamps; the
-- built commit comes from the git plugin's `lastBuiltRevision`, the environment from a build
-- parameter named ENVIRONMENT / ENV / DEPLOY_ENV when there is one.
with unpacked as (
    select
        job,
        cast(number as bigint) as build_number,
        upper({{ stature.json_text('payload', '$.result') }}) as result,
        cast({{ stature.json_text('payload', '$.building') }} as boolean) as is_building,
        cast({{ stature.json_text('payload', '$.duration') }} as bigint) as duration_ms,
        {{ stature.json_text('payload', '$.displayName') }} as display_name,
        {{ stature.json_text('payload', '$.url') }} as build_url,
        {{ stature.json_text_list('payload', '$.actions[*].lastBuiltRevision.SHA1') }}
            as built_revisions,
        {{ stature.json_text_list('payload', '$.actions[*].parameters[*].name') }}
            as parameter_names,
        {{ stature.json_text_list('payload', '$.actions[*].parameters[*].value') }}
            as parameter_values,
        cast(started_at as {{ stature.type_timestamptz() }}) as started_at,
        source_file
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
        when duration_ms is not null
            then {{ stature.add_hours('started_at', 'duration_ms / 3600000.0') }}
    end as finished_at,
    source_file
from unpacked
