"""Every Dagster definition of Stature, one module per stage: assets, asset checks, jobs,
schedules, sensors and the resource they share. `dagster_project/definitions.py` assembles
them; nothing else in the project imports Dagster."""
