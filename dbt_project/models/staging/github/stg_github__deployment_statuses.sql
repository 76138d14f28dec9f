-- One row per status of a deployment (repo, deployment_id, status_id).
with unpacked as (
    select
        repo,
        deployment_id,
        status_id,
        source_file,
        {{ stature.json_struct('payload', {
            'state': 'text', 'environment': 'text', 'description': 'text',
            'created_at': 'text', 'updated_at': 'text'
        }) }} as deployment_status
    from {{ source('github', 'deployment_statuses') }}
)

select
    unpacked.repo,
    cast(unpacked.deployment_id as bigint) as deployment_id,
    cast(unpacked.status_id as bigint) as status_id,
    lower(unpacked.deployment_status.state) as state,
    unpacked.deployment_status.environment,
    unpacked.deployment_status.description,
    cast(unpacked.deployment_status.created_at as {{ stature.type_timestamptz() }}) as created_at,
    cast(unpacked.deployment_status.updated_at as {{ stature.type_timestamptz() }}) as updated_at,
    unpacked.source_file
from unpacked
