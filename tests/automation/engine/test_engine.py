"""Real scripts through the engine: results, failures, limits, cancels, the cap, retries."""

from __future__ import annotations

import asyncio
import itertools
import os
import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from saaslens.automation import scripts, updates
from saaslens.automation.engine import Engine
from saaslens.automation.exceptions import InvalidParameters, ScriptDisabled
from saaslens.automation.executions import State
from saaslens.automation.updates import Output, follow
from saaslens.data.engine import create_engine, create_session_factory
from saaslens.data.models import Execution
from tests.automation.engine.conftest import (
    WAIT_SECONDS,
    add_script,
    engine_settings,
    lines,
    run_to_end,
    states,
    stored_execution,
    stored_output,
    watch,
)

COUNTS = """
import json, os
parameters = json.load(open(os.environ["SAASLENS_INPUT"]))["parameters"]
for number in range(parameters["count"]):
    print(f"line {number}")
json.dump({"total": sum(range(parameters["count"]))}, open(os.environ["SAASLENS_RESULT"], "w"))
"""
COUNT_SCHEMA = {
    "type": "object",
    "properties": {"count": {"type": "integer", "minimum": 0, "default": 3}},
    "additionalProperties": False,
}
SLEEPS = """
import time
print("started", flush=True)
time.sleep(60)
"""


async def test_a_script_succeeds_with_its_result_and_every_line(automation: Engine) -> None:
    script_id = await add_script(automation, COUNTS, parameters_schema=COUNT_SCHEMA)

    execution = await automation.submit(script_id, {"count": 5})
    updates = await watch(automation, execution.id)
    done = await stored_execution(automation, execution.id)

    assert done.state == "SUCCEEDED"
    assert (done.exit_code, done.result) == (0, {"total": 10})
    assert done.script_version == 1
    assert done.parameters == {"count": 5}
    assert done.worker == automation.worker
    assert done.started_at is not None
    assert done.finished_at is not None
    assert done.finished_at >= done.started_at
    assert [line.line for line in await stored_output(automation, execution.id)] == [
        f"line {number}" for number in range(5)
    ]
    assert lines(updates) == [f"line {number}" for number in range(5)]
    assert states(updates)[-1] == "SUCCEEDED"


async def test_defaults_fill_missing_parameters(automation: Engine) -> None:
    script_id = await add_script(automation, COUNTS, parameters_schema=COUNT_SCHEMA)

    done = await run_to_end(automation, script_id)

    assert (done.parameters, done.result) == ({"count": 3}, {"total": 3})


async def test_a_failing_script_records_its_exit_code(automation: Engine) -> None:
    source = "import sys\nprint('about to fail', file=sys.stderr)\nsys.exit(3)\n"
    script_id = await add_script(automation, source)

    done = await run_to_end(automation, script_id)

    assert (done.state, done.exit_code) == ("FAILED", 3)
    assert done.reason == "exited with code 3"
    output = await stored_output(automation, done.id)
    assert [(line.stream, line.line) for line in output] == [("stderr", "about to fail")]


async def test_a_script_past_its_timeout_is_timed_out(automation: Engine) -> None:
    script_id = await add_script(automation, SLEEPS, timeout_seconds=1.0)

    done = await run_to_end(automation, script_id)

    assert (done.state, done.reason) == ("TIMED_OUT", "ran longer than 1 s")


@pytest.mark.parametrize("settings_overrides", [{"max_concurrent_executions": 1}])
async def test_cancel_stops_a_running_one_and_a_queued_one_never_starts(
    automation: Engine,
) -> None:
    script_id = await add_script(automation, SLEEPS)
    running = await automation.submit(script_id, {})
    waiting = await automation.submit(script_id, {})
    await _until_output(automation, running.id)

    cancelled_in_queue = await automation.cancel(waiting.id)
    cancelled_running = await automation.cancel(running.id)

    assert cancelled_in_queue.state == "CANCELLED"
    never_ran = await stored_execution(automation, waiting.id)
    assert never_ran.state == "CANCELLED"
    assert (never_ran.started_at, never_ran.output_lines) == (None, 0)
    assert cancelled_running.state == "CANCELLED"
    assert cancelled_running.reason == "cancelled while running"


async def _until_output(engine: Engine, execution_id: int) -> None:
    async with asyncio.timeout(30):
        async for update in follow(engine.sessions, engine.broker, execution_id):
            if isinstance(update, Output):
                return


@pytest.mark.parametrize("settings_overrides", [{"max_output_lines": 50}])
async def test_output_past_the_cap_is_cut_with_one_marker(automation: Engine) -> None:
    script_id = await add_script(automation, COUNTS, parameters_schema=COUNT_SCHEMA)

    done = await run_to_end(automation, script_id, {"count": 200})

    output = await stored_output(automation, done.id)
    assert done.state == "SUCCEEDED"
    assert [line.line for line in output[:50]] == [f"line {number}" for number in range(50)]
    assert [(line.stream, line.line) for line in output[50:]] == [
        ("saaslens", "output truncated after 50 lines")
    ]
    assert [line.seq for line in output] == list(range(1, 52))
    assert (done.output_lines, done.output_truncated) == (51, True)


FLAKY = """
import json, os, sys, time
folder = json.load(open(os.environ["SAASLENS_INPUT"]))["parameters"]["folder"]
# Each attempt may run as another sandbox user, so each leaves a file of its own.
open(os.path.join(folder, repr(time.time())), "w").close()
tries = len(os.listdir(folder))
print(f"try {tries}")
if tries < 3:
    sys.exit(1)
json.dump({"tries": tries}, open(os.environ["SAASLENS_RESULT"], "w"))
"""


async def test_a_script_failing_twice_succeeds_on_its_third_attempt_after_backoff(
    automation: Engine, shared_dir: Path
) -> None:
    script_id = await add_script(automation, FLAKY, max_retries=2)

    execution = await automation.submit(script_id, {"folder": str(shared_dir)})
    updates = await watch(automation, execution.id)
    done = await stored_execution(automation, execution.id)

    assert (done.state, done.attempt, done.result) == ("SUCCEEDED", 3, {"tries": 3})
    assert lines(updates) == [
        "try 1",
        "attempt 1 FAILED: exited with code 1; attempt 2 in 0.2 s",
        "try 2",
        "attempt 2 FAILED: exited with code 1; attempt 3 in 0.4 s",
        "try 3",
    ]
    started = sorted(float(name) for name in os.listdir(shared_dir))
    waits = [later - earlier for earlier, later in itertools.pairwise(started)]
    assert waits[0] >= 0.2
    assert waits[1] >= 0.4


async def test_retries_stop_when_they_are_spent(automation: Engine, shared_dir: Path) -> None:
    script_id = await add_script(automation, FLAKY, max_retries=1)

    done = await run_to_end(automation, script_id, {"folder": str(shared_dir)})

    assert (done.state, done.attempt, done.exit_code) == ("FAILED", 2, 1)


async def test_parameters_outside_the_schema_are_refused_before_a_run(
    automation: Engine,
) -> None:
    script_id = await add_script(automation, COUNTS, parameters_schema=COUNT_SCHEMA)

    with pytest.raises(InvalidParameters) as refused:
        await automation.submit(script_id, {"count": -1, "colour": "red"})

    assert sorted(refused.value.problems) == [
        "(parameters): Additional properties are not allowed ('colour' was unexpected)",
        "count: -1 is less than the minimum of 0",
    ]


async def test_a_disabled_script_does_not_run(automation: Engine) -> None:
    script_id = await add_script(automation, COUNTS, parameters_schema=COUNT_SCHEMA)
    async with automation.sessions() as session:
        await scripts.set_enabled(session, script_id, False)

    with pytest.raises(ScriptDisabled):
        await automation.submit(script_id, {})


async def test_a_run_receives_its_snapshot(automation: Engine) -> None:
    source = (
        "import json, os\n"
        "document = json.load(open(os.environ['SAASLENS_INPUT']))\n"
        "json.dump(document, open(os.environ['SAASLENS_RESULT'], 'w'))\n"
    )
    script_id = await add_script(automation, source)
    snapshot: dict[str, Any] = {"metric": "churn", "value": 0.1}

    done = await run_to_end(automation, script_id, {}, snapshot=snapshot, trigger="alert")

    assert done.result == {"parameters": {}, "snapshot": snapshot}
    assert done.snapshot == snapshot
    assert done.trigger == "alert"


@pytest.mark.parametrize("store_url", ["postgresql"], indirect=True)
async def test_two_engines_on_one_store_never_run_the_same_execution(
    store_url: str, sessions: async_sessionmaker[AsyncSession]
) -> None:
    settings = engine_settings(store_url, max_concurrent_executions=2)
    engines = [
        Engine.for_settings(settings, sessions),
        Engine.for_settings(settings, sessions),
    ]
    # Named as if on other hosts, so neither takes the other for a dead process.
    engines[0].worker, engines[1].worker = "east:1", "west:2"
    script_id = await add_script(engines[0], "print('ran once')\n")
    for engine in engines:
        await engine.start()
        await engine.started.wait()
    try:
        queued = [await engines[n % 2].submit(script_id, {}) for n in range(12)]
        done = [await _finished(engines[0], execution.id) for execution in queued]
    finally:
        for engine in engines:
            await engine.stop()

    assert {execution.state for execution in done} == {"SUCCEEDED"}
    assert {execution.output_lines for execution in done} == {1}
    assert {execution.worker for execution in done} <= {"east:1", "west:2"}


async def _finished(engine: Engine, execution_id: int) -> Execution:
    await watch(engine, execution_id)
    return await stored_execution(engine, execution_id)


async def test_the_feed_sends_only_the_chosen_script_and_states(automation: Engine) -> None:
    watched = await add_script(automation, COUNTS, parameters_schema=COUNT_SCHEMA)
    other = await add_script(automation, COUNTS, parameters_schema=COUNT_SCHEMA)
    chosen = (State.RUNNING, State.SUCCEEDED)
    feed = updates.feed(automation.sessions, automation.broker, watched, chosen)
    first = asyncio.ensure_future(anext(feed))
    await asyncio.sleep(0.1)

    await run_to_end(automation, other)
    execution = await run_to_end(automation, watched)
    async with asyncio.timeout(10):
        seen = [await first, await anext(feed)]
    await feed.aclose()

    assert [(change.state, change.execution.id) for change in seen] == [
        (State.RUNNING, execution.id),
        (State.SUCCEEDED, execution.id),
    ]


async def test_stopping_in_the_middle_of_a_claim_leaves_the_sqlite_file_writable(
    sqlite_store: str,
) -> None:
    """stop() once cancelled a claim mid-transaction, and its write lock outlived the engine."""
    path = sqlite_store.removeprefix("sqlite+aiosqlite:///")
    # Stopping a little later each time lands inside the claim the submit wakes.
    for step in range(20):
        store = create_engine(sqlite_store)
        engine = Engine.for_settings(engine_settings(sqlite_store), create_session_factory(store))
        await engine.start()
        await engine.started.wait()
        script_id = await add_script(engine, "print('queued at shutdown')")

        await engine.submit(script_id, {})
        await asyncio.sleep(step * 0.0005)
        await engine.stop()
        await store.dispose()

        with closing(sqlite3.connect(path, timeout=1)) as db:
            db.execute("BEGIN IMMEDIATE")
            db.execute("ROLLBACK")


async def test_stopping_just_after_a_run_is_queued_still_stops(
    store_url: str, sessions: async_sessionmaker[AsyncSession]
) -> None:
    """The queued run wakes the dispatcher in the same moment stop() cancels it."""
    engine = Engine.for_settings(engine_settings(store_url), sessions)
    await engine.start()
    await engine.started.wait()
    script_id = await add_script(engine, "print('queued at shutdown')")

    await engine.submit(script_id, {})
    async with asyncio.timeout(WAIT_SECONDS):
        await engine.stop()
