{#-
    One row per (period, entity_type, entity_id, measure_id): the balanced-scorecard measures
    of every team and of the org ('org') per fiscal quarter (docs/maturity.md). Every measure
    is intensive (a rate, a share, a median, a score) so that a team and the org are graded
    against the same target. Rows without a value are left out; scorecards.balanced_scorecard
    reports them as not_reported.
-#}
{%- set start_month = var('fiscal_year_start_month') | int -%}
{%- set timezone = var('stature_timezone') -%}

with catalog as (
    select
        measure_id,
        perspective,
        unit
    from {{ ref('bsc_measure_catalog') }}
),

dora as (
    select
        period_start,
        period_end,
        entity_type,
        entity_id,
        deployment_frequency,
        lead_time_p50_hours,
        change_failure_rate,
        recovery_time_p50_hours,
        rework_rate
    from {{ ref('dora_metrics') }}
    where
        period_grain = 'quarter'
        and entity_type in ('team', 'org')
),

quarters as (
    select
        period_start,
        period_end,
        {{ dbt.datediff('period_start', 'period_end', 'day') }}
            as days_after_start
    from dora
    where entity_type = 'org'
),

production_services as (
    select service_id
    from {{ ref('dim_services') }}
    where lifecycle = 'production'
),

ownership as (
    select
        service_id,
        team_id,
        valid_from,
        valid_to
    from {{ ref('dim_service_teams') }}
),

-- The production services each team owned on the quarter's last day.
team_services as (
    select
        quarters.period_start,
        ownership.team_id,
        count(*) as service_count
    from quarters
    inner join ownership
        on
            quarters.period_end >= ownership.valid_from
            and (ownership.valid_to is null or quarters.period_end < ownership.valid_to)
    inner join production_services
        on ownership.service_id = production_services.service_id
    group by quarters.period_start, ownership.team_id
),

entity_services as (
    select
        period_start,
        'team' as entity_type,
        team_id as entity_id,
        service_count
    from team_services
    union all
    select
        period_start,
        'org' as entity_type,
        'org' as entity_id,
        sum(service_count) as service_count
    from team_services
    group by period_start
),

dora_measures as (
    select
        dora.period_start,
        dora.entity_type,
        dora.entity_id,
        'deployment_frequency' as measure_id,
        dora.deployment_frequency / entity_services.service_count as measure_value,
        'dora_metrics' as source_model
    from dora
    inner join entity_services
        on
            dora.period_start = entity_services.period_start
            and dora.entity_type = entity_services.entity_type
            and dora.entity_id = entity_services.entity_id
    union all
    select
        period_start,
        entity_type,
        entity_id,
        'lead_time' as measure_id,
        lead_time_p50_hours as measure_value,
        'dora_metrics' as source_model
    from dora
    union all
    select
        period_start,
        entity_type,
        entity_id,
        'change_failure_rate' as measure_id,
        100.0 * change_failure_rate as measure_value,
        'dora_metrics' as source_model
    from dora
    union all
    select
        period_start,
        entity_type,
        entity_id,
        'recovery_time' as measure_id,
        recovery_time_p50_hours as measure_value,
        'dora_metrics' as source_model
    from dora
    union all
    select
        period_start,
        entity_type,
        entity_id,
        'rework_rate' as measure_id,
        100.0 * rework_rate as measure_value,
        'dora_metrics' as source_model
    from dora
),

-- Review speed: a reviewed pull request's time from opened to merged (pickup + review),
-- in the quarter it was merged.
merged_prs as (
    select
        team_id,
        {{ stature.to_local_date('merged_at', timezone) }} as merged_day,
        pickup_hours + review_hours as turnaround_hours
    from {{ ref('fct_changes') }}
    where
        change_type = 'pr'
        and first_review_at is not null
        and merged_at is not null
),

reviewed_prs as (
    select
        team_id,
        {{ stature.fiscal_quarter_start('merged_day', start_month) }} as period_start,
        turnaround_hours
    from merged_prs
    where turnaround_hours is not null
),

review_measures as (
    select
        period_start,
        'team' as entity_type,
        team_id as entity_id,
        'review_turnaround' as measure_id,
        {{ stature.percentile('turnaround_hours', 0.5) }} as measure_value,
        'fct_changes' as source_model
    from reviewed_prs
    where team_id is not null
    group by period_start, team_id
    union all
    select
        period_start,
        'org' as entity_type,
        'org' as entity_id,
        'review_turnaround' as measure_id,
        {{ stature.percentile('turnaround_hours', 0.5) }} as measure_value,
        'fct_changes' as source_model
    from reviewed_prs
    group by period_start
),

-- Uptime: hours lost to resolved incidents of production services (created in the quarter)
-- against the production service hours of the quarter.
incidents as (
    select
        fct_incidents.team_id,
        fct_incidents.restore_hours,
        {{ stature.fiscal_quarter_start('fct_incidents.created_day', start_month) }} as period_start
    from {{ ref('fct_incidents') }} as fct_incidents
    inner join production_services
        on fct_incidents.service_id = production_services.service_id
    where fct_incidents.restore_hours is not null
),

entity_incident_hours as (
    select
        period_start,
        'team' as entity_type,
        team_id as entity_id,
        {{ stature.stable_sum('restore_hours') }} as lost_hours
    from incidents
    where team_id is not null
    group by period_start, team_id
    union all
    select
        period_start,
        'org' as entity_type,
        'org' as entity_id,
        {{ stature.stable_sum('restore_hours') }} as lost_hours
    from incidents
    group by period_start
),

uptime_measures as (
    select
        entity_services.period_start,
        entity_services.entity_type,
        entity_services.entity_id,
        'uptime' as measure_id,
        greatest(
            0.0,
            100.0 * (
                1.0 - coalesce(entity_incident_hours.lost_hours, 0.0)
                / (entity_services.service_count * 24.0 * (quarters.days_after_start + 1))
            )
        ) as measure_value,
        'fct_incidents' as source_model
    from entity_services
    inner join quarters
        on entity_services.period_start = quarters.period_start
    left join entity_incident_hours
        on
            entity_services.period_start = entity_incident_hours.period_start
            and entity_services.entity_type = entity_incident_hours.entity_type
            and entity_services.entity_id = entity_incident_hours.entity_id
),

-- Customer-reported bugs (issues labelled customer-reported), counted for the team that
-- owned the service when the issue was opened, per production service.
customer_issues as (
    select
        service_id,
        {{ stature.to_local_date('created_at', timezone) }} as created_day
    from {{ ref('fct_issues') }}
    where is_customer_reported
),

customer_bugs as (
    select
        ownership.team_id,
        {{ stature.fiscal_quarter_start('customer_issues.created_day', start_month) }} as period_start
    from customer_issues
    left join ownership
        on
            customer_issues.service_id = ownership.service_id
            and customer_issues.created_day >= ownership.valid_from
            and (ownership.valid_to is null or customer_issues.created_day < ownership.valid_to)
),

entity_bugs as (
    select
        period_start,
        'team' as entity_type,
        team_id as entity_id,
        count(*) as bugs
    from customer_bugs
    where team_id is not null
    group by period_start, team_id
    union all
    select
        period_start,
        'org' as entity_type,
        'org' as entity_id,
        count(*) as bugs
    from customer_bugs
    group by period_start
),

bug_measures as (
    select
        entity_services.period_start,
        entity_services.entity_type,
        entity_services.entity_id,
        'customer_reported_bugs' as measure_id,
        cast(coalesce(entity_bugs.bugs, 0) as double) / entity_services.service_count
            as measure_value,
        'fct_issues' as source_model
    from entity_services
    left join entity_bugs
        on
            entity_services.period_start = entity_bugs.period_start
            and entity_services.entity_type = entity_bugs.entity_type
            and entity_services.entity_id = entity_bugs.entity_id
),

-- Manual inputs (inputs/*.csv): per team and quarter; the org's own rows where it has them.
manual as (
    select
        period_start,
        entity_type,
        entity_id,
        measure_id,
        value as input_value
    from {{ ref('fct_manual_measures') }}
    where
        period_grain = 'quarter'
        and entity_type in ('team', 'org')
),

team_inputs as (
    select
        period_start,
        entity_id as team_id,
        max(case when measure_id = 'infra_cost' then input_value end) as infra_cost,
        max(case when measure_id = 'transactions' then input_value end) as transactions,
        max(case when measure_id = 'revenue_attributed' then input_value end) as revenue,
        max(case when measure_id = 'feature_adoption' then input_value end) as feature_adoption,
        max(case when measure_id = 'training_completion' then input_value end)
            as training_completion,
        max(case when measure_id = 'enps' then input_value end) as enps
    from manual
    where entity_type = 'team'
    group by period_start, entity_id
),

org_inputs as (
    select
        period_start,
        max(case when measure_id = 'enps' then input_value end) as enps,
        max(case when measure_id = 'internal_mobility' then input_value end) as internal_mobility
    from manual
    where entity_type = 'org'
    group by period_start
),

-- The org's figures from the teams': ratios of sums over the teams that report both parts,
-- plain averages of the teams' shares and scores.
org_from_teams as (
    select
        period_start,
        1000.0 * {{ stature.stable_sum('case when transactions > 0 then infra_cost end') }}
        / nullif({{ stature.stable_sum('case when infra_cost is not null then transactions end') }}, 0)
            as cost_per_transaction,
        100.0 * {{ stature.stable_sum('case when revenue > 0 then infra_cost end') }}
        / nullif({{ stature.stable_sum('case when infra_cost is not null then revenue end') }}, 0)
            as infra_cost_share,
        {{ stature.stable_avg('feature_adoption') }} as feature_adoption,
        {{ stature.stable_avg('training_completion') }} as training_completion,
        {{ stature.stable_avg('enps') }} as enps
    from team_inputs
    group by period_start
),

input_entities as (
    select
        period_start,
        'team' as entity_type,
        team_id as entity_id,
        1000.0 * infra_cost / nullif(transactions, 0) as cost_per_transaction,
        100.0 * infra_cost / nullif(revenue, 0) as infra_cost_share,
        feature_adoption,
        training_completion,
        enps,
        cast(null as double) as internal_mobility
    from team_inputs
    union all
    select
        coalesce(org_from_teams.period_start, org_inputs.period_start) as period_start,
        'org' as entity_type,
        'org' as entity_id,
        org_from_teams.cost_per_transaction,
        org_from_teams.infra_cost_share,
        org_from_teams.feature_adoption,
        org_from_teams.training_completion,
        coalesce(org_inputs.enps, org_from_teams.enps) as enps,
        org_inputs.internal_mobility
    from org_from_teams
    full outer join org_inputs
        on org_from_teams.period_start = org_inputs.period_start
),

input_measures as (
    {%- for measure in [
        'cost_per_transaction', 'infra_cost_share', 'feature_adoption',
        'training_completion', 'enps', 'internal_mobility'
    ] %}
    select
        period_start,
        entity_type,
        entity_id,
        '{{ measure }}' as measure_id,
        {{ measure }} as measure_value,
        'fct_manual_measures' as source_model
    from input_entities
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
),

measures as (
    select * from dora_measures
    union all
    select * from review_measures
    union all
    select * from uptime_measures
    union all
    select * from bug_measures
    union all
    select * from input_measures
)

select
    {{ stature.fiscal_quarter_label('measures.period_start', start_month) }} as period,
    measures.period_start,
    cast({{ dbt.dateadd('day', -1, stature.period_end_exclusive('quarter', 'measures.period_start')) }} as date)
        as period_end,
    measures.entity_type,
    measures.entity_id,
    catalog.perspective,
    measures.measure_id,
    cast(measures.measure_value as double) as value,
    catalog.unit,
    measures.source_model as source
from measures
inner join catalog
    on measures.measure_id = catalog.measure_id
where measures.measure_value is not null
