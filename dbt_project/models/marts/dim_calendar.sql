{#-
    One row per local calendar day (var stature_timezone) from var calendar_first_day to var
    calendar_last_day: its ISO week, month and fiscal quarter (var fiscal_year_start_month).
    The one fiscal calendar: the reporting views read it, the period macros build it.
-#}
with calendar as (
    {{ stature.fiscal_calendar(
        var('fiscal_year_start_month'), var('calendar_first_day'), var('calendar_last_day')
    ) }}
)

select
    date_day,
    week_start,
    week_end,
    week_label,
    month_start,
    month_end,
    month_label,
    fiscal_year,
    fiscal_quarter,
    quarter_label,
    quarter_start,
    quarter_end,
    fiscal_year_start_month,
    {{ stature.sql_string(var('stature_timezone')) }} as timezone
from calendar
