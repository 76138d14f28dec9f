-- One row per note of a merge request (project, mr_iid, note_id): comments, and the system notes
-- GitLab writes for events such as an approval ("approved this merge request").
{%- set casts = [] %}
{%- set ts = stature.type_timestamptz() %}
with unpacked as (
    select
        project,
        mr_iid,
        note_id,
        source_file,
        {{ stature.json_struct('payload', {
            'body': 'text', 'author': {'username': 'text'}, 'system': 'text',
            'created_at': 'text'
        }) }} as note
    from {{ source('gitlab', 'merge_request_notes') }}
)

select
    unpacked.project,
    {{ stature.checked_cast(casts, 'mr_iid', 'unpacked.mr_iid', 'bigint') }} as mr_iid,
    {{ stature.checked_cast(casts, 'note_id', 'unpacked.note_id', 'bigint') }} as note_id,
    unpacked.note.author.username as author_username,
    unpacked.note.body,
    coalesce({{ stature.checked_cast(casts, 'is_system', 'unpacked.note.system', 'boolean') }}, false)
        as is_system,
    coalesce({{ stature.try_cast('unpacked.note.system', 'boolean') }}, false)
    and lower(trim(coalesce(unpacked.note.body, ''))) like 'approved this merge request%' as is_approval,
    {{ stature.checked_cast(casts, 'created_at', 'unpacked.note.created_at', ts) }} as created_at,
    unpacked.source_file,
    {{ stature.invalid_fields(casts) }} as invalid_fields
from unpacked
