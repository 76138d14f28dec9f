"""The `stature` command's quick exit (dagster_project.cli.entry): it skips the interpreter's
teardown, so it must do itself what a normal exit does before it. Checked in a real process
whose `main` prints more than a pipe holds, leaves a thread running, registers an exit
handler and returns 1."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

from tests.conftest import REPO, STATURE

CHILD = textwrap.dedent(
    """
    import atexit, sys, threading, time
    from pathlib import Path
    import dagster_project.cli as cli

    out = Path(sys.argv[1])

    def main():
        for n in range(20_000):  # about 250 KB: more than a pipe holds while nobody reads
            print(f"line {n:05d} " + "x" * 2)
        print("stderr too", file=sys.stderr)

        def late():
            time.sleep(0.5)
            (out / "thread").write_text("finished")

        threading.Thread(target=late).start()
        atexit.register(lambda: (out / "atexit").write_text("ran"))
        return 1

    cli.main = main
    cli.entry()
    """
)


def test_the_quick_exit_keeps_output_threads_handlers_and_status(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(tmp_path)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1
    lines = done.stdout.splitlines()
    assert len(lines) == 20_000 and lines[-1] == "line 19999 xx"
    assert done.stderr == "stderr too\n"
    assert (tmp_path / "thread").read_text() == "finished"
    assert (tmp_path / "atexit").read_text() == "ran"


def test_the_installed_command_exits_with_mains_status() -> None:
    done = subprocess.run(
        [str(STATURE), "summary", "--config", "/nonexistent/stature.yml"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2
    assert done.stderr == (
        "stature: /nonexistent/stature.yml: config file not found (pass --config FILE)\n"
    )
