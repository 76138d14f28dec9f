"""`stature-dbt`: dbt as a child process that cannot outlive the Stature run that started it
(the models step on Spark; on DuckDB dbt runs inside the run's process).

dagster-dbt starts `dbt` with a plain `subprocess.Popen`: if the run is killed (`kill -9`,
the machine's OOM killer), dbt would go on writing the warehouse for minutes and hold its
lock against the next run. This launcher asks Linux to send it SIGKILL when its parent dies
(`prctl(PR_SET_PDEATHSIG)`, kept across `exec`), then becomes dbt. Elsewhere it is plain dbt.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
from pathlib import Path

PR_SET_PDEATHSIG = 1
# Set by the dbt step to its own PID: the launcher checks its parent is still that process
# once the signal is armed (a parent that died in between would never send it), and it marks
# the run's dbt processes, so a test or an operator can find any that survived.
PARENT_ENV = "STATURE_PARENT_PID"


def die_with_parent() -> bool:
    """Arm SIGKILL on the parent's death; False where the platform cannot."""
    if not sys.platform.startswith("linux"):
        return False
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
        return False
    expected = os.environ.get(PARENT_ENV)
    if expected and expected.isdigit() and os.getppid() != int(expected):
        os._exit(128 + signal.SIGKILL)  # the parent is already gone
    return True


def main() -> None:
    die_with_parent()
    dbt = Path(sys.executable).with_name("dbt")
    os.execv(dbt, [str(dbt), *sys.argv[1:]])


if __name__ == "__main__":
    main()
