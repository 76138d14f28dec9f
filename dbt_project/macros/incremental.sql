{#-
    How the incremental models choose what to write (docs/operations.md, "What each night
    recomputes"). The intermediate models are rebuilt from all history every night, so they
    see every late or changed record; an incremental model compares what it computes with what
    it holds and writes only the rows that differ (strategy delete+insert on its key), then
    deletes the rows whose key is gone. Nothing is selected by event time, so there is no
    lookback window to miss an event that arrives late. GitHub's large staging models choose
    by landing instead (landed_since_last_build, below): what a night read is what landed.
-#}

{#- The rows of CTE `computed` that are new or differ, in any column but `ignore`, from the
    model's stored row with the same `keys` (a list of columns; every row on a full build).
    Columns are compared with `is distinct from`, so NULLs compare equal and a change to or
    from NULL counts. -#}
{% macro changed_rows(computed, keys, ignore=[]) -%}
    {%- if is_incremental() -%}
        {%- set columns = adapter.get_columns_in_relation(this) -%}
        select {{ computed }}.*
        from {{ computed }}
        left join {{ this }} as stored
            on
            {%- for key in keys %}
                {{ 'and ' if not loop.first }}{{ computed }}.{{ key }} = stored.{{ key }}
            {%- endfor %}
        where
            stored.{{ keys[0] }} is null
            {%- for column in columns if column.name not in ignore and column.name not in keys %}
            or {{ computed }}.{{ adapter.quote(column.name) }} is distinct from stored.{{ adapter.quote(column.name) }}
            {%- endfor %}
    {%- else -%}
        select * from {{ computed }}
    {%- endif -%}
{%- endmacro %}


{#- The incremental models' materialization: `incremental` on DuckDB; on Spark a table rebuilt
    from all history each build (plain Parquet tables take no row deletes, and a full rebuild
    writes the same rows), so their delete post-hooks below render nothing there. -#}
{% macro incremental_or_table() -%}
    {{- return('table' if target.type == 'spark' else 'incremental') -}}
{%- endmacro %}


{#- A post-hook: delete the model's rows whose `keys` no longer appear in `source` (a
    deployment no longer counted as production, a change re-attributed to another service).
    Nothing unless the model is incremental. -#}
{% macro delete_gone_rows(keys, source) -%}
    {%- if model.config.materialized == 'incremental' -%}
    delete from {{ this }} as stored
    where not exists (
        select 1 from {{ source }} as computed
        where
        {%- for key in keys %}
            {{ 'and ' if not loop.first }}computed.{{ key }} = stored.{{ key }}
        {%- endfor %}
    )
    {%- endif -%}
{%- endmacro %}


{#- A timestamp literal of this dbt invocation's start: the `built_at` of the rows a model
    writes in this build (unchanged rows keep the build that last wrote them). -#}
{% macro build_started_at() -%}
    cast('{{ run_started_at.strftime("%Y-%m-%d %H:%M:%S.%f") }}' as timestamp)
{%- endmacro %}


{#- dora_metrics' post-hook: delete the stored periods no longer on its spine (see the model):
    a period before the entity's first period with an event, or after the org's last one.
    Nothing unless the model is incremental. -#}
{% macro delete_dora_periods_off_the_spine(events) -%}
    {%- if model.config.materialized == 'incremental' -%}
    {%- set entities = [('service', 'service_id'), ('team', 'team_id'), ('org', "'org'")] -%}
    delete from {{ this }} as stored
    where
        not exists (
            select 1
            from (
                {%- for grain in ['week', 'month', 'quarter'] %}
                {%- set outer = loop %}
                {%- for entity_type, entity_id in entities %}
                select
                    '{{ grain }}' as period_grain,
                    '{{ entity_type }}' as entity_type,
                    {{ entity_id }} as entity_id,
                    min({{ grain }}_start) as first_period_start
                from {{ events }}
                where {{ entity_id }} is not null
                group by {{ entity_id }}
                {% if not (outer.last and loop.last) %}union all{% endif %}
                {%- endfor %}
                {%- endfor %}
            ) as firsts
            where
                firsts.period_grain = stored.period_grain
                and firsts.entity_type = stored.entity_type
                and firsts.entity_id = stored.entity_id
                and firsts.first_period_start <= stored.period_start
        )
        or stored.period_start > (
            select
                case stored.period_grain
                    when 'week' then max(events.week_start)
                    when 'month' then max(events.month_start)
                    else max(events.quarter_start)
                end
            from {{ events }} as events
        )
    {%- endif -%}
{%- endmacro %}


{#- The staging models that are not incremental: tables on DuckDB, views on Spark (as the
    staging folder's default in dbt_project.yml). -#}
{% macro table_or_view() -%}
    {{- return('view' if target.type == 'spark' else 'table') -}}
{%- endmacro %}


{#- The raw rows a staging model reads: all of `relation` on a full build; on an incremental
    one, every row (every version) of each record that has a row landed since the model's
    last build, known by the landing's load id (`_dlt_load_id`, which grows with each
    landing; the model keeps its rows' load ids). The model replaces its rows of those
    records (strategy delete+insert on its key), so a late or older version is weighed
    against the others as on a full build. -#}
{% macro landed_since_last_build(relation, keys) -%}
    {%- if is_incremental() -%}
    (
        select landed.*
        from {{ relation }} as landed
        where exists (
            select 1
            from {{ relation }} as fresh
            where
                fresh._dlt_load_id > (select coalesce(max(_dlt_load_id), '') from {{ this }})
                {%- for key in keys %}
                and fresh.{{ key }} = landed.{{ key }}
                {%- endfor %}
        )
    )
    {%- else -%}
    {{ relation }}
    {%- endif -%}
{%- endmacro %}
