"""What leaders and teams open: the `reporting` views, the static HTML report and the
per-service / per-team files, all read from the published copy (never the live warehouse).

    data.py    reads the published copy (the reporting views, dbt models in
               dbt_project/models/reporting) for the report and the portal files
    svg.py     inline SVG charts (no scripts, no external resources)
    html.py    the self-contained HTML report
    portal.py  services/<service_id>.json and teams/<team_id>.md
    outputs.py writes all of them under the published folder

Its Dagster assets live in dagster_project/defs/reporting.py, its verb in dagster_project/cli/report.py.
"""
