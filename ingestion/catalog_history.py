"""The catalog as it was: after each landing of the catalog, the entities it holds are added to
`raw_catalog.entity_versions` as of the run's date, where they differ from the version known
for that date. The history lives in a raw table, so a dbt `--full-refresh` rebuilds
`marts.dim_services_history` from it and loses nothing.

A run records only what it can vouch for: an entity that already has a version dated after
the run's date (a run for a past date, or history read from git) is left alone, since the
files read now are not what the catalog said back then. A first run starts the history at its
own date, not at the day it happened to be run.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from pathlib import Path

from ingestion import raw_writer
from ingestion.sources.catalog import TABLES, VERSIONS

ENTITIES = f'"{TABLES[0].schema}"."{TABLES[0].name}"'
HISTORY = f'"{VERSIONS.schema}"."{VERSIONS.name}"'

# The entities whose content differs from the version that held on the run's date, and
# that have no version dated after it. md5 of the JSON text: both tables hold the payload
# as ingestion encoded it, so the same document gives the same text.
_CHANGED = f"""
with known as (
    select kind, namespace, name, valid_from, payload
    from {HISTORY}
),
held as (
    select kind, namespace, name, payload
    from known
    where valid_from <= $as_of
    qualify row_number() over (partition by kind, namespace, name order by valid_from desc) = 1
),
later as (
    select distinct kind, namespace, name from known where valid_from > $as_of
)
select e.kind, e.namespace, e.name, e.payload, e.source_file
from {ENTITIES} as e
left join held
    on e.kind = held.kind and e.namespace = held.namespace and e.name = held.name
left join later
    on e.kind = later.kind and e.namespace = later.namespace and e.name = later.name
where later.name is null
  and (held.name is null or md5(cast(held.payload as varchar)) <> md5(cast(e.payload as varchar)))
"""


def record_catalog(warehouse: str | Path, as_of: dt.date) -> int:
    """Add the landed catalog to the history as of `as_of`; returns the versions added.
    Running it again for the same date adds nothing."""
    con = raw_writer.connect(Path(warehouse))
    try:
        con.execute("begin transaction")
        for table in TABLES:
            raw_writer.ensure_table(con, raw_writer.Target.of(table))
        changed = f"select * from ({_CHANGED})"
        con.execute(
            f"create or replace temp table _stature_catalog_changed as {changed}", {"as_of": as_of}
        )
        # A version landed for this very date (a history folder, an earlier run) is replaced.
        con.execute(
            f"delete from {HISTORY} as h using _stature_catalog_changed as c "
            "where h.kind = c.kind and h.namespace = c.namespace and h.name = c.name "
            "and h.valid_from = $as_of",
            {"as_of": as_of},
        )
        added = con.execute(
            f"insert into {HISTORY} (kind, namespace, name, valid_from, payload, source_file, "
            "_dlt_load_id, _dlt_id) "
            "select kind, namespace, name, $as_of, payload, "
            "'run ' || strftime($as_of, '%Y-%m-%d') || ': ' || coalesce(source_file, ''), "
            "$load, replace(cast(gen_random_uuid() as varchar), '-', '') "
            "from _stature_catalog_changed",
            {"as_of": as_of, "load": raw_writer.load_id()},
        ).fetchone()[0]
        con.execute("drop table _stature_catalog_changed")
        con.execute("commit")
        return int(added)
    except BaseException:
        with contextlib.suppress(Exception):
            con.execute("rollback")
        raise
    finally:
        con.close()
