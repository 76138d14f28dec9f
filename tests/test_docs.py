"""README and docs/ point only at things that exist: every relative link and every repository
path written in code spans resolves, and nothing names a file outside the repository."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
DOCS = [REPO / "README.md", *sorted((REPO / "docs").rglob("*.md"))]
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
CODE = re.compile(r"`([^`\n]+)`")
# Top-level folders and files of the repository: a code span starting with one is a path.
TOP = {p.name for p in REPO.iterdir() if not p.name.startswith(".")} - {"data"}
GENERATED = ("data/", "dbt_project/target/", ".venv/", "notebooks/leaders-executed")


def _is_repo_path(text: str) -> bool:
    if any(ch in text for ch in " <>{}*$|") or text.startswith(GENERATED):
        return False
    head = text.split("/", 1)[0]
    return "/" in text and head in TOP


def _references(doc: Path) -> list[tuple[int, str, Path]]:
    out = []
    for number, line in enumerate(doc.read_text(encoding="utf-8").splitlines(), start=1):
        for target in LINK.findall(line):
            if re.match(r"^[a-z]+:", target) or target.startswith("#"):
                continue
            path = target.split("#", 1)[0]
            if path:
                out.append((number, path, (doc.parent / path).resolve()))
        for span in CODE.findall(line):
            candidate = span.split(":", 1)[0].rstrip(".,")
            if _is_repo_path(candidate):
                out.append((number, candidate, (REPO / candidate).resolve()))
    return out


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: str(p.relative_to(REPO)))
def test_every_link_and_path_exists(doc):
    missing = [
        f"{doc.relative_to(REPO)}:{n}: {text}"
        for n, text, path in _references(doc)
        if not path.exists()
    ]
    assert not missing, "\n".join(missing)


def test_nothing_names_a_design_file_outside_the_repository():
    """Code, SQL, config and docs restate what a reader needs instead of pointing at notes
    that are not in the repository."""
    outside = re.compile(r"\b(DESIGN|STACK|STYLE)\.md\b|\bDESIGN\b")
    tracked = subprocess.run(
        ["git", "ls-files"], cwd=REPO, capture_output=True, text=True, check=True
    ).stdout.split()
    hits = []
    for name in tracked:
        if not name.endswith((".py", ".sql", ".yml", ".yaml", ".md", ".toml", ".ipynb")):
            continue
        text = (REPO / name).read_text(encoding="utf-8", errors="replace")
        for n, line in enumerate(text.splitlines(), start=1):
            if outside.search(line) and name != "tests/test_docs.py":
                hits.append(f"{name}:{n}")
    assert not hits, hits
