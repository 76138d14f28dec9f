"""The rule engine: standards written as one SQL file each, checked, evaluated and stored.

Modules, in the order a rule goes through them: `model` (header and thresholds), `loader`
(files), `validate` (sqlglot + catalog), `sandbox` (locked DuckDB), `grade` (statuses),
`engine` (a run), `store` (check_results); the analyst's loop in `fixtures`, `diff` and
`regrade`. Nothing here imports Dagster or dbt, so `stature rules check` stays fast; the rule
assets live in dagster_project/defs/rules.py and the verbs in dagster_project/cli/rules.py.
"""
