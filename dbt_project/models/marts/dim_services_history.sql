-- One row per (service, valid_from): dim_services as each version of the catalog had it.
with versions as (
    select * from {{ ref('int_service_versions_historized') }}
),

{{ stature.service_dimension(
    'versions', 'valid_from', ['valid_from', 'valid_to', 'recorded_from', 'is_current']
) }}
