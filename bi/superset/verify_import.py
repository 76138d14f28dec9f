"""Run inside Superset's own environment after `superset import-dashboards`: through
Superset's REST API (its Flask app, logged in as the admin), check that the starter
dashboard, its charts and their datasets exist and that every chart's query runs on the
published copy and returns rows. Prints one line per chart; exits 1 on the first gap.

The admin's name and password come from STATURE_SUPERSET_USER / STATURE_SUPERSET_PASSWORD
(check_import.py generates the password per run); SUPERSET_CONFIG_PATH points at the
throwaway instance.
"""

from __future__ import annotations

import json
import os
import sys

DASHBOARD = "stature-leaders"
EXPECTED_CHARTS = 6


def fail(message: str) -> None:
    print(f"FAIL: {message}", file=sys.stderr)
    sys.exit(1)


def query_context(datasource_id: int, form: dict) -> dict:
    """The query the chart's front end builds from its form data: a time-series chart
    groups its metrics by the x axis (at the chart's time grain) and its series; a raw
    table selects its columns."""
    query: dict = {"filters": [], "row_limit": form.get("row_limit", 10000), "extras": {}}
    if form.get("x_axis"):
        axis = {
            "columnType": "BASE_AXIS",
            "expressionType": "SQL",
            "sqlExpression": form["x_axis"],
            "label": form["x_axis"],
            "timeGrain": form.get("time_grain_sqla"),
        }
        query |= {
            "columns": [axis, *form.get("groupby", [])],
            "metrics": form["metrics"],
            "series_columns": form.get("groupby", []),
            "extras": {"time_grain_sqla": form.get("time_grain_sqla")},
        }
    else:
        query |= {"columns": form["all_columns"], "metrics": []}
    return {
        "datasource": {"id": datasource_id, "type": "table"},
        "force": True,
        "queries": [query],
        "form_data": form,
        "result_format": "json",
        "result_type": "full",
    }


def main() -> None:
    from superset.app import create_app

    app = create_app()
    client = app.test_client()
    login = client.post(
        "/api/v1/security/login",
        json={
            "username": os.environ["STATURE_SUPERSET_USER"],
            "password": os.environ["STATURE_SUPERSET_PASSWORD"],
            "provider": "db",
            "refresh": False,
        },
    )
    if login.status_code != 200:
        fail(f"logging in as the admin: HTTP {login.status_code}")
    headers = {"Authorization": f"Bearer {login.json['access_token']}"}

    def get(url: str) -> dict:
        response = client.get(url, headers=headers)
        if response.status_code != 200:
            fail(f"GET {url}: HTTP {response.status_code} {response.get_data(as_text=True)}")
        return response.json["result"]

    dashboard = get(f"/api/v1/dashboard/{DASHBOARD}")
    charts = get(f"/api/v1/dashboard/{DASHBOARD}/charts")
    datasets = {d["id"]: d for d in get(f"/api/v1/dashboard/{DASHBOARD}/datasets")}
    print(f"dashboard {dashboard['dashboard_title']!r}: {len(charts)} charts, "
          f"{len(datasets)} datasets")  # fmt: skip
    if len(charts) != EXPECTED_CHARTS or len(datasets) != EXPECTED_CHARTS:
        fail(f"expected {EXPECTED_CHARTS} charts and datasets on the dashboard")
    # the layout places exactly these charts (the import renumbers the bundle's chart ids)
    layout = json.loads(dashboard["position_json"])
    placed = {item["meta"]["chartId"] for item in layout.values()
              if isinstance(item, dict) and item.get("type") == "CHART"}  # fmt: skip
    if placed != {chart["id"] for chart in charts}:
        fail(f"the layout places charts {sorted(placed)}, the dashboard has "
             f"{sorted(chart['id'] for chart in charts)}")  # fmt: skip
    for chart in charts:
        form = chart["form_data"]
        datasource_id = int(str(form["datasource"]).split("__")[0])
        if datasource_id not in datasets:
            fail(f"chart {chart['slice_name']!r}: its dataset {datasource_id} is not imported")
        response = client.post(
            "/api/v1/chart/data", headers=headers, json=query_context(datasource_id, form)
        )
        body = response.get_data(as_text=True)
        if response.status_code != 200:
            fail(f"chart {chart['slice_name']!r}: HTTP {response.status_code} {body[:2000]}")
        (result,) = json.loads(body)["result"]
        if result.get("error") or not result.get("rowcount"):
            fail(f"chart {chart['slice_name']!r}: {result.get('error') or 'no rows'}")
        dataset = datasets[datasource_id]["table_name"]
        print(f"  {chart['slice_name']} ({form['viz_type']}, dataset {dataset}): "
              f"{result['rowcount']} rows")  # fmt: skip
    print("OK: the dashboard, its charts and datasets are imported and every chart's query runs")


if __name__ == "__main__":
    main()
