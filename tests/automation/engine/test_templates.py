"""The shipped templates, made into scripts and run on snapshots; results checked with pandas."""

from __future__ import annotations

import io
from typing import Any

import pandas as pd
import pytest

from saaslens.automation import catalog
from saaslens.automation.engine import Engine
from saaslens.automation.exceptions import InvalidParameters, TemplateNotFound
from tests.automation.engine.conftest import run_to_end

CUSTOMERS = [
    {"id": "c1", "name": "Acme", "mrr": 9900, "risk": 0.82},
    {"id": "c2", "name": "Globex", "mrr": 4900, "risk": 0.35},
    {"id": "c3", "name": "Initech", "mrr": 19900, "risk": 0.61},
    {"id": "c4", "name": "Umbrella", "mrr": 2900, "risk": 0.61},
    {"id": "c5", "name": "Hooli", "mrr": 990, "risk": 0.12},
]


def riskiest(min_risk: float) -> pd.DataFrame:
    frame = pd.DataFrame(CUSTOMERS)
    chosen = frame[frame["risk"] >= min_risk]
    return chosen.sort_values(["risk", "id"], ascending=[False, True])


async def instantiate(engine: Engine, name: str, parameters: dict[str, Any]) -> int:
    async with engine.sessions() as session:
        stored = await catalog.instantiate(session, name, parameters)
    return stored.script.id


async def test_every_template_ships_with_a_schema_and_compiling_source() -> None:
    names = [template.name for template in catalog.templates()]

    assert names == ["churn_alert", "weekly_kpi_digest", "at_risk_export", "lead_handoff"]
    for template in catalog.templates():
        compile(template.source, template.name, "exec")
        assert template.parameters_schema["type"] == "object"


async def test_the_churn_alert_names_the_customers_at_risk_once_the_line_is_crossed(
    automation: Engine,
) -> None:
    script_id = await instantiate(automation, "churn_alert", {"threshold": 0.05, "min_risk": 0.6})
    snapshot = {"metric": "customer_churn_rate", "value": 0.08, "customers": CUSTOMERS}

    done = await run_to_end(automation, script_id, snapshot=snapshot)

    expected = riskiest(0.6)[["id", "name", "risk", "mrr"]].to_dict("records")
    assert done.state == "SUCCEEDED"
    assert done.parameters == {"threshold": 0.05, "direction": "above", "min_risk": 0.6}
    assert done.result == {
        "metric": "customer_churn_rate",
        "value": 0.08,
        "threshold": 0.05,
        "crossed": True,
        "at_risk": expected,
    }


async def test_the_churn_alert_stays_quiet_below_its_line(automation: Engine) -> None:
    script_id = await instantiate(automation, "churn_alert", {"threshold": 0.05})
    snapshot = {"metric": "customer_churn_rate", "value": 0.03, "customers": CUSTOMERS}

    done = await run_to_end(automation, script_id, snapshot=snapshot)

    assert done.result is not None
    assert (done.result["crossed"], done.result["at_risk"]) == (False, [])


async def test_the_weekly_digest_reports_each_metrics_change_from_the_week_before(
    automation: Engine,
) -> None:
    weeks = ["2024-W01", "2024-W02", "2024-W03"]
    series = {"mrr": [1000.0, 1100.0, 1045.0], "active_customers": [40.0, 40.0, 44.0]}
    snapshot = {
        "metrics": {
            name: [
                {"period": week, "value": value} for week, value in zip(weeks, values, strict=True)
            ]
            for name, values in series.items()
        }
    }
    script_id = await instantiate(automation, "weekly_kpi_digest", {"metrics": ["mrr"]})

    done = await run_to_end(automation, script_id, {"metrics": []}, snapshot=snapshot)

    frame = pd.DataFrame(series, index=weeks)
    change = frame.pct_change().iloc[-1]
    assert done.result is not None
    rows = {row["metric"]: row for row in done.result["rows"]}
    assert sorted(rows) == ["active_customers", "mrr"]
    for name in series:
        assert rows[name]["period"] == "2024-W03"
        assert rows[name]["value"] == frame[name].iloc[-1]
        assert rows[name]["previous"] == frame[name].iloc[-2]
        assert rows[name]["change"] == pytest.approx(change[name])


async def test_the_export_lists_customers_at_risk_as_rows_and_csv(automation: Engine) -> None:
    columns = ["id", "name", "risk"]
    script_id = await instantiate(
        automation, "at_risk_export", {"min_risk": 0.5, "columns": columns, "limit": 2}
    )

    done = await run_to_end(automation, script_id, snapshot={"customers": CUSTOMERS})

    expected = riskiest(0.5)[columns].head(2)
    assert done.result is not None
    assert done.result["rows"] == expected.to_dict("records")
    pd.testing.assert_frame_equal(
        pd.read_csv(io.StringIO(done.result["csv"])), expected.reset_index(drop=True)
    )


async def test_the_lead_handoff_passes_leads_above_the_score_to_their_owner(
    automation: Engine,
) -> None:
    def drivers(*features: str) -> list[dict[str, Any]]:
        return [{"feature": name, "value": "x", "contribution": 0.1} for name in features]

    leads = [
        {"id": "l1", "probability": 0.91, "drivers": drivers("source", "industry")},
        {"id": "l2", "probability": 0.70, "drivers": drivers("country")},
        {"id": "l3", "probability": 0.75, "drivers": drivers("company_size")},
    ]
    script_id = await instantiate(automation, "lead_handoff", {"min_score": 0.7, "owner": "kim"})

    done = await run_to_end(automation, script_id, snapshot={"leads": leads})

    frame = pd.DataFrame(leads)
    chosen = frame[frame["probability"] > 0.7].sort_values("probability", ascending=False)
    expected = [
        {
            "id": lead.id,
            "probability": lead.probability,
            "because": [driver["feature"] for driver in lead.drivers],
        }
        for lead in chosen.itertuples()
    ]
    assert done.result == {"owner": "kim", "handed_off": expected, "count": len(expected)}


async def test_template_parameters_are_checked_and_baked_in_as_defaults(
    automation: Engine,
) -> None:
    async with automation.sessions() as session:
        with pytest.raises(InvalidParameters) as refused:
            await catalog.instantiate(session, "lead_handoff", {"min_score": 2})
        with pytest.raises(TemplateNotFound):
            await catalog.instantiate(session, "no_such_template", {})
        stored = await catalog.instantiate(
            session, "lead_handoff", {"min_score": 0.8}, "Hot leads"
        )

    assert refused.value.problems == ["min_score: 2 is greater than the maximum of 1"]
    properties = stored.script.parameters_schema["properties"]
    assert (properties["min_score"]["default"], properties["owner"]["default"]) == (0.8, "sales")
    assert (stored.script.name, stored.script.template) == ("Hot leads", "lead_handoff")
