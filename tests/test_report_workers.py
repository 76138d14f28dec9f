"""The report's pages are rendered by forked workers (report/outputs.py): each writes its
share of every folder, and the parent writes the indexes and removes stale files."""

import json
import os
import signal
from concurrent.futures.process import BrokenProcessPool

import pytest

from dagster_project.report import outputs
from dagster_project.report.outputs import _Folder, _write_folders, render_workers


def _folders(root, ids, render):
    stems = {i: f"page-{i}" for i in ids}
    return [
        _Folder(root / "pages", list(ids), stems, ".html", render),
        _Folder(root / "docs", list(ids), stems, ".json", lambda i: json.dumps({"id": i}), True),
    ]


@pytest.fixture
def three_workers(monkeypatch):
    monkeypatch.setattr(outputs, "render_workers", lambda files: 3)


def test_every_file_is_written_once_by_the_workers_and_stale_ones_go(tmp_path, three_workers):
    ids = [f"{n:03d}" for n in range(10)]
    (tmp_path / "pages").mkdir()
    (tmp_path / "pages" / "page-gone.html").write_text("a service no longer in the catalog")
    (tmp_path / "pages" / ".page-000.html.x1.tmp").write_text("a killed run's leftover")
    # each page carries the pid of the process that rendered it
    _write_folders(_folders(tmp_path, ids, lambda i: f"{i} {os.getpid()}\n"))

    pages = sorted(p.name for p in (tmp_path / "pages").iterdir())
    assert pages == [f"page-{i}.html" for i in ids]
    by = {
        p.read_text().split()[0]: int(p.read_text().split()[1])
        for p in (tmp_path / "pages").iterdir()
    }
    assert set(by) == set(ids)
    # dealt round-robin in three shares (000, 003, 006, 009 the first), each written by one
    # worker (a worker that is done may take another share), none by this process
    shares = [ids[0::3], ids[1::3], ids[2::3]]
    assert all(len({by[i] for i in share}) == 1 for share in shares)
    assert os.getpid() not in by.values()
    index = json.loads((tmp_path / "docs" / "index.json").read_text())
    assert index == {"schema_version": 1, "files": {i: f"page-{i}.json" for i in ids}}
    assert json.loads((tmp_path / "docs" / "page-007.json").read_text()) == {"id": "007"}


def test_an_error_in_a_worker_fails_the_report(tmp_path, three_workers):
    def render(i):
        if i == "005":
            raise ValueError("no template for 005")
        return i

    with pytest.raises(ValueError, match="no template for 005"):
        _write_folders(_folders(tmp_path, [f"{n:03d}" for n in range(9)], render))


def test_a_killed_worker_fails_the_report_instead_of_hanging(tmp_path, three_workers):
    def render(i):
        if i == "004":
            os.kill(os.getpid(), signal.SIGKILL)
        return i

    with pytest.raises(BrokenProcessPool):
        _write_folders(_folders(tmp_path, [f"{n:03d}" for n in range(9)], render))


def test_small_sites_render_in_this_process_large_ones_on_every_cpu():
    assert render_workers(99) == 1
    cpus = len(os.sched_getaffinity(0))
    assert render_workers(100) == min(cpus, 2)
    assert render_workers(100_000) == min(cpus, outputs.MAX_RENDER_WORKERS)
