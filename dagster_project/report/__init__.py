"""What leaders and teams open, read from the published copy (never the live warehouse): a
static site of pages per org, team, service and standard, and the per-service / per-team
files for portals.

    data.py          reads the published copy (the reporting views, dbt models in
                     dbt_project/models/reporting)
    site.py          the data indexed by team, service and standard; page addresses; the
                     Jinja2 environment (templates/, autoescaped)
    org_pages.py     the overview, every service, every standard, the balanced scorecard
    entity_pages.py  a page per team, per service, per standard
    trends.py        DORA by quarter with tier bands, summary cards, pass rates, levels
    charts.py        chart geometry (templates/charts.html draws it as inline SVG)
    tables.py        tables as data for templates/assets/site.js (sort, filter, search, pages)
    format.py        how numbers, statuses, levels and ids read
    portal.py        services/<name>.json and teams/<name>.md (templates/team.md)
    filenames.py     one collision-free file name per id, for pages and portal files alike
    outputs.py       writes all of them under the published folder

Its Dagster asset lives in dagster_project/defs/reporting.py, its verb in
dagster_project/cli/report.py.
"""
