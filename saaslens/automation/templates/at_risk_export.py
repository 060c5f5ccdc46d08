"""At-risk customer export: customers at or above a risk score, as rows and as CSV.

Snapshot: {"customers": [{"id": "c1", "name": "Acme", "mrr": 9900, "risk": 0.8}, ...]}.
"""

import csv
import io
import json
import os
from typing import Any


def export(customers: list[dict[str, Any]], min_risk: float, limit: int) -> list[dict[str, Any]]:
    risky = [customer for customer in customers if customer.get("risk", 0.0) >= min_risk]
    risky.sort(key=lambda customer: (-customer["risk"], str(customer.get("id"))))
    return risky[:limit]


def as_csv(rows: list[dict[str, Any]], columns: list[str]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def main() -> None:
    with open(os.environ["SAASLENS_INPUT"]) as file:
        document = json.load(file)
    parameters = document["parameters"]
    customers = (document.get("snapshot") or {}).get("customers", [])
    rows = export(customers, parameters["min_risk"], parameters["limit"])
    columns = parameters["columns"]
    print(f"{len(rows)} of {len(customers)} customers at risk {parameters['min_risk']} or more")
    result = {
        "rows": [{column: row.get(column) for column in columns} for row in rows],
        "csv": as_csv(rows, columns),
    }
    with open(os.environ["SAASLENS_RESULT"], "w") as file:
        json.dump(result, file)


main()
