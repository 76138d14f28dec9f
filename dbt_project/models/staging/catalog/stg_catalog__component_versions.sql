-- One row per earlier version of a catalog Component (service, date from which it held), read
-- the same way as the current catalog (stg_catalog__components). payload_hash tells a real
-- change from the same document recorded twice.
{%- set casts = [] %}
with versions as (
    select
        namespace,
        name,
        valid_from,
        payload,
        source_file
    from {{ source('catalog', 'entity_versions') }}
    where lower(kind) = 'component'
)

select
    {{ stature.catalog_component_columns(casts) }}
    source_file,
    {{ stature.invalid_fields(casts) }} as invalid_fields,
    valid_from as recorded_from,
    md5(cast(payload as {{ dbt.type_string() }})) as payload_hash
from versions
