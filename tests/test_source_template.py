"""The template source package works as it is: registered (the one line a new source adds to
ingestion/registry.py), it lands its example export, sets a bad record aside, and pulls the
same rows over HTTP from a local server with its cursor. Copy this test with the template."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import duckdb
import pytest

from ingestion import ApiSettings, ingest_export, pull_source, registry
from ingestion.cursors import load_cursors
from ingestion.sources import _template as example
from tests.support.replay_server import LocalServer, Request

EVENTS = [
    {"id": "E1", "created_at": "2026-11-01T10:00:00Z", "updated_at": "2026-11-01T11:00:00Z"},
    {"id": "E2", "created_at": "2026-11-02T10:00:00Z", "updated_at": "2026-11-02T11:00:00Z"},
    {"id": "E3", "created_at": "2026-11-03T10:00:00Z", "updated_at": "2026-11-03T12:00:00Z"},
]


@pytest.fixture
def registered(monkeypatch):
    """The template as a registered source, for this test only."""
    monkeypatch.setattr(registry, "REGISTRY", (*registry.REGISTRY, example.SOURCE))
    return example.SOURCE


def events(warehouse: Path) -> list[tuple]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(
            "select event_id, updated_at::varchar from raw_example.events order by 1"
        ).fetchall()


def test_the_template_declares_a_consistent_source():
    assert registry.check(example.SOURCE) is example.SOURCE
    assert example.SOURCE.name not in registry.SOURCES  # a template, not a source


def test_the_template_lands_its_export_and_sets_a_bad_record_aside(registered, tmp_path):
    folder = tmp_path / "export" / "example"
    folder.mkdir(parents=True)
    (folder / "events.json").write_text(json.dumps({"events": EVENTS[:2]}))
    bad = {**EVENTS[2], "duration_ms": "slow"}
    (folder / "events-2.json").write_text(json.dumps({"events": [bad]}))
    report = ingest_export(tmp_path / "export", tmp_path / "w.duckdb", sources=["example"])

    assert report.sources["example"].rows == {"events": 2}
    [rejected] = report.rejected
    assert (rejected.file, rejected.record_key, rejected.field, rejected.value) == (
        "example/events-2.json",
        "E3",
        "duration_ms",
        "slow",
    )
    assert events(tmp_path / "w.duckdb") == [
        ("E1", "2026-11-01 11:00:00+00"),
        ("E2", "2026-11-02 11:00:00+00"),
    ]


def test_the_template_pulls_pages_by_link_header_and_keeps_a_cursor(registered, tmp_path):
    def api(request: Request, base_url: str):
        if request.path != "/v1/events" or request.headers.get("Authorization") != "Bearer t0ken":
            return 404, {}, b"{}"
        since = request.arg("updated_since")
        found = [e for e in EVENTS if not since or e["updated_at"] > since]
        page = int(request.arg("page", "1"))
        body = json.dumps({"events": found[(page - 1) * 2 : page * 2]}).encode()
        more = len(found) > page * 2
        link = f'<{base_url}/v1/events?sort=updated_at&page={page + 1}>; rel="next"'
        return 200, {"Link": link} if more else {}, body

    warehouse = tmp_path / "w.duckdb"
    with LocalServer(api) as server:
        config = SimpleNamespace(
            sources=SimpleNamespace(example=SimpleNamespace(base_url=server.url, token_env="T")),
            base_dir=tmp_path,
        )
        settings = ApiSettings(env={"T": "t0ken"}, sleep=lambda s: None)
        first = pull_source("example", config, warehouse, settings=settings)
        again = pull_source("example", config, warehouse, settings=settings)

    assert first.error is None and first.rows == {"events": 3}
    assert again.error is None and again.rows == {"events": 0}  # nothing changed since
    assert [r.path for r in server.requests] == ["/v1/events"] * 3
    assert server.requests[2].arg("updated_since") == "2026-11-03T12:00:00Z"
    assert events(warehouse)[-1] == ("E3", "2026-11-03 12:00:00+00")
    cursor = load_cursors(warehouse, "example", server.url).get("events")
    assert cursor == {"updated_at": "2026-11-03T12:00:00Z"}


HEADINGS = {
    "github": "## GitHub",
    "gitlab": "## GitLab",
    "jenkins": "## Jenkins",
    "pagerduty": "## PagerDuty",
    "opsgenie": "## Opsgenie",
    "catalog": "## Backstage catalog",
    "inputs": "## Manual inputs",
}


def test_docs_sources_names_every_source_and_every_checked_field():
    doc = (Path(__file__).parents[1] / "docs" / "sources.md").read_text()
    assert set(HEADINGS) == set(registry.SOURCES)
    for src in registry.REGISTRY:
        start = doc.index(HEADINGS[src.name] + "\n")
        end = doc.find("\n## ", start + 1)
        section = doc[start : end if end > 0 else None]
        for table in src.tables:
            assert f"`{table.name}`" in section, (src.name, table.name)
            for check in table.typed:
                assert check.name in section, (src.name, table.name, check.name)
