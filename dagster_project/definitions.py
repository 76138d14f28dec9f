"""The Dagster Definitions, assembled from one module per stage under `defs/`.

`dagster dev` loads `defs` from here; the `stature` CLI calls `build_definitions` with its
flags and runs the same jobs, so a CLI run and a scheduled run are the same thing.

    ingestion (raw_*) -> dbt (staging, intermediate, marts) -> rules (scorecards.check_results)
      -> maturity snapshots and balanced scorecard -> reporting views
      -> publish (data/published/) -> the HTML report and portal files
"""

from dagster_project.defs.assembly import build_definitions
from dagster_project.defs.jobs import NIGHTLY

__all__ = ["NIGHTLY", "build_definitions", "defs"]

defs = build_definitions()
