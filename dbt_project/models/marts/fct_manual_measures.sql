-- One row per manual measure (inputs/*.csv): its period typed as dates. A period is a day
-- ('2026-09-30'), a calendar month ('2026-09') or a fiscal quarter ('2026-Q3': fiscal year
-- 2026 starts in var fiscal_year_start_month of 2026); period_end is the period's last day.
{%- set start_month = var('fiscal_year_start_month') | int %}

with measures as (
    select
        *,
        case
            when {{ stature.regex_matches('period', '^[0-9]{4}-[0-9]{2}-[0-9]{2}$') }} then 'day'
            when {{ stature.regex_matches('period', '^[0-9]{4}-[0-9]{2}$') }} then 'month'
            when {{ stature.regex_matches('period', '^[0-9]{4}-Q[1-4]$') }} then 'quarter'
        end as period_grain
    from {{ ref('stg_inputs__measures') }}
),

typed as (
    select
        *,
        case period_grain
            when 'day' then cast(period as date)
            when 'month' then cast(period || '-01' as date)
            when 'quarter' then cast({{ dbt.dateadd(
                'month',
                '3 * (cast(substr(period, 7, 1) as integer) - 1)',
                "cast(substr(period, 1, 4) || '-" ~ '%02d' % start_month ~ "-01' as date)"
            ) }} as date)
        end as period_start
    from measures
)

select
    period as period_text,
    period_start,
    case period_grain
        when 'day' then period_start
        when 'month' then cast({{ dbt.dateadd('day', -1, dbt.dateadd('month', 1, 'period_start')) }} as date)
        when 'quarter' then cast({{ dbt.dateadd('day', -1, dbt.dateadd('month', 3, 'period_start')) }} as date)
    end as period_end,
    period_grain,
    entity_type,
    entity_id,
    measure_id,
    value,
    unit,
    measure_source as source,
    source_file,
    line
from typed
where period_grain is not null
