{#-
    The Spark SQL (dbt-spark) forms of the macros in cross_database.sql, one `spark__` variant
    per `default__` (DuckDB) form, run by the engine-parity tests (make test-spark). Spark
    string literals take backslash escapes, its regular expressions are Java's (as RE2 for the
    patterns Stature uses), its timestamps are TIMESTAMP in the session time zone (UTC), which
    holds the same instants as DuckDB's TIMESTAMPTZ.
-#}

{#- Backslash and quote escaped: Spark reads `''` as two adjacent literals, not a quote. -#}
{% macro spark__sql_string(value) -%}
    '{{ value | string | replace("\\", "\\\\") | replace("'", "\\'") }}'
{%- endmacro %}


{#- DuckDB's type names in the models' casts, as Spark spells them. -#}
{% macro _spark_type(type) -%}
    {%- set spark_types = {
        'timestamptz': 'timestamp', 'timestamp with time zone': 'timestamp',
        'varchar': 'string', 'text': 'string', 'hugeint': 'decimal(38, 0)',
        'varchar[]': 'array<string>'
    } -%}
    {{- spark_types.get(type | lower | trim, type) -}}
{%- endmacro %}


{% macro spark__json_text(column, path) -%}
    get_json_object({{ column }}, {{ stature.sql_string(path) }})
{%- endmacro %}


{#- Spark's casts also read the special values 'epoch', 'now', 'today', 'yesterday' and
    'tomorrow' as dates and timestamps; DuckDB does not, so a date or timestamp must start
    with a digit. -#}
{% macro spark__try_cast(expression, type) -%}
    {%- set spark_type = stature._spark_type(type) -%}
    {%- if spark_type in ('timestamp', 'date') -%}
        case
            when ltrim(cast({{ expression }} as string)) rlike '^[0-9]'
                then try_cast({{ expression }} as {{ spark_type }})
        end
    {%- else -%}
        try_cast({{ expression }} as {{ spark_type }})
    {%- endif -%}
{%- endmacro %}


{% macro spark__invalid_fields(fields) -%}
    {%- if fields -%}
        filter(array({{ stature._invalid_field_items(fields) }}), field -> field is not null)
    {%- else -%}
        {{ stature.empty_text_list() }}
    {%- endif -%}
{%- endmacro %}


{#- Each `[*]` of the path reads the array there as JSON texts (from_json keeps an element
    that is an object or array as its JSON text) and goes on from every element; elements
    without the rest of the path are left out, as DuckDB's wildcard does. -#}
{% macro spark__json_text_list(column, path) -%}
    {%- set parts = path.split('[*]') -%}
    {%- set list = namespace(
        sql='from_json(get_json_object(' ~ column ~ ', ' ~ stature.sql_string(parts[0]) ~ "), 'array<string>')"
    ) -%}
    {%- for part in parts[1:] -%}
        {%- set element = 'element_' ~ loop.index -%}
        {%- if not loop.last -%}
            {%- set list.sql = 'flatten(transform(' ~ list.sql ~ ', ' ~ element ~ ' -> coalesce(from_json(get_json_object('
                ~ element ~ ', ' ~ stature.sql_string('$' ~ part) ~ "), 'array<string>'), cast(array() as array<string>))))" -%}
        {%- elif part -%}
            {%- set list.sql = 'filter(transform(' ~ list.sql ~ ', ' ~ element ~ ' -> get_json_object(' ~ element ~ ', '
                ~ stature.sql_string('$' ~ part) ~ ')), ' ~ element ~ '_value -> ' ~ element ~ '_value is not null)' -%}
        {%- endif -%}
    {%- endfor -%}
    coalesce({{ list.sql }}, {{ stature.empty_text_list() }})
{%- endmacro %}


{% macro spark__json_value(column, path) -%}
    get_json_object({{ column }}, {{ stature.sql_string(path) }})
{%- endmacro %}


{% macro spark__type_timestamptz() -%}timestamp{%- endmacro %}


{% macro spark__type_text_list() -%}array<string>{%- endmacro %}


{% macro spark__regex_matches(expression, pattern) -%}
    coalesce({{ expression }} rlike {{ stature.sql_string(pattern) }}, false)
{%- endmacro %}


{% macro spark__regex_extract_all(expression, pattern) -%}
    regexp_extract_all({{ expression }}, {{ stature.sql_string(pattern) }}, 0)
{%- endmacro %}


{#- Spark's split takes a regular expression: the separator is quoted as a literal. -#}
{% macro spark__split_text(expression, separator) -%}
    split({{ expression }}, {{ stature.sql_string('\\Q' ~ separator ~ '\\E') }}, -1)
{%- endmacro %}


{% macro spark__list_has(list_expression, value) -%}
    coalesce(array_contains({{ list_expression }}, {{ value }}), false)
{%- endmacro %}


{% macro spark__list_join(list_expression, separator) -%}
    array_join({{ list_expression }}, {{ stature.sql_string(separator) }})
{%- endmacro %}


{#- array_size, not size: size(NULL) is -1 unless ANSI mode is on. -#}
{% macro spark__list_size(list_expression) -%}
    array_size({{ list_expression }})
{%- endmacro %}


{% macro spark__list_at(list_expression, index) -%}
    try_element_at({{ list_expression }}, {{ index }})
{%- endmacro %}


{% macro spark__unnest_list(list_expression, alias, column) -%}
    cross join lateral explode({{ list_expression }}) as {{ alias }} ({{ column }})
{%- endmacro %}


{#- Microseconds to seconds in double arithmetic, as DuckDB's epoch() (a decimal literal
    divisor would make it decimal arithmetic). -#}
{% macro spark__epoch_seconds(expression) -%}
    (cast(unix_micros(cast({{ expression }} as timestamp)) as double) / cast(1000000 as double))
{%- endmacro %}


{% macro spark__add_hours(expression, hours) -%}
    timestampadd(second, cast(({{ hours }}) * 3600 as bigint), {{ expression }})
{%- endmacro %}


{% macro spark__to_local_timestamp(expression, timezone) -%}
    from_utc_timestamp({{ expression }}, {{ stature.sql_string(timezone) }})
{%- endmacro %}


{% macro spark__percentile(expression, fraction) -%}
    cast(percentile(cast({{ expression }} as double), {{ fraction }}) as double)
{%- endmacro %}


{% macro spark__stable_sum(expression) -%}
    aggregate(
        array_sort(collect_list(cast({{ expression }} as double))),
        cast(null as double),
        (total, v) -> coalesce(total, cast(0 as double)) + v
    )
{%- endmacro %}


{% macro spark__day_of_year(expression) -%}
    dayofyear({{ expression }})
{%- endmacro %}


{% macro spark__json_annotation(column, key) -%}
    nullif(trim(get_json_object({{ column }}, {{ stature.sql_string("$.metadata.annotations['" ~ key ~ "']") }})), '')
{%- endmacro %}


{% macro spark__from_epoch_ms(expression) -%}
    timestamp_micros(try_cast(try_cast({{ expression }} as double) * 1000 as bigint))
{%- endmacro %}


{% macro spark__first_value_ignore_nulls(expression) -%}
    first_value({{ expression }}, true)
{%- endmacro %}


{% macro spark__last_value_ignore_nulls(expression) -%}
    last_value({{ expression }}, true)
{%- endmacro %}


{% macro spark__regex_matches_expression(expression, pattern_expression) -%}
    coalesce({{ expression }} rlike {{ pattern_expression }}, false)
{%- endmacro %}


{% macro spark__empty_text_list() -%}
    cast(array() as array<string>)
{%- endmacro %}


{% macro _json_struct_spark_schema(spec) -%}
    {%- set parts = [] -%}
    {%- for key, value in spec.items() -%}
        {%- if value is mapping -%}
            {%- do parts.append('`' ~ key ~ '`: struct<' ~ stature._json_struct_spark_schema(value) ~ '>') -%}
        {%- else -%}
            {%- do parts.append('`' ~ key ~ '`: string') -%}
        {%- endif -%}
    {%- endfor -%}
    {{ parts | join(', ') }}
{%- endmacro %}
{% macro spark__json_struct(column, spec) -%}
    from_json({{ column }}, {{ stature.sql_string('struct<' ~ stature._json_struct_spark_schema(spec) ~ '>') }})
{%- endmacro %}


{#- dbt.listagg on Spark: dbt-spark's form drops the order (collect_list) and gives '' for a
    group without values; Spark 4's own listagg keeps both as DuckDB's string_agg does. -#}
{% macro spark__listagg(measure, delimiter_text, order_by_clause, limit_num) -%}
    {%- if limit_num -%}
        {{ exceptions.raise_compiler_error("stature's spark__listagg takes no limit_num") }}
    {%- endif -%}
    listagg({{ measure }}, {{ delimiter_text }})
    {%- if order_by_clause %} within group ({{ order_by_clause }}){% endif %}
{%- endmacro %}
