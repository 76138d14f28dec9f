-- One row per review of a pull request (repo, pr_number, review_id).
-- Incremental: a night reads only the records landed since its last build.
{{ config(unique_key=['repo', 'pr_number', 'review_id']) }}
{%- set landed = stature.landed_since_last_build(
    source('github', 'pull_reviews'), ['repo', 'pr_number', 'review_id']
) %}
{%- set casts = [] %}
{%- set ts = stature.type_timestamptz() %}
with unpacked as (
    select
        repo,
        pr_number,
        review_id,
        source_file,
        _dlt_load_id,
        {{ stature.json_struct('payload', {
            'user': {'login': 'text'}, 'state': 'text', 'submitted_at': 'text', 'commit_id': 'text'
        }) }} as review
    from {{ landed }}
)

select
    unpacked.repo,
    {{ stature.checked_cast(casts, 'pr_number', 'unpacked.pr_number', 'bigint') }} as pr_number,
    {{ stature.checked_cast(casts, 'review_id', 'unpacked.review_id', 'bigint') }} as review_id,
    unpacked.review.user.login as reviewer_login,
    upper(unpacked.review.state) as state,
    {{ stature.checked_cast(
        casts, 'submitted_at', 'unpacked.review.submitted_at', ts
    ) }} as submitted_at,
    unpacked.review.commit_id as commit_sha,
    unpacked.source_file,
    unpacked._dlt_load_id,
    {{ stature.invalid_fields(casts) }} as invalid_fields
from unpacked
