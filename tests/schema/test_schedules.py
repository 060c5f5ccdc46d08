"""Schedules over GraphQL: authored by admins, shown with their next run times, really run."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from saaslens.auth.roles import Role
from tests.api import Api, add_person

FIELDS = "id kind cron timeZone paused lastRunAt nextRunTimes"
CREATE = f"""
mutation ($input: CreateScheduleInput!) {{
  createSchedule(input: $input) {{
    __typename
    ... on Schedule {{ {FIELDS} }}
    ... on ScheduleInvalid {{ message }}
    ... on ScriptNotFound {{ message }}
  }}
}}
"""
UPDATE = f"""
mutation ($id: ID!, $input: UpdateScheduleInput!) {{
  updateSchedule(id: $id, input: $input) {{
    __typename
    ... on Schedule {{ {FIELDS} }}
    ... on ScheduleInvalid {{ message }}
  }}
}}
"""
PAUSE = f"""
mutation ($id: ID!) {{
  pauseSchedule(id: $id) {{ __typename ... on Schedule {{ {FIELDS} }} }}
}}
"""
RESUME = PAUSE.replace("pauseSchedule", "resumeSchedule")
DELETE = """
mutation ($id: ID!) {
  deleteSchedule(id: $id) { __typename ... on ScheduleNotFound { message } }
}
"""
SCHEDULES = f"query {{ schedules {{ {FIELDS} }} }}"
EXECUTIONS = "query { executions { edges { node { trigger state } } } }"
SCRIPT = """
mutation {
  createScript(input: {name: "tick", source: "print('tick')"}) { ... on Script { id } }
}
"""


async def a_script(api: Api) -> str:
    script_id: str = (await api.data(SCRIPT))["createScript"]["id"]
    return script_id


async def create(api: Api, **given: Any) -> dict[str, Any]:
    result: dict[str, Any] = (await api.data(CREATE, {"input": given}))["createSchedule"]
    return result


def nine_in_berlin_after(now: datetime, count: int) -> list[str]:
    """The next `count` 09:00 Berlin times after now, as the API writes them."""
    berlin = ZoneInfo("Europe/Berlin")
    day = now.astimezone(berlin).date()
    times = []
    while len(times) < count:
        moment = datetime(day.year, day.month, day.day, 9, tzinfo=berlin).astimezone(UTC)
        if moment >= now:
            times.append(moment.isoformat())
        day += timedelta(days=1)
    return times


async def test_a_cron_schedule_shows_its_next_runs_and_pauses_and_resumes(api: Api) -> None:
    script = await a_script(api)
    before = datetime.now(UTC)

    made = await create(
        api, scriptId=script, kind="CRON", cron="0 9 * * *", timeZone="Europe/Berlin"
    )
    paused = (await api.data(PAUSE, {"id": made["id"]}))["pauseSchedule"]
    resumed = (await api.data(RESUME, {"id": made["id"]}))["resumeSchedule"]

    assert made["__typename"] == "Schedule"
    assert made["nextRunTimes"] == nine_in_berlin_after(before, 5)
    assert (paused["paused"], paused["nextRunTimes"]) == (True, [])
    assert (resumed["paused"], resumed["nextRunTimes"]) == (False, made["nextRunTimes"])
    resumed.pop("__typename")
    assert (await api.data(SCHEDULES))["schedules"] == [resumed]


async def test_expected_refusals_are_results(api: Api) -> None:
    script = await a_script(api)
    made = await create(api, scriptId=script, kind="CRON", cron="0 9 * * *")

    bad_zone = await create(api, scriptId=script, kind="CRON", cron="0 9 * * *", timeZone="X/Y")
    no_script = await create(api, scriptId="404", kind="INTERVAL", intervalSeconds=60)
    bad_cron = await api.data(UPDATE, {"id": made["id"], "input": {"cron": "0 25 * * *"}})
    deleted = (await api.data(DELETE, {"id": made["id"]}))["deleteSchedule"]
    again = (await api.data(DELETE, {"id": made["id"]}))["deleteSchedule"]

    assert bad_zone == {
        "__typename": "ScheduleInvalid",
        "message": "'X/Y' is not an IANA time zone",
    }
    assert no_script["__typename"] == "ScriptNotFound"
    assert bad_cron["updateSchedule"]["__typename"] == "ScheduleInvalid"
    assert deleted == {"__typename": "Schedule"}
    assert again == {
        "__typename": "ScheduleNotFound",
        "message": f"no schedule has id {made['id']}",
    }
    assert (await api.data(SCHEDULES))["schedules"] == []


async def test_a_schedule_made_through_the_api_runs_its_script(api: Api) -> None:
    script = await a_script(api)

    await create(api, scriptId=script, kind="INTERVAL", intervalSeconds=1)

    async with asyncio.timeout(15):
        while True:
            nodes = [edge["node"] for edge in (await api.data(EXECUTIONS))["executions"]["edges"]]
            if any(node == {"trigger": "schedule", "state": "SUCCEEDED"} for node in nodes):
                break
            await asyncio.sleep(0.1)


async def test_only_admins_author_schedules(api: Api) -> None:
    script = await a_script(api)
    for role in (Role.ANALYST, Role.VIEWER):
        person = await add_person(api.settings, f"{role.value}@example.com", role)
        other = api.as_bearer(person.token)
        body = await other.post_graphql(
            CREATE, {"input": {"scriptId": script, "kind": "INTERVAL", "intervalSeconds": 60}}
        )
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
        assert (await other.data(SCHEDULES))["schedules"] == []
