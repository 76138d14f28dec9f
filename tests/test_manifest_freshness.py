"""The dbt manifest Dagster loads is parsed again when the project is newer (a `git pull`
that adds a model must not fail the nightly's dbt step on a stale manifest)."""

from __future__ import annotations

import os
import time

from dagster_project.defs.dbt import DBT_DIR, MANIFEST, _project_changed_since, ensure_manifest


def test_a_manifest_older_than_the_project_is_parsed_again():
    ensure_manifest()
    an_hour_ago = time.time() - 3600
    os.utime(MANIFEST, (an_hour_ago, an_hour_ago))
    os.utime(DBT_DIR / "models" / "marts" / "fct_deployments.sql")  # edited now
    assert _project_changed_since(MANIFEST.stat().st_mtime)
    ensure_manifest()
    assert MANIFEST.stat().st_mtime > an_hour_ago + 3000
    assert not _project_changed_since(MANIFEST.stat().st_mtime)
