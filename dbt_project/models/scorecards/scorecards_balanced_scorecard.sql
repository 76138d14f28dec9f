{{ config(alias='balanced_scorecard') }}
{#-
    One row per (fiscal quarter, entity, measure): every balanced-scorecard measure of every
    team and the org for each complete quarter (ended on or before var as_of), graded against
    the target in effect for that quarter. A measure is a valid, non-draft rule with
    `perspective:` in its header (scorecards.rule_catalog); its target history is
    scorecards.bsc_targets. Values come from marts.bsc_measures; a measure that model does not
    compute falls back to its own check results as of each quarter's last day. A team measure
    is graded for every team and the org, an org measure for the org only; an entity with any
    value in a quarter gets a row for every measure of its type (not_reported where it lacks
    one).
-#}
with measures as (
    select
        rule_id as measure_id,
        perspective,
        objective,
        title,
        unit,
        direction,
        yellow_band,
        owner,
        indicator,
        entity,
        rule_version
    from {{ source('scorecards', 'rule_catalog') }}
    where
        perspective is not null
        and is_valid
        and rollout <> 'draft'
),

targets as (
    select
        measure_id,
        valid_from,
        valid_to,
        target,
        yellow_limit
    from {{ source('scorecards', 'bsc_targets') }}
),

quarters as (
    select distinct
        quarter_start,
        quarter_end,
        quarter_label
    from {{ ref('dim_calendar') }}
),

modelled_values as (
    select
        bsc_measures.measure_id,
        bsc_measures.entity_type,
        bsc_measures.entity_id,
        bsc_measures.period_start,
        bsc_measures.value,
        'bsc_measures' as value_source
    from {{ ref('bsc_measures') }} as bsc_measures
    inner join measures on bsc_measures.measure_id = measures.measure_id
    where bsc_measures.value is not null
),

-- Measures bsc_measures lacks: the rule's own value as of a quarter's last day.
checked_values as (
    select
        checks.rule_id as measure_id,
        checks.entity_type,
        checks.entity_id,
        quarters.quarter_start as period_start,
        checks.value,
        'check_results' as value_source
    from {{ source('scorecards', 'check_results') }} as checks
    inner join measures on checks.rule_id = measures.measure_id
    inner join quarters on checks.as_of = quarters.quarter_end
    where
        checks.value is not null
        and checks.rule_id not in (select modelled_values.measure_id from modelled_values)
),

measure_values as (
    select * from modelled_values
    union all
    select * from checked_values
),

-- The entities to grade per complete quarter: any value of a measure of their type.
graded_entities as (
    select distinct
        measure_values.period_start,
        measure_values.entity_type,
        measure_values.entity_id
    from measure_values
    inner join measures on measure_values.measure_id = measures.measure_id
    inner join quarters on measure_values.period_start = quarters.quarter_start
    where
        quarters.quarter_end <= {{ stature.report_as_of() }}
        and (
            measure_values.entity_type = 'org'
            or (measure_values.entity_type = 'team' and measures.entity = 'team')
        )
),

graded_rows as (
    select
        graded_entities.period_start,
        graded_entities.entity_type,
        graded_entities.entity_id,
        measures.*
    from graded_entities
    inner join measures
        on
            graded_entities.entity_type = 'org'
            or (graded_entities.entity_type = 'team' and measures.entity = 'team')
),

valued as (
    select
        graded_rows.*,
        quarters.quarter_label as period,
        quarters.quarter_end as period_end,
        current_value.value,
        current_value.value_source,
        previous_value.value as previous_value,
        targets.target,
        targets.yellow_limit
    from graded_rows
    inner join quarters on graded_rows.period_start = quarters.quarter_start
    left join measure_values as current_value
        on
            graded_rows.measure_id = current_value.measure_id
            and graded_rows.entity_type = current_value.entity_type
            and graded_rows.entity_id = current_value.entity_id
            and graded_rows.period_start = current_value.period_start
    left join measure_values as previous_value
        on
            graded_rows.measure_id = previous_value.measure_id
            and graded_rows.entity_type = previous_value.entity_type
            and graded_rows.entity_id = previous_value.entity_id
            and previous_value.period_start
            = cast({{ dbt.dateadd('month', -3, 'graded_rows.period_start') }} as date)
    left join targets
        on
            graded_rows.measure_id = targets.measure_id
            and (targets.valid_from is null or graded_rows.period_start >= targets.valid_from)
            and (targets.valid_to is null or graded_rows.period_start < targets.valid_to)
)

select
    period,
    period_start,
    period_end,
    entity_type,
    entity_id,
    perspective,
    objective,
    measure_id,
    title,
    value,
    unit,
    target,
    direction,
    yellow_band,
    yellow_limit,
    {{ stature.bsc_status('value', 'target', 'yellow_limit', 'direction') }} as status,
    previous_value,
    {{ stature.bsc_trend(
        'value', 'previous_value', 'target', 'direction', 'yellow_band', var('bsc_trend_flat_band')
    ) }} as trend,
    owner,
    indicator,
    value_source,
    rule_version,
    {{ stature.report_as_of() }} as as_of,
    current_timestamp as computed_at
from valued
