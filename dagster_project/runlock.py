"""One run at a time per warehouse: an exclusive lock on `<warehouse>.lock`, beside it.

Every verb that writes the warehouse (run, ingest, publish, snapshot, rules backfill and
regrade) and every Dagster run (from the UI too) takes it. The lock is an `flock` on the
file, so the kernel releases it when the holder dies, `kill -9` included: a killed run
never blocks the next one. While held, the file says who holds it (PID, host, start time,
command), so a second run can say whom it waits for; a holder that ends normally empties
it, so text found on taking the lock means the last holder was killed.

A process may take the lock again while it holds it (the CLI takes it, then the Dagster run
it starts does too).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import fcntl
import os
import socket
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ENV_COMMAND = "STATURE_COMMAND"  # what the holder says it is running (the CLI sets it)


@dataclass(frozen=True)
class Holder:
    pid: int
    host: str
    started: str  # local time, seconds
    command: str

    def describe(self) -> str:
        where = f", on {self.host}" if self.host != socket.gethostname() else ""
        return f"PID {self.pid}{where}, started {self.started}, {self.command}"

    def text(self) -> str:
        return f"pid={self.pid}\nhost={self.host}\nstarted={self.started}\ncommand={self.command}\n"

    @classmethod
    def parse(cls, text: str) -> Holder | None:
        fields = dict(line.split("=", 1) for line in text.splitlines() if "=" in line)
        try:
            return cls(
                pid=int(fields["pid"]),
                host=fields.get("host", "?"),
                started=fields.get("started", "?"),
                command=fields.get("command", "?"),
            )
        except (KeyError, ValueError):
            return None


class LockBusy(Exception):
    """Another run holds the warehouse: exit 2 at once, naming it."""

    def __init__(self, warehouse: Path, holder: Holder | None):
        self.warehouse = warehouse
        self.holder = holder
        who = f" ({holder.describe()})" if holder else ""
        super().__init__(f"another run holds {warehouse}{who}; wait for it or stop it")


@dataclass
class Lock:
    path: Path
    holder: Holder
    stale: Holder | None  # what a killed run left in the file, if anything


def lock_path(warehouse: str | Path) -> Path:
    warehouse = Path(warehouse).resolve()
    return warehouse.with_name(warehouse.name + ".lock")


def current_command() -> str:
    return os.environ.get(ENV_COMMAND) or " ".join([Path(sys.argv[0]).name, *sys.argv[1:2]])


# Locks this process holds: lock path -> [file descriptor, depth, Lock].
_held: dict[Path, list] = {}


def holder_of(warehouse: str | Path) -> Holder | None:
    """Who holds the warehouse now (None if nobody); reads the file, takes nothing."""
    path = lock_path(warehouse)
    if path in _held:
        return _held[path][2].holder
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return Holder.parse(os.pread(fd, 4096, 0).decode("utf-8", "replace"))
        fcntl.flock(fd, fcntl.LOCK_UN)
        return None
    finally:
        os.close(fd)


@contextmanager
def run_lock(warehouse: str | Path, command: str | None = None) -> Iterator[Lock]:
    """Hold the warehouse for the block, or raise LockBusy naming the holder."""
    path = lock_path(warehouse)
    if path in _held:
        # Held already by this process (the CLI holds it across the runs of one verb): the
        # first holder has said what a killed run left, if anything; this one has nothing to.
        _held[path][1] += 1
        try:
            yield dataclasses.replace(_held[path][2], stale=None)
        finally:
            _held[path][1] -= 1
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)  # not inherited by child processes
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        text = os.pread(fd, 4096, 0).decode("utf-8", "replace")
        os.close(fd)
        raise LockBusy(Path(warehouse).resolve(), Holder.parse(text)) from None
    stale = Holder.parse(os.pread(fd, 4096, 0).decode("utf-8", "replace"))
    holder = Holder(
        pid=os.getpid(),
        host=socket.gethostname(),
        started=dt.datetime.now().strftime("%Y-%m-%d %H:%M:%S"),
        command=command or current_command(),
    )
    os.ftruncate(fd, 0)
    os.pwrite(fd, holder.text().encode(), 0)
    os.fsync(fd)
    lock = Lock(path=path, holder=holder, stale=stale)
    _held[path] = [fd, 1, lock]
    try:
        yield lock
    finally:
        del _held[path]
        os.ftruncate(fd, 0)  # a normal end leaves the file empty: text means a killed run
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)
