"""The layers are a contract `make lint` enforces: crossing one fails import-linter."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def _lint(root: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(LINT_IMPORTS), "--config", str(root / "pyproject.toml"), "--no-cache"],
        cwd=root,
        env={"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
    )


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """A copy of the two packages and the contracts, free to break."""
    for package in ("dagster_project", "ingestion"):
        shutil.copytree(
            REPO / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__")
        )
    shutil.copy(REPO / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def test_the_layers_hold_today(tree):
    result = _lint(tree)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "BROKEN" not in result.stdout


@pytest.mark.parametrize(
    ("module", "line", "contract"),
    [
        (
            "dagster_project/rules/grade.py",
            "import dagster",
            "only defs/ and definitions.py import Dagster",
        ),
        (
            "dagster_project/rules/grade.py",
            "import ingestion.registry",
            "the rule engine imports no ingestion and no report",
        ),
        (
            "ingestion/landing.py",
            "import dagster_project.config",
            "ingestion imports nothing of dagster_project",
        ),
        (
            "dagster_project/publish.py",
            "import dagster_project.cli.options",
            "CLI over Dagster layer over plain libraries",
        ),
    ],
)
def test_crossing_a_layer_fails_lint(tree, module, line, contract):
    path = tree / module
    path.write_text(path.read_text() + f"\n{line}  # noqa\n")
    result = _lint(tree)
    assert result.returncode != 0
    assert f"{contract} BROKEN" in result.stdout
