"""Churn alert: when a metric crosses its line, name the customers most at risk.

Snapshot: {"metric": "customer_churn_rate", "value": 0.07, "customers":
[{"id": "c1", "name": "Acme", "mrr": 9900, "risk": 0.8}, ...]}.
"""

import json
import os
from typing import Any


def crossed(value: float | None, threshold: float, direction: str) -> bool:
    if value is None:
        return False
    return value > threshold if direction == "above" else value < threshold


def at_risk(customers: list[dict[str, Any]], min_risk: float) -> list[dict[str, Any]]:
    risky = [customer for customer in customers if customer.get("risk", 0.0) >= min_risk]
    risky.sort(key=lambda customer: (-customer["risk"], str(customer.get("id"))))
    return [
        {key: customer.get(key) for key in ("id", "name", "risk", "mrr")} for customer in risky
    ]


def main() -> None:
    with open(os.environ["SAASLENS_INPUT"]) as file:
        document = json.load(file)
    parameters = document["parameters"]
    snapshot = document.get("snapshot") or {}
    value = snapshot.get("value")
    line_crossed = crossed(value, parameters["threshold"], parameters["direction"])
    customers = []
    if line_crossed:
        customers = at_risk(snapshot.get("customers", []), parameters["min_risk"])
    print(f"{snapshot.get('metric', 'metric')} = {value}, line {parameters['threshold']}")
    for customer in customers:
        print(f"at risk: {customer['id']} {customer['name']} ({customer['risk']:.2f})")
    result = {
        "metric": snapshot.get("metric"),
        "value": value,
        "threshold": parameters["threshold"],
        "crossed": line_crossed,
        "at_risk": customers,
    }
    with open(os.environ["SAASLENS_RESULT"], "w") as file:
        json.dump(result, file)


main()
