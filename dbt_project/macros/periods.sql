{#-
    Reporting periods of a local calendar date (already converted with to_local_date):
    ISO weeks start on Monday; fiscal quarters start in `fiscal_year_start_month`, and a fiscal
    year is named by the calendar year in which it starts (start month 4: 2026-04-01 opens
    2026-Q1, 2027-03-31 closes 2026-Q4).
-#}

{% macro week_start(local_date) -%}
    cast({{ dbt.date_trunc('week', local_date) }} as date)
{%- endmacro %}


{% macro month_start(local_date) -%}
    cast({{ dbt.date_trunc('month', local_date) }} as date)
{%- endmacro %}


{#- Months since the start of the fiscal year (0..11). -#}
{% macro fiscal_month_index(local_date, start_month) -%}
    ((cast(extract(month from {{ local_date }}) as integer) - {{ start_month | int }} + 12) % 12)
{%- endmacro %}


{% macro fiscal_quarter_start(local_date, start_month) -%}
    cast({{ dbt.dateadd(
        'month',
        '-(' ~ stature.fiscal_month_index(local_date, start_month) ~ ' % 3)',
        stature.month_start(local_date)
    ) }} as date)
{%- endmacro %}


{% macro fiscal_year(local_date, start_month) -%}
    (cast(extract(year from {{ local_date }}) as integer)
        - case
            when cast(extract(month from {{ local_date }}) as integer) < {{ start_month | int }}
                then 1
            else 0
        end)
{%- endmacro %}


{% macro fiscal_quarter_number(local_date, start_month) -%}
    (cast(floor({{ stature.fiscal_month_index(local_date, start_month) }} / 3) as integer) + 1)
{%- endmacro %}


{#- '2026-Q1' -#}
{% macro fiscal_quarter_label(local_date, start_month) -%}
    cast({{ stature.fiscal_year(local_date, start_month) }} as string)
    || '-Q'
    || cast({{ stature.fiscal_quarter_number(local_date, start_month) }} as string)
{%- endmacro %}


{#- '2026-01' -#}
{% macro month_label(local_date) -%}
    cast(extract(year from {{ local_date }}) as string)
    || '-'
    || lpad(cast(extract(month from {{ local_date }}) as string), 2, '0')
{%- endmacro %}


{#- '2026-W03': the ISO year and week are those of the week's Thursday. -#}
{% macro iso_week_label(local_date) -%}
    cast(extract(year from {{ dbt.dateadd('day', 3, stature.week_start(local_date)) }}) as string)
    || '-W'
    || lpad(cast(
        cast(floor(({{ stature.day_of_year(dbt.dateadd('day', 3, stature.week_start(local_date))) }} - 1) / 7) as integer) + 1
        as string), 2, '0')
{%- endmacro %}


{#- Period start and label of a local date for a grain: week, month or quarter. -#}
{% macro period_start(grain, local_date, start_month) -%}
    {%- if grain == 'week' -%}{{ stature.week_start(local_date) }}
    {%- elif grain == 'month' -%}{{ stature.month_start(local_date) }}
    {%- elif grain == 'quarter' -%}{{ stature.fiscal_quarter_start(local_date, start_month) }}
    {%- else -%}{{ exceptions.raise_compiler_error("unknown period grain " ~ grain) }}
    {%- endif -%}
{%- endmacro %}


{% macro period_label(grain, local_date, start_month) -%}
    {%- if grain == 'week' -%}{{ stature.iso_week_label(local_date) }}
    {%- elif grain == 'month' -%}{{ stature.month_label(local_date) }}
    {%- elif grain == 'quarter' -%}{{ stature.fiscal_quarter_label(local_date, start_month) }}
    {%- else -%}{{ exceptions.raise_compiler_error("unknown period grain " ~ grain) }}
    {%- endif -%}
{%- endmacro %}


{#- The day after the period that starts at `start_date`. -#}
{% macro period_end_exclusive(grain, start_date) -%}
    {%- if grain == 'week' -%}cast({{ dbt.dateadd('day', 7, start_date) }} as date)
    {%- elif grain == 'month' -%}cast({{ dbt.dateadd('month', 1, start_date) }} as date)
    {%- elif grain == 'quarter' -%}cast({{ dbt.dateadd('month', 3, start_date) }} as date)
    {%- else -%}{{ exceptions.raise_compiler_error("unknown period grain " ~ grain) }}
    {%- endif -%}
{%- endmacro %}


{#- Quarter end (last day) of a fiscal quarter starting at `start_date`. -#}
{% macro period_end(grain, start_date) -%}
    cast({{ dbt.dateadd('day', -1, stature.period_end_exclusive(grain, start_date)) }} as date)
{%- endmacro %}


{#-
    The fiscal calendar: one row per local calendar day from `first_day` to `last_day` (ISO
    dates as text) with its ISO week, month and fiscal quarter for a fiscal year starting in
    `start_month`. marts.dim_calendar is this with the org's settings; the Python side
    (dagster_project/maturity/quarters.py) is tested against it for every start month.
-#}
{% macro fiscal_calendar(start_month, first_day, last_day) -%}
    {%- set first = "cast('" ~ first_day ~ "' as date)" -%}
    {%- set last = "cast('" ~ last_day ~ "' as date)" -%}
    with digits as (
        select 0 as digit
        {%- for digit in range(1, 10) %}
        union all
        select {{ digit }}
        {%- endfor %}
    ),

    day_numbers as (
        select
            ones.digit + 10 * tens.digit + 100 * hundreds.digit + 1000 * thousands.digit
            + 10000 * ten_thousands.digit as day_number
        from digits as ones
        cross join digits as tens
        cross join digits as hundreds
        cross join digits as thousands
        cross join digits as ten_thousands
    ),

    days as (
        select cast({{ dbt.dateadd('day', 'day_number', first) }} as date) as date_day
        from day_numbers
        where day_number <= {{ dbt.datediff(first, last, 'day') }}
    ),

    placed as (
        select
            date_day,
            {{ stature.week_start('date_day') }} as week_start,
            {{ stature.month_start('date_day') }} as month_start,
            {{ stature.fiscal_quarter_start('date_day', start_month) }} as quarter_start,
            {{ stature.fiscal_year('date_day', start_month) }} as fiscal_year,
            {{ stature.fiscal_quarter_number('date_day', start_month) }} as fiscal_quarter
        from days
    )

    select
        date_day,
        week_start,
        {{ stature.period_end('week', 'week_start') }} as week_end,
        {{ stature.iso_week_label('date_day') }} as week_label,
        month_start,
        {{ stature.period_end('month', 'month_start') }} as month_end,
        {{ stature.month_label('date_day') }} as month_label,
        fiscal_year,
        fiscal_quarter,
        {{ stature.fiscal_quarter_label('date_day', start_month) }} as quarter_label,
        quarter_start,
        {{ stature.period_end('quarter', 'quarter_start') }} as quarter_end,
        cast({{ start_month | int }} as integer) as fiscal_year_start_month
    from placed
{%- endmacro %}


{#-
    The as-of date of the reporting views: the run's evaluation date, which the nightly passes
    in the environment (STATURE_AS_OF: a var would change every night, and dbt re-parses the
    whole project whenever a var changes), else var as_of, else today in var stature_timezone.
-#}
{% macro report_as_of() -%}
    {%- if env_var('STATURE_AS_OF', '') -%}
        cast({{ stature.sql_string(env_var('STATURE_AS_OF')) }} as date)
    {%- elif var('as_of', none) -%}
        cast({{ stature.sql_string(var('as_of')) }} as date)
    {%- else -%}
        {{ stature.to_local_date('current_timestamp', var('stature_timezone')) }}
    {%- endif -%}
{%- endmacro %}


{#- Days from `start_date` to `end_date`, both included (a date to itself: 1). -#}
{% macro day_count(start_date, end_date) -%}
    ({{ dbt.datediff(start_date, end_date, 'day') }} + 1)
{%- endmacro %}
