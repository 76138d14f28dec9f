{#- One row per DORA metric: its title, unit, direction and DORA group (seed dora_metric_catalog). -#}
select
    cast(metric as string) as metric,
    cast(title as string) as title,
    cast(metric_group as string) as metric_group,
    cast(value_column as string) as value_column,
    cast(tier_column as string) as tier_column,
    cast(unit as string) as unit,
    cast(better as string) as better,
    cast(display_order as integer) as display_order
from {{ ref('dora_metric_catalog') }}
