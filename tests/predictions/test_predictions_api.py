"""Lead models through GraphQL: who may train, what is kept, and scores in pages."""

from __future__ import annotations

import asyncio

from sqlalchemy import text

from saaslens.auth.roles import Role
from tests.api import Api, add_person
from tests.predictions.pipeline import Sessions, write_leads

TRAIN = """mutation { trainLeadModel { version algorithm auc brier baseRateBrier testSize
  calibration { count } } }"""
MODEL = "{ leadModel { version dataVersion auc brier algorithm trainedBy } }"
SCORES = """query($after: String) { leadScores(first: 5, after: $after) {
  totalCount pageInfo { hasNextPage endCursor }
  edges { node { leadId probability drivers { feature value contribution } } } } }"""


async def test_viewers_may_not_train(api: Api) -> None:
    viewer = await add_person(api.settings, "viewer@example.com", Role.VIEWER)
    body = await api.as_bearer(viewer.token).post_graphql(TRAIN)
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_queries_answer_while_a_model_trains(api: Api, sessions: Sessions) -> None:
    await write_leads(sessions)
    training = asyncio.create_task(api.data(TRAIN))
    await asyncio.sleep(0.2)
    assert await api.data(MODEL) == {"leadModel": None}
    assert not training.done()
    trained = (await training)["trainLeadModel"]

    async with sessions() as session:
        stored = (
            await session.execute(text("SELECT version, data_version, scores FROM lead_models"))
        ).one()
        open_leads = await session.scalar(
            text("SELECT count(*) FROM leads WHERE stage NOT IN ('won', 'lost')")
        )
    assert trained["version"] == stored.version == 1
    assert sum(b["count"] for b in trained["calibration"]) == trained["testSize"]
    latest = (await api.data(MODEL))["leadModel"]
    assert latest["dataVersion"] == stored.data_version
    assert latest["trainedBy"] is not None
    assert trained["auc"] >= 0.75
    assert trained["brier"] < trained["baseRateBrier"]

    first = (await api.data(SCORES))["leadScores"]
    second = (await api.data(SCORES, {"after": first["pageInfo"]["endCursor"]}))["leadScores"]
    assert first["totalCount"] == second["totalCount"] == open_leads
    probabilities = [e["node"]["probability"] for e in first["edges"] + second["edges"]]
    assert probabilities == sorted(probabilities, reverse=True)
    assert len({e["node"]["leadId"] for e in first["edges"] + second["edges"]}) == 10
