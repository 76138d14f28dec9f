"""The warehouse lock with real processes: a holder in a subprocess, a second taker refused
with the holder's PID, start time and command, a killed holder's lock free at once and its
leftover noted."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap

import pytest

from dagster_project.runlock import LockBusy, holder_of, lock_path, run_lock

HOLDER = textwrap.dedent(
    """
    import sys, time
    from dagster_project.runlock import run_lock
    with run_lock(sys.argv[1], "stature run"):
        print("held", flush=True)
        time.sleep(120)
    """
)


@pytest.fixture
def holder(tmp_path):
    warehouse = tmp_path / "warehouse.duckdb"
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(warehouse)], stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout.readline().strip() == "held"
    yield warehouse, proc
    if proc.poll() is None:
        proc.kill()
        proc.wait()


def test_a_second_taker_is_refused_naming_the_holder(holder):
    warehouse, proc = holder
    with pytest.raises(LockBusy) as refused, run_lock(warehouse, "stature ingest"):
        pass
    message = str(refused.value)
    assert message.startswith(f"another run holds {warehouse.resolve()} (PID {proc.pid}, started ")
    assert message.endswith(", stature run); wait for it or stop it")
    assert holder_of(warehouse).pid == proc.pid


def test_a_killed_holder_frees_the_lock_and_the_next_run_notes_it(holder):
    warehouse, proc = holder
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert holder_of(warehouse) is None
    with run_lock(warehouse, "stature run") as lock:
        assert lock.stale is not None and lock.stale.pid == proc.pid
        assert lock.stale.command == "stature run"
        assert holder_of(warehouse).pid == os.getpid()
        with run_lock(warehouse) as inner:  # a run of the same verb: said once, not twice
            assert inner.stale is None
    assert lock_path(warehouse).read_text() == ""
    with run_lock(warehouse) as again:
        assert again.stale is None  # a normal end leaves nothing to note


def test_the_lock_is_reentrant_in_one_process_and_not_inherited_by_children(tmp_path):
    warehouse = tmp_path / "warehouse.duckdb"
    with run_lock(warehouse, "stature run") as outer:
        with run_lock(warehouse) as inner:
            # the same hold; only the first holder reports what a killed run left
            assert (inner.path, inner.holder, inner.stale) == (outer.path, outer.holder, None)
        assert holder_of(warehouse).pid == os.getpid()  # still held after the inner block
        # a child started while the lock is held (dbt) must not keep it after we end
        child = subprocess.Popen(["sleep", "60"])
    try:
        assert holder_of(warehouse) is None
        taker = subprocess.run(
            [sys.executable, "-c", HOLDER.replace("time.sleep(120)", "pass"), str(warehouse)],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert taker.stdout.strip() == "held", taker.stderr
    finally:
        child.kill()
        child.wait()
