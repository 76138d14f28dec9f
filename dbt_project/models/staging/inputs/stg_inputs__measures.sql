-- One row per manual measure (period, entity_type, entity_id, measure_id) as written in the CSV.
{%- set casts = [] %}
select
    trim(period) as period,
    lower(trim(entity_type)) as entity_type,
    trim(entity_id) as entity_id,
    trim(measure_id) as measure_id,
    {{ stature.checked_cast(casts, 'value', 'value', 'double') }} as value,
    nullif(trim(unit), '') as unit,
    nullif(trim(source), '') as measure_source,
    {{ stature.checked_cast(casts, 'line', 'line', 'bigint') }} as line,
    source_file,
    {{ stature.invalid_fields(casts) }} as invalid_fields
from {{ source('inputs', 'measures') }}
