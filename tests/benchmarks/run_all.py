"""`make bench`: run every benchmark script in this folder and print its figures.

Benchmarks are measurements, not tests: they print timings with the machine and the commit,
and never fail on a number.
"""

from __future__ import annotations

import importlib
import platform
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def machine() -> str:
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=HERE
    ).stdout.strip()
    cpus = len(__import__("os").sched_getaffinity(0))
    return f"{platform.node()} {platform.machine()} {cpus} cores, Python {platform.python_version()}, commit {commit or '?'}"


def main(argv: list[str] | None = None) -> int:
    names = argv if argv else sorted(p.stem for p in HERE.glob("bench_*.py"))
    print(f"# Stature benchmarks on {machine()}", flush=True)
    for name in names:
        print(f"\n## {name}", flush=True)
        module = importlib.import_module(f"tests.benchmarks.{name}")
        module.main([])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
