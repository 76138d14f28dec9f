"""Real processes for the fault-injection tests: start `stature run`, wait for a stage in its
step log, kill it with SIGKILL, find any process it left, read the warehouse's tables.

Nothing here mocks anything: the runs are the real CLI in subprocesses, the kills are real
signals, the survivors are found in /proc.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from tests.conftest import REPO, STATURE, Workspace

# `stature run` puts its PID in its environment under this name: every process it starts
# (dbt, Dagster's log watchers, ...) inherits it, so what outlives a killed run is found.
MARKER = "STATURE_PARENT_PID"
# A line in the step log (INFO) that says the run is in the stage.
STAGES = {
    "ingestion": re.compile(r" - ingest_\w+ - \w+: reading export directory"),
    "dbt": re.compile(r" START sql (view|table) model "),
    "rules": re.compile(r" - rules - evaluating \d+ rules? as of "),
    "publish": re.compile(r" - published__stature - publishing to "),
}


def env_for(ws: Workspace) -> dict[str, str]:
    env = {**os.environ, "DAGSTER_HOME": str(ws.root / "dagster_home")}
    env.pop("STATURE_WAREHOUSE", None)
    return env


@dataclass
class Run:
    """A `stature run` in the background, its output in files."""

    ws: Workspace
    proc: subprocess.Popen
    out: Path
    err: Path
    started: float = field(default_factory=time.monotonic)

    @property
    def pid(self) -> int:
        return self.proc.pid

    def stdout(self) -> str:
        return self.out.read_text(errors="replace") if self.out.exists() else ""

    def stderr(self) -> str:
        return self.err.read_text(errors="replace") if self.err.exists() else ""

    def log_path(self) -> Path | None:
        match = re.search(r"\(step logs: (.+)\)", self.stdout())
        return Path(match.group(1)) if match else None

    def log(self) -> str:
        path = self.log_path()
        return path.read_text(errors="replace") if path and path.exists() else ""

    def wait_for_stage(self, stage: str, timeout: float = 600) -> None:
        """Block until the step log shows the stage (fails if the run ends first)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if STAGES[stage].search(self.log()):
                return
            if self.proc.poll() is not None:
                raise AssertionError(
                    f"the run ended (exit {self.proc.returncode}) before the {stage} stage:\n"
                    + self.stdout()[-2000:]
                    + self.stderr()[-2000:]
                )
            time.sleep(0.05)
        raise AssertionError(f"no {stage} stage within {timeout} s")

    def kill(self) -> None:
        os.kill(self.pid, signal.SIGKILL)
        self.proc.wait(timeout=30)

    def wait(self, timeout: float = 900) -> int:
        return self.proc.wait(timeout=timeout)


def start_run(ws: Workspace, *args: str, name: str = "run") -> Run:
    out, err = ws.root / f"{name}.out", ws.root / f"{name}.err"
    with out.open("w") as o, err.open("w") as e:
        proc = subprocess.Popen(
            [str(STATURE), "run", *args, "--config", str(ws.config)],
            cwd=REPO,
            env=env_for(ws),
            stdout=o,
            stderr=e,
        )
    return Run(ws, proc, out, err)


def processes_marked(pid: int, command: str = "") -> list[int]:
    """PIDs of live processes started by run `pid` (their environment holds
    STATURE_PARENT_PID=<pid>), whose command line contains `command`."""
    marker = f"{MARKER}={pid}".encode() + b"\0"
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == pid:
            continue
        try:
            environ = (entry / "environ").read_bytes()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            state = (entry / "stat").read_text().split(") ", 1)[1].split(" ", 1)[0]
        except (OSError, IndexError):
            continue
        if marker in environ and state != "Z" and command in cmdline:
            found.append(int(entry.name))
    return found


def survivors(pid: int, grace: float = 10.0) -> list[int]:
    """What is left of killed run `pid` after a grace period (a child killed by its
    parent-death signal takes a moment to go)."""
    deadline = time.monotonic() + grace
    while True:
        left = processes_marked(pid)
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(0.1)


# --- the warehouse's tables ------------------------------------------------------------------


def raw_fingerprints(warehouse: Path) -> dict[str, tuple[int, str]]:
    """Every raw table (dlt's bookkeeping left out): rows and a hash of the sorted rows, the
    load ids dlt stamps on them left out."""
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        tables = con.execute(
            "select table_schema, table_name, list(column_name order by ordinal_position) "
            "from information_schema.columns where table_schema like 'raw\\_%' escape '\\' "
            "and table_schema not like '%\\_staging' escape '\\' and table_name not like '\\_dlt%' "
            "escape '\\' and column_name not like '\\_dlt%' escape '\\' group by all order by all"
        ).fetchall()
        out = {}
        for schema, table, columns in tables:
            cols = ", ".join(f'"{c}"' for c in columns)
            out[f"{schema}.{table}"] = con.execute(
                f"select count(*), md5(coalesce(string_agg(r, chr(10) order by r), '')) "
                f'from (select cast(row({cols}) as varchar) as r from "{schema}"."{table}")'
            ).fetchone()
        return out
    finally:
        con.close()


def copy_workspace(src: Workspace, root: Path, make) -> Workspace:
    """The same state in another folder (warehouse, dlt's folder, published copy, Dagster's
    run storage), with its own config."""
    shutil.copytree(src.root, root, symlinks=True)
    (root / "stature.yml").unlink()
    for lock in root.glob("*.lock"):
        lock.unlink()
    return make(root)


# --- a reader of the published copy, in its own process --------------------------------------

READER = textwrap.dedent(
    """
    import json, sys, time, duckdb
    from pathlib import Path
    published, stop, log = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
    ok = failed = 0
    errors = []
    while not stop.exists():
        try:
            con = duckdb.connect(str(published / "stature.duckdb"), read_only=True)
            con.execute("select count(*) from marts.dim_services").fetchone()
            con.execute("select count(*) from scorecards.check_results").fetchone()
            con.close()
            duckdb.sql(
                "select count(*) from read_parquet('"
                + str(published / "parquet" / "marts" / "dim_services.parquet")
                + "')"
            ).fetchall()
            ok += 1
        except Exception as exc:
            failed += 1
            errors.append(str(exc).splitlines()[0])
        time.sleep(0.1)
    log.write_text(json.dumps({"ok": ok, "failed": failed, "errors": errors[:20]}))
    """
)


@dataclass
class Reader:
    proc: subprocess.Popen
    stop: Path
    log: Path

    def finish(self) -> dict:
        self.stop.touch()
        self.proc.wait(timeout=60)
        return json.loads(self.log.read_text())


def start_reader(published: Path, folder: Path) -> Reader:
    stop, log = folder / "reader.stop", folder / "reader.json"
    proc = subprocess.Popen([sys.executable, "-c", READER, str(published), str(stop), str(log)])
    return Reader(proc, stop, log)
