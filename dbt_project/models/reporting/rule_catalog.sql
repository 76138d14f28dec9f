{#- One row per rule file with a readable header: what a rule means, not only its id. -#}
select
    rule_id,
    scorecard,
    title,
    level,
    entity,
    owner,
    unit,
    thresholds,
    rollout,
    remediation,
    description,
    perspective,
    objective,
    indicator,
    direction,
    rule_version,
    yellow_band,
    is_valid,
    path
from {{ source('scorecards', 'rule_catalog') }}
