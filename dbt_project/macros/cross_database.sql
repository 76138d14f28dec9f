{#-
    Engine-specific SQL behind one name each, dispatched by adapter, so models stay portable:
    `default__` is the DuckDB form; the `spark__` forms are in cross_database_spark.sql, run by
    the engine-parity tests (make test-spark). Forms no engine's tests run are not kept.
-#}

{#- A SQL string literal of a Python/Jinja value (quotes doubled). -#}
{% macro sql_string(value) -%}
    {{ return(adapter.dispatch('sql_string', 'stature')(value)) }}
{%- endmacro %}
{% macro default__sql_string(value) -%}
    '{{ value | string | replace("'", "''") }}'
{%- endmacro %}


{#- Text at a JSONPath ('$.a.b') of a JSON column; NULL when absent. -#}
{% macro json_text(column, path) -%}
    {{ return(adapter.dispatch('json_text', 'stature')(column, path)) }}
{%- endmacro %}
{% macro default__json_text(column, path) -%}
    json_extract_string({{ column }}, '{{ path }}')
{%- endmacro %}


{#- A cast that never fails on a value: NULL where the value does not convert. Staging casts
    every raw value this way, so one bad value (`"merged_at": "yesterday"`) never stops the
    build; `invalid_fields` below names what was set aside. -#}
{% macro try_cast(expression, type) -%}
    {{ return(adapter.dispatch('try_cast', 'stature')(expression, type)) }}
{%- endmacro %}
{% macro default__try_cast(expression, type) -%}
    try_cast({{ expression }} as {{ type }})
{%- endmacro %}


{#- try_cast, and note the field in `fields` (a list the model passes to invalid_fields at
    the end): `{{ stature.checked_cast(casts, 'merged_at', 'pull.merged_at', 'timestamptz') }}`.
    Declaring each cast once keeps the check and the cast from drifting apart. -#}
{% macro checked_cast(fields, name, expression, type) -%}
    {%- set invalid -%}
        ({{ expression }}) is not null and {{ stature.try_cast(expression, type) }} is null
    {%- endset -%}
    {%- do fields.append([name, invalid]) -%}
    {{ stature.try_cast(expression, type) }}
{%- endmacro %}


{#- Note a field in `fields` that is invalid when `invalid_condition` holds (a format a cast
    cannot check, such as a list of `team@date` entries). Renders nothing. -#}
{% macro checked_condition(fields, name, invalid_condition) -%}
    {%- do fields.append([name, invalid_condition]) -%}
{%- endmacro %}


{#- The names of the fields whose raw value was present but did not convert (a list of text,
    empty when all converted): `fields` as collected by checked_cast / checked_condition. -#}
{% macro invalid_fields(fields) -%}
    {{ return(adapter.dispatch('invalid_fields', 'stature')(fields)) }}
{%- endmacro %}
{% macro _invalid_field_items(fields) -%}
    {%- for name, invalid in fields -%}
        case when {{ invalid }} then {{ stature.sql_string(name) }} end{{ ', ' if not loop.last }}
    {%- endfor -%}
{%- endmacro %}
{% macro default__invalid_fields(fields) -%}
    {%- if fields -%}
        list_filter([{{ stature._invalid_field_items(fields) }}], lambda field: field is not null)
    {%- else -%}
        {{ stature.empty_text_list() }}
    {%- endif -%}
{%- endmacro %}


{#- An ISO-8601 timestamp at a JSONPath as a UTC timestamp with time zone (NULL when it is
    not one). -#}
{% macro json_timestamp(column, path) -%}
    {{ stature.try_cast(stature.json_text(column, path), stature.type_timestamptz()) }}
{%- endmacro %}


{#- The strings at a JSONPath with a wildcard ('$.labels[*].name') as a list of text. -#}
{% macro json_text_list(column, path) -%}
    {{ return(adapter.dispatch('json_text_list', 'stature')(column, path)) }}
{%- endmacro %}
{% macro default__json_text_list(column, path) -%}
    coalesce(json_extract_string({{ column }}, '{{ path }}'), {{ stature.empty_text_list() }})
{%- endmacro %}


{#- A JSON sub-document at a JSONPath, kept as JSON. -#}
{% macro json_value(column, path) -%}
    {{ return(adapter.dispatch('json_value', 'stature')(column, path)) }}
{%- endmacro %}
{% macro default__json_value(column, path) -%}
    json_extract({{ column }}, '{{ path }}')
{%- endmacro %}


{% macro type_timestamptz() -%}
    {{ return(adapter.dispatch('type_timestamptz', 'stature')()) }}
{%- endmacro %}
{% macro default__type_timestamptz() -%}timestamptz{%- endmacro %}


{% macro type_text_list() -%}
    {{ return(adapter.dispatch('type_text_list', 'stature')()) }}
{%- endmacro %}
{% macro default__type_text_list() -%}varchar[]{%- endmacro %}


{#- True when `expression` matches the regular expression `pattern` (RE2 / Java syntax). -#}
{% macro regex_matches(expression, pattern) -%}
    {{ return(adapter.dispatch('regex_matches', 'stature')(expression, pattern)) }}
{%- endmacro %}
{% macro default__regex_matches(expression, pattern) -%}
    coalesce(regexp_matches({{ expression }}, {{ stature.sql_string(pattern) }}), false)
{%- endmacro %}


{#- Every match of `pattern` in `expression`, as a list of text. -#}
{% macro regex_extract_all(expression, pattern) -%}
    {{ return(adapter.dispatch('regex_extract_all', 'stature')(expression, pattern)) }}
{%- endmacro %}
{% macro default__regex_extract_all(expression, pattern) -%}
    regexp_extract_all({{ expression }}, {{ stature.sql_string(pattern) }})
{%- endmacro %}


{#- Split text on a separator into a list of text. -#}
{% macro split_text(expression, separator) -%}
    {{ return(adapter.dispatch('split_text', 'stature')(expression, separator)) }}
{%- endmacro %}
{% macro default__split_text(expression, separator) -%}
    string_split({{ expression }}, {{ stature.sql_string(separator) }})
{%- endmacro %}


{#- True when the list contains the value. -#}
{% macro list_has(list_expression, value) -%}
    {{ return(adapter.dispatch('list_has', 'stature')(list_expression, value)) }}
{%- endmacro %}
{% macro default__list_has(list_expression, value) -%}
    coalesce(list_contains({{ list_expression }}, {{ value }}), false)
{%- endmacro %}


{#- Join a list of text with a separator ('' for an empty list). -#}
{% macro list_join(list_expression, separator) -%}
    {{ return(adapter.dispatch('list_join', 'stature')(list_expression, separator)) }}
{%- endmacro %}
{% macro default__list_join(list_expression, separator) -%}
    array_to_string({{ list_expression }}, {{ stature.sql_string(separator) }})
{%- endmacro %}


{#- Number of elements of a list. -#}
{% macro list_size(list_expression) -%}
    {{ return(adapter.dispatch('list_size', 'stature')(list_expression)) }}
{%- endmacro %}
{% macro default__list_size(list_expression) -%}
    len({{ list_expression }})
{%- endmacro %}


{#- The element at a 1-based index of a list (NULL past the end). -#}
{% macro list_at(list_expression, index) -%}
    {{ return(adapter.dispatch('list_at', 'stature')(list_expression, index)) }}
{%- endmacro %}
{% macro default__list_at(list_expression, index) -%}
    {{ list_expression }}[{{ index }}]
{%- endmacro %}


{#- A FROM-clause fragment giving one row per element of a list column: `<alias>.<column>`. -#}
{% macro unnest_list(list_expression, alias, column) -%}
    {{ return(adapter.dispatch('unnest_list', 'stature')(list_expression, alias, column)) }}
{%- endmacro %}
{% macro default__unnest_list(list_expression, alias, column) -%}
    cross join unnest({{ list_expression }}) as {{ alias }} ({{ column }})
{%- endmacro %}


{#- Seconds since the Unix epoch of a timestamp, as double. -#}
{% macro epoch_seconds(expression) -%}
    {{ return(adapter.dispatch('epoch_seconds', 'stature')(expression)) }}
{%- endmacro %}
{% macro default__epoch_seconds(expression) -%}
    cast(epoch({{ expression }}) as double)
{%- endmacro %}


{#- Hours from `start` to `end` (exact, fractional): epoch-second difference / 3600.0. -#}
{% macro hours_between(start, end) -%}
    ({{ stature.epoch_seconds(end) }} - {{ stature.epoch_seconds(start) }}) / 3600.0
{%- endmacro %}


{#- A timestamp `hours` after `expression` (hours may be a column or a number). -#}
{% macro add_hours(expression, hours) -%}
    {{ return(adapter.dispatch('add_hours', 'stature')(expression, hours)) }}
{%- endmacro %}
{% macro default__add_hours(expression, hours) -%}
    ({{ expression }} + to_seconds(cast(({{ hours }}) * 3600 as bigint)))
{%- endmacro %}


{#- The wall-clock time in `timezone` (IANA name) of a UTC timestamp, without time zone. -#}
{% macro to_local_timestamp(expression, timezone) -%}
    {{ return(adapter.dispatch('to_local_timestamp', 'stature')(expression, timezone)) }}
{%- endmacro %}
{% macro default__to_local_timestamp(expression, timezone) -%}
    timezone({{ stature.sql_string(timezone) }}, {{ expression }})
{%- endmacro %}


{#- The local calendar date in `timezone` of a UTC timestamp. -#}
{% macro to_local_date(expression, timezone) -%}
    cast({{ stature.to_local_timestamp(expression, timezone) }} as date)
{%- endmacro %}


{#- Exact continuous percentile (linear interpolation), never an approximation. -#}
{% macro percentile(expression, fraction) -%}
    {{ return(adapter.dispatch('percentile', 'stature')(expression, fraction)) }}
{%- endmacro %}
{% macro default__percentile(expression, fraction) -%}
    cast(quantile_cont(cast({{ expression }} as double), {{ fraction }}) as double)
{%- endmacro %}


{#- The sum of a DOUBLE column that does not depend on the order the rows come in.
    Floating-point addition is not associative: the same rows added in another order (landed
    in another order, or aggregated on other threads) can differ in the last bits, and a
    nightly's figure would move with nothing new. The values are added smallest first, so the
    same values give the same sum in any order; NULL when there are none, like sum(). -#}
{% macro stable_sum(expression) -%}
    {{ return(adapter.dispatch('stable_sum', 'stature')(expression)) }}
{%- endmacro %}
{% macro default__stable_sum(expression) -%}
    list_sum(list({{ expression }} order by {{ expression }}) filter (where {{ expression }} is not null))
{%- endmacro %}


{#- The average of a DOUBLE column that does not depend on row order (see stable_sum). -#}
{% macro stable_avg(expression) -%}
    ({{ stature.stable_sum(expression) }} / count({{ expression }}))
{%- endmacro %}


{#- Day of the year (1..366) of a date. -#}
{% macro day_of_year(expression) -%}
    {{ return(adapter.dispatch('day_of_year', 'stature')(expression)) }}
{%- endmacro %}
{% macro default__day_of_year(expression) -%}
    dayofyear({{ expression }})
{%- endmacro %}


{#- A Backstage annotation of a catalog entity (keys hold '/' and '.', so they are quoted). -#}
{% macro json_annotation(column, key) -%}
    {{ return(adapter.dispatch('json_annotation', 'stature')(column, key)) }}
{%- endmacro %}
{% macro default__json_annotation(column, key) -%}
    nullif(trim(json_extract_string({{ column }}, '$.metadata.annotations."{{ key }}"')), '')
{%- endmacro %}


{#- A timestamp from epoch milliseconds. -#}
{% macro from_epoch_ms(expression) -%}
    {{ return(adapter.dispatch('from_epoch_ms', 'stature')(expression)) }}
{%- endmacro %}
{% macro default__from_epoch_ms(expression) -%}
    make_timestamptz(try_cast(try_cast({{ expression }} as double) * 1000 as bigint))
{%- endmacro %}


{#- first_value / last_value skipping NULLs (use with an explicit window frame). -#}
{% macro first_value_ignore_nulls(expression) -%}
    {{ return(adapter.dispatch('first_value_ignore_nulls', 'stature')(expression)) }}
{%- endmacro %}
{% macro default__first_value_ignore_nulls(expression) -%}
    first_value({{ expression }} ignore nulls)
{%- endmacro %}

{% macro last_value_ignore_nulls(expression) -%}
    {{ return(adapter.dispatch('last_value_ignore_nulls', 'stature')(expression)) }}
{%- endmacro %}
{% macro default__last_value_ignore_nulls(expression) -%}
    last_value({{ expression }} ignore nulls)
{%- endmacro %}


{#- A duration that cannot be negative: below zero becomes 0.0, NULL stays NULL. -#}
{% macro clamp_at_zero(expression) -%}
    case when {{ expression }} < 0 then 0.0 else {{ expression }} end
{%- endmacro %}


{#- Like regex_matches, with the pattern taken from an expression (e.g. a column). -#}
{% macro regex_matches_expression(expression, pattern_expression) -%}
    {{ return(adapter.dispatch('regex_matches_expression', 'stature')(expression, pattern_expression)) }}
{%- endmacro %}
{% macro default__regex_matches_expression(expression, pattern_expression) -%}
    coalesce(regexp_matches({{ expression }}, {{ pattern_expression }}), false)
{%- endmacro %}


{#- The anchored regular expression of a path glob: `**` any path (`**/` zero or more
    directories, so `**/*.proto` also matches `a.proto`), `*` and `?` within one directory level; a glob without wildcards also matches everything below it. Every other
    character is literal (`services/c++/**`, `docs/[draft]` are paths, not broken regexes). -#}
{% macro glob_to_regex(glob_expression) -%}
    {%- set glob = namespace(escaped=glob_expression) -%}
    {%- for char in ['\\', '.', '+', '(', ')', '[', ']', '{', '}', '|', '^', '$'] -%}
        {%- set glob.escaped = 'replace(' ~ glob.escaped ~ ', ' ~ stature.sql_string(char) ~ ', '
            ~ stature.sql_string('\\' ~ char) ~ ')' -%}
    {%- endfor -%}
    '^' || replace(replace(replace(replace(replace(replace(
        {{ glob.escaped }}, '**/', chr(2)), '**', chr(1)), '*', '[^/]*'), '?', '[^/]'),
        chr(1), '.*'), chr(2), '(.*/)?')
    || case when {{ glob_expression }} like '%*%' or {{ glob_expression }} like '%?%' then '$' else '(/.*)?$' end
{%- endmacro %}


{#- An empty list of text. -#}
{% macro empty_text_list() -%}
    {{ return(adapter.dispatch('empty_text_list', 'stature')()) }}
{%- endmacro %}
{% macro default__empty_text_list() -%}
    cast([] as varchar[])
{%- endmacro %}


{#- Parse a JSON column once into a struct of text fields: `spec` maps each JSON key to
    'text' or to a nested spec (a dict). Read the fields as <alias>.<key>[.<key>]; a missing
    key is NULL. Use it to unpack many fields: every json_text call parses the document again. -#}
{% macro json_struct(column, spec) -%}
    {{ return(adapter.dispatch('json_struct', 'stature')(column, spec)) }}
{%- endmacro %}

{% macro _json_struct_duckdb_shape(spec) -%}
    {%- set parts = [] -%}
    {%- for key, value in spec.items() -%}
        {%- if value is mapping -%}
            {%- do parts.append('"' ~ key ~ '":' ~ stature._json_struct_duckdb_shape(value)) -%}
        {%- else -%}
            {%- do parts.append('"' ~ key ~ '":"VARCHAR"') -%}
        {%- endif -%}
    {%- endfor -%}
    {{ '{' ~ parts | join(',') ~ '}' }}
{%- endmacro %}
{% macro default__json_struct(column, spec) -%}
    json_transform({{ column }}, '{{ stature._json_struct_duckdb_shape(spec) }}')
{%- endmacro %}
