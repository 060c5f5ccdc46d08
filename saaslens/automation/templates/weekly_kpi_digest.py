"""Weekly KPI digest: each metric's latest value and its change from the week before.

Snapshot: {"metrics": {"mrr": [{"period": "2024-W01", "value": 1000.0}, ...], ...}},
each series in period order.
"""

import json
import os
from typing import Any


def digest_row(metric: str, series: list[dict[str, Any]]) -> dict[str, Any]:
    latest = series[-1]
    previous = series[-2]["value"] if len(series) > 1 else None
    change = None
    if previous not in (None, 0):
        change = (latest["value"] - previous) / abs(previous)
    return {
        "metric": metric,
        "period": latest["period"],
        "value": latest["value"],
        "previous": previous,
        "change": change,
    }


def main() -> None:
    with open(os.environ["SAASLENS_INPUT"]) as file:
        document = json.load(file)
    parameters = document["parameters"]
    series: dict[str, list[dict[str, Any]]] = (document.get("snapshot") or {}).get("metrics", {})
    wanted = parameters["metrics"] or sorted(series)
    rows = [digest_row(name, series[name]) for name in wanted if series.get(name)]
    print(parameters["title"])
    for row in rows:
        change = "n/a" if row["change"] is None else f"{row['change']:+.1%}"
        print(f"{row['metric']}: {row['value']} ({change}) in {row['period']}")
    with open(os.environ["SAASLENS_RESULT"], "w") as file:
        json.dump({"title": parameters["title"], "rows": rows}, file)


main()
