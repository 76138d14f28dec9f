-- One row per catalog Component (a service): its spec and the annotations Stature reads
-- (docs/conventions.md). Entity references lose their `kind:` prefix and namespace.
-- Annotations are free text: a value that does not convert (an SLO of "high") is NULL and
-- named in invalid_fields, never an error.
{%- set casts = [] %}
with components as (
    select
        namespace,
        name,
        payload,
        source_file
    from {{ source('catalog', 'entities') }}
    where lower(kind) = 'component'
)

select
    {{ stature.catalog_component_columns(casts) }}
    source_file,
    {{ stature.invalid_fields(casts) }} as invalid_fields
from components
