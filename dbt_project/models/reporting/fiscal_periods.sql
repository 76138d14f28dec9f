{#- One row per ISO week, month and fiscal quarter: its days, and whether it is closed as of
    the run (var as_of) or open with so many days elapsed. -#}
select
    period_grain,
    period_start,
    period_end,
    period_label,
    period_days,
    is_closed,
    elapsed_days,
    as_of
from {{ ref('periods_as_of') }}
