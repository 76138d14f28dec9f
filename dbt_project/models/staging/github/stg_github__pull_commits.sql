-- One row per commit of a pull request (repo, pr_number, sha), as the PR's commits list shows it.
with unpacked as (
    select
        repo,
        pr_number,
        sha,
        source_file,
        -- Only single-commit responses (and exports that keep them) list the files changed.
        {{ stature.json_text_list('payload', '$.files[*].filename') }} as changed_files,
        {{ stature.json_struct('payload', {
            'commit': {
                'author': {'name': 'text', 'email': 'text', 'date': 'text'},
                'committer': {'date': 'text'},
                'message': 'text'
            },
            'author': {'login': 'text'}
        }) }} as pull_commit,
        {{ stature.json_text('payload', '$.parents[0].sha') }} as first_parent_sha
    from {{ source('github', 'pull_commits') }}
)

select
    unpacked.repo,
    cast(unpacked.pr_number as bigint) as pr_number,
    unpacked.sha,
    unpacked.pull_commit.commit.author.name as author_name,
    unpacked.pull_commit.commit.author.email as author_email,
    unpacked.pull_commit.author.login as author_login,
    cast(unpacked.pull_commit.commit.author.date as {{ stature.type_timestamptz() }}) as authored_at,
    cast(unpacked.pull_commit.commit.committer.date as {{ stature.type_timestamptz() }}) as committed_at,
    unpacked.pull_commit.commit.message,
    unpacked.first_parent_sha,
    unpacked.changed_files,
    unpacked.source_file
from unpacked
