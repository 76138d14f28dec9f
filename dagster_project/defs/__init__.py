"""Every Dagster definition of Stature, one module per stage: assets, asset checks, jobs,
schedules, sensors and the resource they share. `dagster_project/definitions.py` assembles
them; nothing else in the project imports Dagster."""

import warnings

# Single-run backfills (a range of days in one run) are what the rules and quarterly assets
# are built for; Dagster marks the parameter beta, which is no news to a user.
warnings.filterwarnings("ignore", message=r"Parameter `backfill_policy`")
