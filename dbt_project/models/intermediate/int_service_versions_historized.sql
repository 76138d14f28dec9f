-- One row per (service, version): what the catalog said about each service, and when. A
-- version holds from its recorded_from until the next one's; the first is stretched back to
-- 1970-01-01 (recorded_from keeps its date), so every past date finds the earliest version
-- known. The same document recorded twice in a row is one version. A service no run has
-- recorded yet has its current catalog entry as its only version (recorded_from NULL).
with recorded as (
    select * from {{ ref('stg_catalog__component_versions') }}
),

changed as (
    select
        recorded.*,
        lag(recorded.payload_hash) over (
            partition by recorded.service_id order by recorded.recorded_from
        ) as previous_hash
    from recorded
),

kept as (
    select * from changed
    where previous_hash is null or previous_hash <> payload_hash
),

unrecorded as (
    select
        components.*,
        cast(null as date) as recorded_from,
        cast(null as {{ dbt.type_string() }}) as payload_hash,
        cast(null as {{ dbt.type_string() }}) as previous_hash
    from {{ ref('stg_catalog__components') }} as components
    where components.service_id not in (select recorded.service_id from recorded)
),

versions as (
    select * from kept
    union all
    select * from unrecorded
),

ordered as (
    select
        versions.*,
        row_number() over (
            partition by versions.service_id order by versions.recorded_from
        ) as version_number,
        lead(versions.recorded_from) over (
            partition by versions.service_id order by versions.recorded_from
        ) as next_from
    from versions
)

select
    ordered.*,
    case
        when ordered.version_number = 1 then cast('1970-01-01' as date) else ordered.recorded_from
    end as valid_from,
    ordered.next_from as valid_to,
    ordered.next_from is null as is_current
from ordered
