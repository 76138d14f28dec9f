{#- Every standard's result for every entity, quarter by quarter: the rule's last evaluation
    of that entity in each fiscal quarter (the open quarter's is the latest so far), with
    the team that owned a service on that date. What a service's history and a standard's
    "how it moved" read. -#}
select
    quarter,
    quarter_start,
    quarter_end,
    as_of,
    is_closed,
    elapsed_days,
    period_days,
    rule_id,
    scorecard,
    level,
    rollout,
    entity_type,
    entity_id,
    team_id,
    status,
    rag,
    value,
    threshold,
    note
from {{ ref('check_quarter_closes') }}
