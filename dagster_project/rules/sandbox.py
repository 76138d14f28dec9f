"""The sandbox rules run in: an in-memory DuckDB with the warehouse
attached read-only, external access disabled and the configuration locked, and a time limit
per query enforced by `interrupt()`.

`read_only` alone is not a sandbox (COPY TO and read_csv still work), so external access is
turned off; it cannot be turned back on once the configuration is locked. The engine's own
scratch tables live in the in-memory catalog `memory`, which a rule cannot write to (a rule
is one SELECT, checked before it runs).

For a past date (`catalog_as_of`) the schemas rules read are views in `memory`, and
`marts.dim_services` there is the catalog as it was on that date (rules/catalog_asof.py).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import itertools
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from dagster_project.rules.catalog_asof import bind_catalog
from dagster_project.warehouse import LOCK_RETRY_SECONDS

WAREHOUSE_ALIAS = "wh"


class RuleTimeout(Exception):
    """A query ran past the per-rule time limit and was interrupted."""


class WarehouseMissing(Exception):
    """The warehouse file does not exist yet."""


class Watchdog:
    """One thread that interrupts connections whose query runs past its deadline.

    A thread per query would cost more than the small queries it guards; this one sleeps
    until the nearest deadline and interrupts only connections still armed then.
    """

    def __init__(self) -> None:
        self._cv = threading.Condition()
        self._armed: dict[int, tuple[float, duckdb.DuckDBPyConnection]] = {}
        self._fired: set[int] = set()
        self._ids = itertools.count()
        self._closed = False
        self._thread = threading.Thread(
            target=self._loop, name="stature-rule-watchdog", daemon=True
        )
        self._thread.start()

    def arm(self, con: duckdb.DuckDBPyConnection, seconds: float) -> int:
        with self._cv:
            token = next(self._ids)
            self._armed[token] = (time.monotonic() + seconds, con)
            self._cv.notify()
            return token

    def disarm(self, token: int) -> bool:
        """Stop guarding; True if the deadline passed and the query was interrupted."""
        with self._cv:
            self._armed.pop(token, None)
            fired = token in self._fired
            self._fired.discard(token)
            return fired

    def close(self) -> None:
        with self._cv:
            self._closed = True
            self._cv.notify()
        self._thread.join(timeout=5)

    def _loop(self) -> None:
        with self._cv:
            while not self._closed:
                if not self._armed:
                    self._cv.wait()
                    continue
                token, (deadline, con) = min(self._armed.items(), key=lambda kv: kv[1][0])
                wait = deadline - time.monotonic()
                if wait > 0:
                    self._cv.wait(wait)
                    continue
                del self._armed[token]
                self._fired.add(token)
                con.interrupt()


class Sandbox:
    """A locked, read-only view of the warehouse for running rule SQL."""

    def __init__(
        self,
        warehouse: Path,
        timeout_seconds: float = 30.0,
        threads: int | None = None,
        catalog_as_of: dt.date | None = None,
    ):
        self.warehouse = Path(warehouse)
        self.catalog_as_of = catalog_as_of
        self.database = WAREHOUSE_ALIAS  # what `USE` names: `memory` when the catalog is bound
        if not self.warehouse.exists():
            raise WarehouseMissing(
                f"{self.warehouse}: warehouse not found; build it first (stature run), or pass --warehouse FILE"
            )
        self.timeout_seconds = timeout_seconds
        self.con = duckdb.connect(":memory:")
        try:
            self._lock_down(threads)
        except Exception:
            self.con.close()
            raise
        self.watchdog = Watchdog()

    def _lock_down(self, threads: int | None) -> None:
        con = self.con
        path = str(self.warehouse.resolve()).replace("'", "''")
        con.execute("SET TimeZone = 'UTC'")
        if threads:
            con.execute(f"SET threads = {int(threads)}")
        for setting in (
            "python_enable_replacements",
            "autoinstall_known_extensions",
            "autoload_known_extensions",
        ):
            # Not every build has every setting; external access (below) is the real fence.
            with contextlib.suppress(duckdb.Error):
                con.execute(f"SET {setting} = false")
        self._attach(path)
        if self.catalog_as_of is not None and bind_catalog(
            con, WAREHOUSE_ALIAS, self.catalog_as_of
        ):
            self.database = "memory"
        else:
            self.catalog_as_of = None
        con.execute(f"USE {self.database}")
        con.execute("SET enable_external_access = false")
        con.execute("SET lock_configuration = true")

    def _attach(self, path: str, wait_seconds: float = LOCK_RETRY_SECONDS) -> None:
        """Attach the warehouse read-only, waiting while another process writes it (DuckDB
        lets no reader in then)."""
        deadline, delay = time.monotonic() + wait_seconds, 0.1
        while True:
            try:
                self.con.execute(f"ATTACH '{path}' AS {WAREHOUSE_ALIAS} (READ_ONLY)")
                return
            except duckdb.IOException as exc:
                if "lock" not in str(exc).lower() or time.monotonic() > deadline:
                    raise
                time.sleep(delay)
                delay = min(delay * 2, 2.0)

    def cursor(self) -> duckdb.DuckDBPyConnection:
        """Another connection to the same sandbox (for a worker thread): same lock-down."""
        cur = self.con.cursor()
        cur.execute(f"USE {self.database}")
        return cur

    @contextmanager
    def time_limit(
        self, con: duckdb.DuckDBPyConnection, seconds: float | None = None
    ) -> Iterator[None]:
        """Interrupt `con` if the block runs longer than the limit; raise RuleTimeout then."""
        limit = self.timeout_seconds if seconds is None else seconds
        token = self.watchdog.arm(con, limit)
        try:
            yield
        except duckdb.InterruptException as exc:
            if self.watchdog.disarm(token):
                raise RuleTimeout(
                    f"timed out after {limit:g} s and was stopped (rules.timeout_seconds in stature.yml)"
                ) from exc
            raise
        finally:
            self.watchdog.disarm(token)

    @staticmethod
    def set_as_of(con: duckdb.DuckDBPyConnection, as_of: dt.date) -> None:
        con.execute(f"SET VARIABLE as_of = DATE '{as_of.isoformat()}'")

    def close(self) -> None:
        self.watchdog.close()
        self.con.close()

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
