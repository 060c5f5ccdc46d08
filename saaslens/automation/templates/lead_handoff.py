"""Lead hand-off: leads scoring above a line, passed to an owner, best first.

Snapshot (a lead score alert's): {"leads": [{"id": "l1", "probability": 0.91,
"drivers": [{"feature": "source", "value": "referral", "contribution": 0.7}, ...]}, ...]}.
"""

import json
import os
from typing import Any


def hand_off(leads: list[dict[str, Any]], min_score: float) -> list[dict[str, Any]]:
    chosen = [lead for lead in leads if lead.get("probability", 0.0) > min_score]
    chosen.sort(key=lambda lead: (-lead["probability"], str(lead.get("id"))))
    return [
        {
            "id": lead.get("id"),
            "probability": lead["probability"],
            "because": [driver["feature"] for driver in lead.get("drivers", [])],
        }
        for lead in chosen
    ]


def main() -> None:
    with open(os.environ["SAASLENS_INPUT"]) as file:
        document = json.load(file)
    parameters = document["parameters"]
    leads = hand_off((document.get("snapshot") or {}).get("leads", []), parameters["min_score"])
    for lead in leads:
        because = ", ".join(lead["because"])
        print(f"to {parameters['owner']}: {lead['id']} ({lead['probability']:.2f}; {because})")
    result = {"owner": parameters["owner"], "handed_off": leads, "count": len(leads)}
    with open(os.environ["SAASLENS_RESULT"], "w") as file:
        json.dump(result, file)


main()
