{#-
    dbt-spark loads seed rows with `%r`-style bindings, which on the session method turn an
    empty CSV cell (None) into the text 'None'. The same insert with literals instead, an
    empty cell NULL as on DuckDB (dbt's default__load_csv_rows is untouched).
-#}
{% macro spark__load_csv_rows(model, agate_table) %}
    {%- set column_override = model['config'].get('column_types', {}) -%}
    {%- set statements = [] -%}
    {%- for chunk in agate_table.rows | batch(get_batch_size()) -%}
        {%- set sql -%}
            insert into {{ this.render() }} values
            {% for row in chunk -%}
                ({%- for col_name in agate_table.column_names -%}
                    {%- set type = column_override.get(col_name, adapter.convert_type(agate_table, loop.index0)) -%}
                    {%- set value = row[loop.index0] -%}
                    cast(
                    {%- if value is none -%}null
                    {%- elif value is sameas true or value is sameas false -%}{{ 'true' if value else 'false' }}
                    {%- elif value is number -%}{{ value }}
                    {%- else -%}{{ stature.sql_string(value) }}
                    {%- endif %} as {{ type }})
                    {%- if not loop.last %}, {% endif -%}
                {%- endfor -%})
                {%- if not loop.last %},{% endif %}
            {% endfor %}
        {%- endset -%}
        {%- do adapter.add_query(sql, abridge_sql_log=True) -%}
        {%- if loop.first -%}{%- do statements.append(sql) -%}{%- endif -%}
    {%- endfor -%}
    {{ return(statements[0]) }}
{% endmacro %}
