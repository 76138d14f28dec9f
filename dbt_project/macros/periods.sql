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
    cast({{ stature.fiscal_year(local_date, start_month) }} as varchar)
    || '-Q'
    || cast({{ stature.fiscal_quarter_number(local_date, start_month) }} as varchar)
{%- endmacro %}


{#- '2026-01' -#}
{% macro month_label(local_date) -%}
    cast(extract(year from {{ local_date }}) as varchar)
    || '-'
    || lpad(cast(extract(month from {{ local_date }}) as varchar), 2, '0')
{%- endmacro %}


{#- '2026-W03': the ISO year and week are those of the week's Thursday. -#}
{% macro iso_week_label(local_date) -%}
    cast(extract(year from {{ dbt.dateadd('day', 3, stature.week_start(local_date)) }}) as varchar)
    || '-W'
    || lpad(cast(
        cast(floor(({{ stature.day_of_year(dbt.dateadd('day', 3, stature.week_start(local_date))) }} - 1) / 7) as integer) + 1
        as varchar), 2, '0')
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
