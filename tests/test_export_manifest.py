"""The export manifest decides which files a nightly reads: a file written again byte for byte
(a fresh export folder every night) is not read, a changed file of the same size is, and a
manifest holding another digest form (an older Stature's) reads its files once more and then
holds the new one. Landed for real into a DuckDB warehouse; counts worked out by hand."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import duckdb

from ingestion import ingest_export


def _pulls(start: int, *titles: str) -> str:
    return json.dumps(
        [
            {"id": 100 + n, "number": n, "title": t, "updated_at": "2026-01-05T12:00:00Z"}
            for n, t in enumerate(titles, start=start)
        ]
    )


def _manifest(warehouse: Path) -> dict[str, tuple[int, int, str]]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rows = con.execute(
            "select path, size, mtime_ns, digest from raw_meta.export_files where source = 'github'"
        ).fetchall()
    return {path: (size, mtime, digest) for path, size, mtime, digest in rows}


def _titles(warehouse: Path) -> list[tuple[int, str]]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(
            "select number, payload ->> 'title' from raw_github.pulls order by 1"
        ).fetchall()


def _later(path: Path) -> None:
    """The file's modification time an hour on, as a re-written export gives it."""
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 3600 * 10**9))


def test_the_manifest_reads_only_the_files_whose_bytes_changed(tmp_path: Path) -> None:
    repo = tmp_path / "export" / "github" / "acme" / "alpha"
    repo.mkdir(parents=True)
    first, second = repo / "pulls.json", repo / "pulls-2.json"
    first.write_text(_pulls(1, "one", "two"))
    second.write_text(_pulls(3, "three"))
    warehouse = tmp_path / "warehouse.duckdb"

    def land() -> tuple[int, int]:
        report = ingest_export(
            tmp_path / "export", warehouse, sources=["github"], known_repos=["acme/alpha"]
        )
        assert report.failed_sources == [] and report.rejected == []
        github = report.sources["github"]
        return github.rows["pulls"], github.unchanged

    assert land() == (3, 0)
    stored = _manifest(warehouse)
    assert stored["github/acme/alpha/pulls.json"] == (
        first.stat().st_size,
        first.stat().st_mtime_ns,
        hashlib.sha256(first.read_bytes()).hexdigest(),
    )

    # Both written again, one byte for byte, the other with a title of the same length.
    first.write_text(_pulls(1, "one", "two"))
    second.write_text(_pulls(3, "3333!"))
    _later(first)
    _later(second)
    assert second.stat().st_size == stored["github/acme/alpha/pulls-2.json"][0]
    assert land() == (1, 1)
    assert _titles(warehouse) == [(1, "one"), (2, "two"), (3, "3333!")]
    # the unchanged file's new time is stored, so tomorrow it is not even hashed
    assert _manifest(warehouse)["github/acme/alpha/pulls.json"][1] == first.stat().st_mtime_ns
    assert land() == (0, 2)

    # A manifest from an older Stature (a digest in another form): a file written again is
    # read once more, lands the same rows, and its digest is stored in the new form.
    older = hashlib.blake2b(first.read_bytes(), digest_size=16).hexdigest()
    with duckdb.connect(str(warehouse)) as con:
        con.execute(
            "update raw_meta.export_files set digest = ? where path = ?",
            [older, "github/acme/alpha/pulls.json"],
        )
    _later(first)
    assert land() == (2, 1)
    assert _titles(warehouse) == [(1, "one"), (2, "two"), (3, "3333!")]
    assert _manifest(warehouse)["github/acme/alpha/pulls.json"][2] == (
        hashlib.sha256(first.read_bytes()).hexdigest()
    )
    assert land() == (0, 2)
