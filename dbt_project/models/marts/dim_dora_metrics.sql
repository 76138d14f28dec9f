{#- One row per DORA metric: its title, unit, direction and DORA group (seed dora_metric_catalog). -#}
select
    cast(metric as varchar) as metric,
    cast(title as varchar) as title,
    cast(metric_group as varchar) as metric_group,
    cast(value_column as varchar) as value_column,
    cast(tier_column as varchar) as tier_column,
    cast(unit as varchar) as unit,
    cast(better as varchar) as better,
    cast(display_order as integer) as display_order
from {{ ref('dora_metric_catalog') }}
