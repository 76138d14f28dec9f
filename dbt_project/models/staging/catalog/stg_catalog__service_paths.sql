-- One row per (service, path glob) of the catalog's `stature.dev/paths` annotations: the paths of
-- a service inside a repository it shares with others (a monorepo). Globs are separated by commas
-- or new lines (a YAML block scalar); blanks around them are dropped, duplicates kept once.
-- path_pattern is the glob as an anchored regular expression (macro glob_to_regex).
with components as (
    select
        name as service_id,
        {{ stature.json_annotation('payload', 'stature.dev/paths') }} as paths_annotation
    from {{ source('catalog', 'entities') }}
    where lower(kind) = 'component'
),

globs as (
    select distinct
        components.service_id,
        trim(glob_list.path_glob) as path_glob
    from components
    {{ stature.unnest_list(
        stature.split_text(
            "replace(replace(components.paths_annotation, chr(13), ''), chr(10), ',')", ','
        ),
        'glob_list',
        'path_glob'
    ) }}
    where components.paths_annotation is not null
)

select
    service_id,
    path_glob,
    {{ stature.glob_to_regex('path_glob') }} as path_pattern
from globs
where path_glob <> ''
