{{ config(materialized='ephemeral') }}
{#-
    Every ISO week, month and fiscal quarter of marts.dim_calendar with its state as of the
    run's as-of date (var as_of): closed once its last day is on or before as_of; an open
    period carries the days elapsed so far (as_of included). Ephemeral, so every view that
    needs it inlines it: a published view reads tables only.
-#}
with calendar as (
    select
        week_start,
        week_end,
        week_label,
        month_start,
        month_end,
        month_label,
        quarter_start,
        quarter_end,
        quarter_label
    from {{ ref('dim_calendar') }}
),

periods as (
    select distinct
        'week' as period_grain,
        week_start as period_start,
        week_end as period_end,
        week_label as period_label
    from calendar
    union all
    select distinct
        'month' as period_grain,
        month_start as period_start,
        month_end as period_end,
        month_label as period_label
    from calendar
    union all
    select distinct
        'quarter' as period_grain,
        quarter_start as period_start,
        quarter_end as period_end,
        quarter_label as period_label
    from calendar
),

dated as (
    select
        periods.*,
        {{ stature.report_as_of() }} as as_of,
        {{ stature.day_count('periods.period_start', 'periods.period_end') }} as period_days
    from periods
)

select
    period_grain,
    period_start,
    period_end,
    period_label,
    period_days,
    as_of,
    period_end <= as_of as is_closed,
    case
        when period_end <= as_of then period_days
        when period_start > as_of then 0
        else {{ stature.day_count('period_start', 'as_of') }}
    end as elapsed_days
from dated
