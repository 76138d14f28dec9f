{#-
    The table materialization on DuckDB: one `create or replace table ... as` in a transaction.

    dbt-duckdb's own builds `<model>__dbt_tmp`, drops the old table's indexes, renames the old
    table to `<model>__dbt_backup` and the new one into place, commits, then drops the backup:
    six statements and as many trips through dbt's relation cache per model, for the 54 table
    models of a nightly. DuckDB replaces a table in one statement, and a build that fails rolls
    back to the old table just as the swap does.

    A model with a contract gets its declared columns and types (`create or replace table` with
    the column list, then `insert`), checked first as dbt-duckdb checks them. A model that asks
    for partitioning, sorting or Python, which this project's models do not use, is refused
    with a message rather than built without it. Spark builds with dbt-spark's own
    materialization.
-#}
{% materialization table, adapter="duckdb", supported_languages=['sql'] %}
    {%- set target_relation = this.incorporate(type='table') -%}
    {%- set existing_relation = load_cached_relation(this) -%}
    {%- for option in ['partitioned_by', 'sorted_by'] if config.get(option) -%}
        {{ exceptions.raise_compiler_error(
            "model " ~ this ~ " sets " ~ option ~ ", which this project's table "
            ~ "materialization (macros/table_duckdb.sql) does not build: remove it or extend the macro") }}
    {%- endfor -%}

    {#- What an interrupted build by dbt-duckdb's materialization may have left -#}
    {{ drop_relation_if_exists(load_cached_relation(make_intermediate_relation(target_relation))) }}
    {{ drop_relation_if_exists(load_cached_relation(make_backup_relation(target_relation, 'table'))) }}

    {{ run_hooks(pre_hooks, inside_transaction=False) }}
    {{ run_hooks(pre_hooks, inside_transaction=True) }}

    {%- if existing_relation is not none and not existing_relation.is_table %}
        {#- a view of the same name (the model was a view before): replaced by the table -#}
        {{ adapter.drop_relation(existing_relation) }}
    {%- endif %}

    {% call statement('main') -%}
        {%- set sql_header = config.get('sql_header', none) -%}
        {{ sql_header if sql_header is not none }}
        {%- if config.get('contract').enforced %}
        {#- the columns are checked against the contract first, as dbt-duckdb checks them -#}
        {{ get_assert_columns_equivalent(compiled_code) }}
        create or replace table {{ target_relation }} {{ get_table_columns_and_constraints() }};
        insert into {{ target_relation }} {{ get_column_names() }} (
            {{ get_select_subquery(compiled_code) }}
        );
        {%- else %}
        create or replace table {{ target_relation }} as (
            {{ compiled_code }}
        );
        {%- endif %}
    {%- endcall %}

    {% do create_indexes(target_relation) %}
    {{ run_hooks(post_hooks, inside_transaction=True) }}
    {% do apply_grants(target_relation, config.get('grants'), should_revoke=should_revoke(existing_relation, full_refresh_mode=True)) %}
    {% do persist_docs(target_relation, model) %}
    {{ adapter.commit() }}
    {{ run_hooks(post_hooks, inside_transaction=False) }}

    {{ return({'relations': [target_relation]}) }}
{% endmaterialization %}
