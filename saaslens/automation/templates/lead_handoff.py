"""Lead hand-off: leads scoring above a line, passed to an owner, best first.

Snapshot: {"leads": [{"id": "l1", "company": "Acme", "score": 0.91}, ...]}.
"""

import json
import os
from typing import Any


def hand_off(leads: list[dict[str, Any]], min_score: float) -> list[dict[str, Any]]:
    chosen = [lead for lead in leads if lead.get("score", 0.0) > min_score]
    chosen.sort(key=lambda lead: (-lead["score"], str(lead.get("id"))))
    return [{key: lead.get(key) for key in ("id", "company", "score")} for lead in chosen]


def main() -> None:
    with open(os.environ["SAASLENS_INPUT"]) as file:
        document = json.load(file)
    parameters = document["parameters"]
    leads = hand_off((document.get("snapshot") or {}).get("leads", []), parameters["min_score"])
    for lead in leads:
        print(f"to {parameters['owner']}: {lead['id']} {lead['company']} ({lead['score']:.2f})")
    result = {"owner": parameters["owner"], "handed_off": leads, "count": len(leads)}
    with open(os.environ["SAASLENS_RESULT"], "w") as file:
        json.dump(result, file)


main()
