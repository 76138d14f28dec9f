-- One row per service (catalog Component): who owns it now and the catalog facts standards read.
with components as (
    select * from {{ ref('stg_catalog__components') }}
),

{{ stature.service_dimension('components') }}
