{#-
    A chain of CTEs whose every step reads the step before it, often twice (the pointer-jumping
    levels of the commit-graph models). `steps` is a list of [name, sql] in order; a step's
    sql reads earlier steps by their name. Render it after `with`; the steps are followed by a
    comma, so the model goes on with its own CTEs:

        with {{ stature.staged_ctes(steps) }}
        mainline as (...)

    DuckDB plans the chain as plain CTEs. Spark inlines every reference to a CTE, so a chain of
    n levels that each read the level before twice is a plan of 2^n copies and never finishes
    planning: on Spark each step is written as a table (<model>__<step>, next to the model,
    while the model is compiled for its run) and the CTE of that name reads the table.
-#}
{% macro staged_ctes(steps) -%}
    {{ return(adapter.dispatch('staged_ctes', 'stature')(steps)) }}
{%- endmacro %}

{% macro default__staged_ctes(steps) -%}
    {%- for name, sql in steps %}
{{ name }} as (
    {{ sql | indent(4) }}
),
{% endfor -%}
{%- endmacro %}

{% macro _staged_step_table(name) -%}
    {{- this.schema ~ '.' ~ this.identifier ~ '__' ~ name -}}
{%- endmacro %}

{% macro spark__staged_ctes(steps) -%}
    {%- set done = [] -%}
    {%- for name, sql in steps -%}
        {%- if execute -%}
            {%- set earlier = [] -%}
            {%- for earlier_name in done -%}
                {%- do earlier.append(earlier_name ~ ' as (select * from ' ~ stature._staged_step_table(earlier_name) ~ ')') -%}
            {%- endfor -%}
            {%- do run_query('drop table if exists ' ~ stature._staged_step_table(name)) -%}
            {%- do run_query(
                'create table ' ~ stature._staged_step_table(name) ~ ' using parquet as\n'
                ~ ('with ' ~ earlier | join(',\n') ~ '\n' if earlier else '')
                ~ sql
            ) -%}
        {%- endif -%}
        {%- do done.append(name) %}
{{ name }} as (
    select * from {{ stature._staged_step_table(name) }}
),
{% endfor -%}
{%- endmacro %}
