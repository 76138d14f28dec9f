"""Quarterly maturity snapshots and the balanced scorecard, built on the rule results
(docs/maturity.md).

ladder.py        the ladder and an entity's level on it (teams and the org too)
quarters.py      fiscal quarters, named by the calendar year in which the fiscal year starts
snapshot.py      scorecards.maturity_snapshots / _movements / _audit: build, close, recompute
bsc.py           the measures, scorecards.bsc_targets and the scorecard-shape warnings
                 (grading is the dbt model scorecards.balanced_scorecard)
strategy_map.py  the config's strategy map drawn as SVG and PNG

Its Dagster assets live in dagster_project/defs/maturity.py, its verb in dagster_project/cli/snapshot.py.
"""
