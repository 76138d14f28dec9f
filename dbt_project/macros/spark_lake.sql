{#-
    The Spark engine's two ends (dagster_project/engines.py). Stature lands the raw tables in
    DuckDB as on the default engine, writes each as Parquet under the lake folder
    (<lake>/raw/<schema>/<table>/) and names them in STATURE_LAKE_TABLES; the models step
    registers them as Spark tables before it builds (on-run-start), and every mart writes its
    rows back as Parquet (<lake>/marts/<table>/, a post-hook), which Stature loads into the
    DuckDB warehouse for the rules, the snapshots, the reporting models and publish.
    On DuckDB both macros render nothing.
-#}

{% macro lake_path(kind, schema, name) -%}
    {{- env_var('STATURE_LAKE') ~ '/' ~ kind ~ '/' ~ schema ~ '/' ~ name -}}
{%- endmacro %}


{% macro register_lake_tables() -%}
    {%- if target.type == 'spark' and execute -%}
        {%- set listed = env_var('STATURE_LAKE_TABLES', '') -%}
        {%- for qualified in listed.split(',') if qualified -%}
            {%- set schema, name = qualified.split('.') -%}
            {%- do run_query('create database if not exists ' ~ schema) -%}
            {%- do run_query('drop table if exists ' ~ qualified) -%}
            {%- do run_query(
                'create table ' ~ qualified ~ ' using parquet location '
                ~ stature.sql_string(stature.lake_path('raw', schema, name))
            ) -%}
        {%- endfor -%}
    {%- endif -%}
{%- endmacro %}


{% macro copy_to_lake() -%}
    {%- if target.type == 'spark' -%}
        insert overwrite directory {{ stature.sql_string(stature.lake_path('out', this.schema, this.identifier)) }}
        using parquet
        select * from {{ this }}
    {%- endif -%}
{%- endmacro %}
