"""Lead score alert rules through GraphQL, on a real model trained on generated leads."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import text

from saaslens.auth.roles import Role
from tests.api import Api, add_person
from tests.predictions.pipeline import Sessions, write_leads

CREATE = """
mutation ($input: CreateAlertRuleInput!) {
  createAlertRule(input: $input) {
    __typename
    ... on AlertRule { id metric condition threshold }
    ... on AlertRuleInvalid { message }
  }
}
"""
EVALUATE = """
mutation ($id: ID!) {
  evaluateAlertRule(id: $id) {
    ... on AlertCheck { value holds alert { id value snapshot executionId } }
  }
}
"""
FROM_TEMPLATE = """
mutation ($parameters: JSON!) {
  createScriptFromTemplate(template: "lead_handoff", parameters: $parameters) {
    ... on Script { id }
  }
}
"""
TRAIN = "mutation { trainLeadModel { version } }"
SCORES = """
query ($after: String) {
  leadScores(first: 100, after: $after) {
    pageInfo { hasNextPage endCursor }
    edges { node { leadId probability drivers { feature value contribution } } }
  }
}
"""
EXECUTION = "query ($id: ID!) { execution(id: $id) { state result } }"


async def every_score(api: Api) -> list[dict[str, Any]]:
    scores: list[dict[str, Any]] = []
    after = None
    while True:
        page = (await api.data(SCORES, {"after": after}))["leadScores"]
        scores += [edge["node"] for edge in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            return scores
        after = page["pageInfo"]["endCursor"]


async def finished(api: Api, execution_id: str) -> dict[str, Any]:
    async with asyncio.timeout(30):
        while True:
            execution: dict[str, Any] = (await api.data(EXECUTION, {"id": execution_id}))[
                "execution"
            ]
            if execution["state"] not in ("QUEUED", "RUNNING"):
                return execution
            await asyncio.sleep(0.1)


async def test_a_lead_score_rule_hands_the_leads_above_its_line_to_the_template(
    api: Api, sessions: Sessions
) -> None:
    await write_leads(sessions)
    script = (await api.data(FROM_TEMPLATE, {"parameters": {"min_score": 0.0, "owner": "kim"}}))[
        "createScriptFromTemplate"
    ]
    analyst = api.as_bearer((await add_person(api.settings, "a@example.com", Role.ANALYST)).token)
    untrained_rule = {"name": "before", "condition": "LEAD_SCORE", "threshold": 0.0}
    before = (await api.data(CREATE, {"input": untrained_rule}))["createAlertRule"]
    untrained = (await analyst.data(EVALUATE, {"id": before["id"]}))["evaluateAlertRule"]

    await api.data(TRAIN)
    scores = await every_score(api)
    # Calibrated probabilities tie; the line sits between the third and fourth highest.
    levels = sorted({score["probability"] for score in scores}, reverse=True)
    line = (levels[2] + levels[3]) / 2
    given = {"name": "hot leads", "condition": "LEAD_SCORE", "threshold": line}
    rule = (await api.data(CREATE, {"input": given | {"scriptId": script["id"]}}))[
        "createAlertRule"
    ]
    check = (await analyst.data(EVALUATE, {"id": rule["id"]}))["evaluateAlertRule"]

    assert untrained == {"value": None, "holds": False, "alert": None}
    assert (rule["metric"], rule["condition"]) == (None, "LEAD_SCORE")
    above = [score for score in scores if score["probability"] > line]
    assert 3 <= len(above) < len(scores)
    async with sessions() as session:
        open_ids = set(
            await session.scalars(text("SELECT id FROM leads WHERE stage NOT IN ('won', 'lost')"))
        )
    assert len(scores) == len(open_ids)
    assert check["holds"] is True
    assert check["value"] == pytest.approx(scores[0]["probability"])
    snapshot = check["alert"]["snapshot"]
    assert snapshot["model_version"] == 1
    assert [lead["id"] for lead in snapshot["leads"]] == [score["leadId"] for score in above]
    assert {lead["id"] for lead in snapshot["leads"]} <= open_ids
    for lead, score in zip(snapshot["leads"], above, strict=True):
        assert lead["probability"] == pytest.approx(score["probability"])
        assert lead["drivers"] == score["drivers"]

    execution = await finished(api, check["alert"]["executionId"])
    assert execution["state"] == "SUCCEEDED"
    handed = execution["result"]["handed_off"]
    assert [lead["id"] for lead in handed] == [score["leadId"] for score in above]
    assert [lead["because"] for lead in handed] == [
        [driver["feature"] for driver in score["drivers"]] for score in above
    ]


@pytest.mark.parametrize(
    ("given", "problem"),
    [
        ({"condition": "LEAD_SCORE"}, "threshold from 0"),
        ({"condition": "LEAD_SCORE", "threshold": 1.5}, "threshold from 0"),
        ({"condition": "LEAD_SCORE", "threshold": 0.5, "metric": "MRR"}, "not a metric"),
        ({"condition": "LEAD_SCORE", "threshold": 0.5, "segment": {"plan": "pro"}}, "segment"),
        ({"condition": "ABOVE", "threshold": 0.5}, "needs a metric"),
    ],
)
async def test_a_lead_score_rule_needs_a_probability_and_no_metric(
    api: Api, given: dict[str, Any], problem: str
) -> None:
    refused = (await api.data(CREATE, {"input": {"name": "x"} | given}))["createAlertRule"]

    assert refused["__typename"] == "AlertRuleInvalid"
    assert problem in refused["message"]
