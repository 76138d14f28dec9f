-- One row per manual measure (period, entity_type, entity_id, measure_id) as written in the CSV.
select
    trim(period) as period,
    lower(trim(entity_type)) as entity_type,
    trim(entity_id) as entity_id,
    trim(measure_id) as measure_id,
    cast(value as double) as value,
    nullif(trim(unit), '') as unit,
    nullif(trim(source), '') as measure_source,
    cast(line as bigint) as line,
    source_file
from {{ source('inputs', 'measures') }}
