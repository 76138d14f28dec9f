"""Dagster's instance for CLI runs: the local SQLite event log, made cheap per event.

Dagster's own SQLite event log opens a new engine and connection for every event it stores
and closes it after one commit. A nightly stores about 1,700 events (a materialization and a
check evaluation per dbt model and test, each with its planned twin), and each costs an
engine build, a commit synced to disk and a close that checkpoints the write-ahead log: about
50 ms, so the bookkeeping cost the nightly more than its own dbt build. `LocalEventLogStorage`
keeps the same files, tables and layout (the UI and `dagster dev` read them unchanged) but
keeps one engine per database open and commits with `synchronous=NORMAL`: still crash-safe,
though a power cut may lose the last events of a run (never corrupt the file).

Stature writes a `dagster.yaml` that selects it into an instance's folder that has none (and
again if that folder was moved); a `dagster.yaml` Stature did not write (your own storage,
Postgres) is left alone.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as db
from dagster._core.storage.event_log.sqlite.sqlite_event_log import (
    INDEX_SHARD_NAME,
    SqliteEventLogStorage,
)
from dagster._core.storage.sqlite import SQLITE_BUSY_TIMEOUT_SECONDS

INSTANCE_FILE = "dagster.yaml"
# A run's events live in their own database: keep the index and the few latest runs open.
OPEN_DATABASES = 8

INSTANCE_YAML = """\
# Written by Stature (and again if this folder moves). Delete it, or write your own, to use
# Dagster's default storage; a dagster.yaml Stature did not write is never changed.
event_log_storage:
  module: dagster_project.defs.instance
  class: LocalEventLogStorage
  config:
    base_dir: {base_dir}
"""


def ensure_instance_file(home: Path) -> None:
    """Write the instance's dagster.yaml if the folder has none, or if the one there is
    Stature's but names another folder (the instance was moved or copied: its events must
    not go on landing in the old place)."""
    home.mkdir(parents=True, exist_ok=True)
    target = home / INSTANCE_FILE
    # Dagster's default layout: run shards and the index under history/runs.
    wanted = INSTANCE_YAML.format(base_dir=(home / "history" / "runs").resolve())
    if not target.exists():
        target.write_text(wanted, encoding="utf-8")
        return
    text = target.read_text(encoding="utf-8")
    if text.startswith(INSTANCE_YAML.split("\n", 1)[0]) and text != wanted:
        target.write_text(wanted, encoding="utf-8")


def _pragmas(connection: Any, _record: Any) -> None:
    cursor = connection.cursor()
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


class LocalEventLogStorage(SqliteEventLogStorage):
    """Dagster's SQLite event log with its engines kept open (see the module's docstring)."""

    def __init__(self, base_dir: str, inst_data: Any = None) -> None:
        self._engines: OrderedDict[str, db.engine.Engine] = OrderedDict()
        self._engines_lock = threading.Lock()
        super().__init__(base_dir, inst_data)

    @classmethod
    def from_config_value(cls, inst_data: Any, config_value: Any) -> LocalEventLogStorage:
        return cls(inst_data=inst_data, **config_value)

    def _engine(self, shard: str) -> db.engine.Engine:
        with self._engines_lock:
            engine = self._engines.get(shard)
            if engine is not None:
                self._engines.move_to_end(shard)
                return engine
            engine = db.create_engine(
                self.conn_string_for_shard(shard),
                connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS, "check_same_thread": False},
            )
            db.event.listen(engine, "connect", _pragmas)
            self._engines[shard] = engine
            while len(self._engines) > OPEN_DATABASES:
                self._engines.popitem(last=False)[1].dispose()
            return engine

    @contextmanager
    def _connect(self, shard: str) -> Iterator[db.engine.Connection]:
        with self._db_lock:
            engine = self._engine(shard)
            if shard not in self._initialized_dbs:
                self._initdb(engine)
                self._initialized_dbs.add(shard)
            with engine.connect() as conn, conn.begin():
                yield conn

    def has_table(self, table_name: str) -> bool:
        # Dagster asks this of the index before many queries (building an engine each time),
        # sometimes while it holds a connection: a connection of its own, not `_connect`.
        with self._engine(INDEX_SHARD_NAME).connect() as conn:
            return bool(conn.dialect.has_table(conn, table_name))

    def wipe(self) -> None:
        for shard in list(self._engines):
            self._close(shard)
        super().wipe()

    def dispose(self) -> None:
        for shard in list(self._engines):
            self._close(shard)
        super().dispose()

    def _close(self, shard: str) -> None:
        with self._engines_lock:
            engine = self._engines.pop(shard, None)
        if engine is not None:
            engine.dispose()
