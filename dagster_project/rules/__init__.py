"""The rule engine: standards written as one SQL file each, checked, evaluated and stored.

Modules, in the order a rule goes through them: `model` (header and thresholds), `loader`
(files), `validate` (sqlglot + catalog), `sandbox` (locked DuckDB), `grade` (statuses),
`engine` (a run), `store` (check_results). The analyst's loop lives in `cli`, `fixtures`,
`diff` and `regrade`; Dagster assets in `assets`. Nothing here imports Dagster or dbt except
`assets`, so `stature rules check` stays fast.
"""
