{#- The body of a data test over several columns at once (tests/generic/stature_tests.sql):
    a row for each of `columns` for which `predicate` holds on some rows of `model`, with the
    column's name (column_name) and on how many rows (`count_name`). `predicate` names the
    column as `{column}` (e.g. '{column} is null'). One scan of the model for all the columns,
    and one dbt node, where a test per column makes a node (about 0.1 s of dbt's own) each. -#}
{% macro columns_where(model, columns, predicate, count_name) -%}
    with counts as (
        select
        {%- for column in columns %}
            sum(case when {{ predicate | replace('{column}', column) }} then 1 else 0 end)
            as rows_{{ loop.index }}{{ ',' if not loop.last }}
        {%- endfor %}
        from {{ model }}
    )

    {% for column in columns -%}
    select
        '{{ column }}' as column_name,
        rows_{{ loop.index }} as {{ count_name }}
    from counts
    where rows_{{ loop.index }} > 0
    {% if not loop.last %}union all{% endif %}
    {% endfor %}
{%- endmacro %}
