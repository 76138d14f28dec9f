{#-
    Balanced-scorecard grading, shared by scorecards.balanced_scorecard and its unit tests.
    Values come out of SQL arithmetic (0.1 + 0.2 = 0.30000000000000004), so a comparison at a
    threshold's edge allows 1e-9 x max(1, |x|): a value everyone reads as on target is.
-#}
{% macro float_tolerance(expression) -%}
    (cast(1e-9 as double) * greatest(cast(1.0 as double), abs({{ expression }})))
{%- endmacro %}


{#- green / yellow / red against the target and the far edge of the yellow band;
    not_reported without a value, no_target before the measure's first target. -#}
{% macro bsc_status(value, target, yellow_limit, direction) -%}
    case
        when {{ value }} is null then 'not_reported'
        when {{ target }} is null then 'no_target'
        when {{ direction }} = 'higher_is_better'
            then
                case
                    when {{ value }} >= {{ target }} - {{ stature.float_tolerance(target) }} then 'green'
                    when {{ value }} >= {{ yellow_limit }} - {{ stature.float_tolerance(yellow_limit) }}
                        then 'yellow'
                    else 'red'
                end
        when {{ value }} <= {{ target }} + {{ stature.float_tolerance(target) }} then 'green'
        when {{ value }} <= {{ yellow_limit }} + {{ stature.float_tolerance(yellow_limit) }} then 'yellow'
        else 'red'
    end
{%- endmacro %}


{#- better / worse / flat against the previous value in the measure's direction: a change of
    at most `flat_band` x yellow_band x |target| (x |previous| without a target) is flat;
    NULL without both values. -#}
{% macro bsc_trend(value, previous, target, direction, yellow_band, flat_band) -%}
    case
        when {{ value }} is null or {{ previous }} is null then null
        when
            abs({{ value }} - {{ previous }})
            <= cast({{ flat_band }} as double) * {{ yellow_band }}
            * abs(coalesce({{ target }}, {{ previous }}))
            + {{ stature.float_tolerance(previous) }}
            then 'flat'
        when
            ({{ direction }} = 'higher_is_better' and {{ value }} - {{ previous }} > 0)
            or ({{ direction }} <> 'higher_is_better' and {{ value }} - {{ previous }} < 0)
            then 'better'
        else 'worse'
    end
{%- endmacro %}


{#- The maturity ladder as rows (level, level_name), from the var the config sets. -#}
{% macro maturity_ladder_rows() -%}
    {%- for name in var('maturity_ladder') %}
    select
        {{ loop.index }} as level,
        {{ sql_string(name) }} as level_name
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
{%- endmacro %}
