"""Prove the starter dashboard imports into a real Superset: install Superset in its own
virtualenv (outside the project's lock), start a throwaway instance on a SQLite metadata
database in a temporary folder, import the bundle as a user would, and check through
Superset's API that the dashboard, charts and datasets exist and every chart's query runs
on a published copy. `make check-superset` runs it; docs/results.md has the steps by hand.

    python bi/superset/check_import.py [--published data/published/stature.duckdb]

The secret key and the admin's password are made per run and never written to the
repository; the temporary folder (metadata database included) is removed afterwards.
"""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
BUNDLE = HERE / "stature_leaders"
REQUIREMENTS = HERE / "requirements.txt"
DATABASE_FILE = Path("databases") / "Stature.yaml"
ADMIN = "admin"


def install(venv: Path, uv: Path) -> float:
    """Superset and the DuckDB driver in `venv`, from requirements.txt; seconds taken (0 when
    the environment already has them)."""
    stamp = venv / ".stature-requirements"
    wanted = REQUIREMENTS.read_text()
    if (venv / "bin" / "superset").exists() and stamp.exists() and stamp.read_text() == wanted:
        return 0.0
    started = time.perf_counter()
    subprocess.run([str(uv), "venv", "--quiet", "--allow-existing", "--python",
                    sys.executable, str(venv)], check=True)  # fmt: skip
    subprocess.run([str(uv), "pip", "install", "--quiet", "--python", str(venv / "bin" / "python"),
                    "-r", str(REQUIREMENTS)], check=True)  # fmt: skip
    stamp.write_text(wanted)
    return time.perf_counter() - started


def bundle_zip(published: Path, work: Path) -> Path:
    """The bundle as Superset imports it: one top-level folder in a zip, the database
    pointed at `published` (read-only, an absolute path)."""
    copy = work / "bundle" / BUNDLE.name
    shutil.copytree(BUNDLE, copy)
    database = copy / DATABASE_FILE
    lines = database.read_text().splitlines()
    uri = f"duckdb:///{published.resolve()}?access_mode=read_only"
    lines = [f"sqlalchemy_uri: {uri}" if x.startswith("sqlalchemy_uri:") else x for x in lines]
    database.write_text("\n".join(lines) + "\n")
    return Path(shutil.make_archive(str(work / BUNDLE.name), "zip", copy.parent, BUNDLE.name))


def superset(venv: Path, env: dict[str, str], label: str, *args: str) -> None:
    """One `superset` command; its output is shown only when it fails."""
    command = [str(venv / "bin" / "superset"), *args]
    result = subprocess.run(
        command, env=env, capture_output=True, text=True, stdin=subprocess.DEVNULL
    )
    if result.returncode != 0:
        sys.stderr.write(result.stdout[-6000:] + result.stderr[-6000:])
        raise SystemExit(f"`superset {label}` failed (exit {result.returncode})")


def check(published: Path, venv: Path, uv: Path) -> None:
    if not published.is_file():
        raise SystemExit(f"{published}: no published copy; run `make demo` first")
    started = time.perf_counter()
    seconds = install(venv, uv)
    print(f"Superset in {venv}: " + (f"installed in {seconds:.0f} s" if seconds else "installed"),
          flush=True)  # fmt: skip
    work = Path(tempfile.mkdtemp(prefix="stature-superset-"))
    try:
        config = work / "superset_config.py"
        config.write_text(f"SQLALCHEMY_DATABASE_URI = 'sqlite:///{work / 'superset.db'}'\n")
        password = secrets.token_urlsafe(24)
        env = {
            **os.environ,
            "SUPERSET_CONFIG_PATH": str(config),
            "SUPERSET_HOME": str(work / "home"),
            "SUPERSET_SECRET_KEY": secrets.token_urlsafe(42),
            # `superset fab create-admin --password` from the environment (Flask's CLI reads
            # FLASK_<COMMAND>_<OPTION>), so the password never shows in a process list
            "FLASK_FAB_CREATE_ADMIN_PASSWORD": password,
            "STATURE_SUPERSET_USER": ADMIN,
            "STATURE_SUPERSET_PASSWORD": password,
        }
        steps = {
            "db upgrade": ["db", "upgrade"],
            "fab create-admin": ["fab", "create-admin", "--username", ADMIN, "--firstname",
                                 "Stature", "--lastname", "Check", "--email",
                                 "admin@example.invalid"],
            "init": ["init"],
            "import-dashboards": ["import-dashboards", "--path",
                                  str(bundle_zip(published, work)), "--username", ADMIN],
        }  # fmt: skip
        for label, step in steps.items():
            print(f"superset {label}", flush=True)
            superset(venv, env, label, *step)
        verify = [str(venv / "bin" / "python"), str(HERE / "verify_import.py")]
        result = subprocess.run(verify, env=env, capture_output=True, text=True)
        sys.stdout.write(result.stdout)
        if result.returncode != 0:
            sys.stderr.write(result.stderr[-6000:])
            raise SystemExit("the imported dashboard does not work (above)")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"done in {time.perf_counter() - started:.0f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--published", type=Path, default=REPO / "data/published/stature.duckdb")
    parser.add_argument("--venv", type=Path, default=REPO / ".tools/superset-venv")
    parser.add_argument("--uv", type=Path, default=REPO / ".tools/bin/uv")
    args = parser.parse_args()
    check(args.published, args.venv, args.uv)


if __name__ == "__main__":
    main()
