{#- Durations and counts that can never be below zero (NULL is allowed): one test (one scan,
    one node a build) for all of a model's such columns. A failure lists each column with
    negative values (column_name) and on how many rows (negative_rows). -#}
{% test non_negative_columns(model, columns) %}
    {{ stature.columns_where(model, columns, '{column} < 0', 'negative_rows') }}
{% endtest %}


{#- The combination of columns identifies a row. -#}
{% test unique_combination_of_columns(model, combination_of_columns) %}
    select
        {{ combination_of_columns | join(', ') }},
        count(*) as rows_with_key
    from {{ model }}
    group by {{ combination_of_columns | join(', ') }}
    having count(*) > 1
{% endtest %}


{#- A row's deployment (column_name) is a deployment of the row's own service: a change or an
    incident is never linked to another service's deployment. -#}
{% test deployment_of_same_service(model, column_name, deployments, service_column='service_id') %}
    select
        rows_checked.{{ column_name }},
        rows_checked.{{ service_column }},
        deployments.service_id as deployment_service_id
    from {{ model }} as rows_checked
    left join {{ deployments }} as deployments
        on rows_checked.{{ column_name }} = deployments.deployment_id
    where
        rows_checked.{{ column_name }} is not null
        and (
            deployments.deployment_id is null
            or rows_checked.{{ service_column }} is null
            or deployments.service_id <> rows_checked.{{ service_column }}
        )
{% endtest %}


{#- A boolean SQL expression that must hold on every row. -#}
{% test expression_is_true(model, expression) %}
    select *
    from {{ model }}
    where not ({{ expression }})
{% endtest %}


{#- Rows of a staging model whose raw values were present but did not convert: they are NULL
    in the model and named in `invalid_fields` (column_name). Run with warn severity: the row
    still flows, and the run reports what it set aside. -#}
{% test no_values_set_aside(model, column_name) %}
    select {{ column_name }}
    from {{ model }}
    where {{ stature.list_size(column_name) }} > 0
{% endtest %}


{#- A key: no NULL and no value twice (unique and not_null in one query, one node a build). -#}
{% test primary_key(model, column_name) %}
    select
        {{ column_name }},
        count(*) as rows_with_key
    from {{ model }}
    group by {{ column_name }}
    having count(*) > 1 or {{ column_name }} is null
{% endtest %}


{#- None of `columns` is NULL on any row: one test (one scan, one node a build) for a model's
    required columns, where a not_null test per column would make as many nodes. A failure
    lists each column that has NULLs (column_name) and on how many rows (null_rows). -#}
{% test not_null_columns(model, columns) %}
    {{ stature.columns_where(model, columns, '{column} is null', 'null_rows') }}
{% endtest %}


{#- Each column of `columns` (a mapping: column -> its accepted values) holds only those
    values or NULL: one test (one node a build) for a model's coded columns, where an
    accepted_values test per column would make as many nodes. Values are compared as text. A
    failure lists each column (column_name) with each value it should not hold (value) and on
    how many rows (unexpected_rows). -#}
{% test accepted_values_columns(model, columns) %}
    {% for column, accepted in columns.items() -%}
    select
        '{{ column }}' as column_name,
        cast({{ column }} as {{ dbt.type_string() }}) as value,
        count(*) as unexpected_rows
    from {{ model }}
    where
        {{ column }} is not null
        and cast({{ column }} as {{ dbt.type_string() }}) not in (
            {%- for value in accepted %}{{ stature.sql_string(value) }}{{ ', ' if not loop.last }}{% endfor -%}
        )
    group by cast({{ column }} as {{ dbt.type_string() }})
    {% if not loop.last %}union all{% endif %}
    {% endfor %}
{%- endtest %}
