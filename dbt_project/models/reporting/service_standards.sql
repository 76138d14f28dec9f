{#-
    The newest evaluation of every standard for every service: per (rule, service), the row of
    the latest as_of that rule was evaluated for that service (so a rule backfilled or added
    later shows too), for the rules the rule catalog still lists, with a red / yellow / green
    colour and the rule's title, unit and remediation.
-#}
with catalog as (
    select
        rule_id,
        title,
        unit,
        remediation
    from {{ source('scorecards', 'rule_catalog') }}
),

checks as (
    select checks.*
    from {{ source('scorecards', 'check_results') }} as checks
    inner join catalog on checks.rule_id = catalog.rule_id
    where checks.entity_type = 'service'
),

newest as (
    select
        rule_id,
        entity_id,
        max(as_of) as as_of
    from checks
    group by rule_id, entity_id
)

select
    checks.as_of,
    checks.entity_id as service_id,
    coalesce(services.name, checks.entity_id) as service_name,
    services.team_id,
    coalesce(teams.name, services.team_id) as team_name,
    services.tier,
    services.lifecycle,
    checks.scorecard,
    checks.rule_id,
    checks.level,
    checks.status,
    case
        when checks.status = 'pass' then 'green'
        when checks.status = 'warn' then 'yellow'
        when checks.status in ('fail', 'not_reported', 'error') then 'red'
        else 'grey'
    end as rag,
    checks.value,
    checks.threshold,
    checks.note,
    checks.evidence_url,
    checks.rollout,
    catalog.title as rule_title,
    catalog.unit,
    catalog.remediation
from checks
inner join newest
    on
        checks.rule_id = newest.rule_id
        and checks.entity_id = newest.entity_id
        and checks.as_of = newest.as_of
inner join catalog on checks.rule_id = catalog.rule_id
left join {{ ref('dim_services') }} as services on checks.entity_id = services.service_id
left join {{ ref('dim_teams') }} as teams on services.team_id = teams.team_id
