-- One row per review of a pull request (repo, pr_number, review_id).
with unpacked as (
    select
        repo,
        pr_number,
        review_id,
        source_file,
        {{ stature.json_struct('payload', {
            'user': {'login': 'text'}, 'state': 'text', 'submitted_at': 'text', 'commit_id': 'text'
        }) }} as review
    from {{ source('github', 'pull_reviews') }}
)

select
    unpacked.repo,
    cast(unpacked.pr_number as bigint) as pr_number,
    cast(unpacked.review_id as bigint) as review_id,
    unpacked.review.user.login as reviewer_login,
    upper(unpacked.review.state) as state,
    cast(unpacked.review.submitted_at as {{ stature.type_timestamptz() }}) as submitted_at,
    unpacked.review.commit_id as commit_sha,
    unpacked.source_file
from unpacked
