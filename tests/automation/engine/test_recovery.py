"""An engine whose process dies mid-run: the next engine on the store crashes and resumes."""

from __future__ import annotations

import asyncio
import signal
import sys

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from saaslens.automation import executions
from saaslens.automation.engine import Engine
from tests.automation.engine.conftest import add_script, engine_settings, watch

HOLDS = """
import json, os, sys, time
parameters = json.load(open(os.environ["SAASLENS_INPUT"]))["parameters"]
if parameters["hold"]:
    # Holds until its engine dies, then leaves quietly instead of lingering.
    engine = os.getppid()
    print("holding", flush=True)
    while os.getppid() == engine:
        time.sleep(0.1)
    sys.exit(0)
json.dump({"ran": True}, open(os.environ["SAASLENS_RESULT"], "w"))
"""

DOOMED_ENGINE = """
import asyncio, sys
from saaslens.automation.engine import Engine
from saaslens.config import load_settings
from saaslens.data.engine import create_engine, create_session_factory

async def main(url, script_id):
    settings = load_settings(
        database_url=url, max_concurrent_executions=1, execution_poll_seconds=0.2
    )
    engine = Engine.for_settings(settings, create_session_factory(create_engine(url)))
    await engine.start()
    held = await engine.submit(script_id, {"hold": True})
    waiting = await engine.submit(script_id, {"hold": False})
    print(held.id, waiting.id, flush=True)
    await asyncio.Event().wait()

asyncio.run(main(sys.argv[1], int(sys.argv[2])))
"""


async def test_a_killed_engines_run_is_crashed_and_its_queue_runs_after_restart(
    store_url: str, sessions: async_sessionmaker[AsyncSession]
) -> None:
    restarted = Engine.for_settings(engine_settings(store_url), sessions)
    script_id = await add_script(restarted, HOLDS)
    doomed = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        DOOMED_ENGINE,
        store_url,
        str(script_id),
        stdout=asyncio.subprocess.PIPE,
    )
    assert doomed.stdout is not None
    async with asyncio.timeout(30):
        held_id, waiting_id = map(int, (await doomed.stdout.readline()).split())
        await _until_holding(sessions, held_id)

    doomed.send_signal(signal.SIGKILL)
    await doomed.wait()
    async with sessions() as session:
        before = await executions.read(session, held_id)
        queued = await executions.read(session, waiting_id)
    await restarted.start()
    await restarted.started.wait()
    try:
        await watch(restarted, waiting_id)
    finally:
        await restarted.stop()

    assert (before.state, queued.state) == ("RUNNING", "QUEUED")
    assert before.worker is not None
    assert before.worker.endswith(f":{doomed.pid}")
    async with sessions() as session:
        crashed = await executions.read(session, held_id)
        ran = await executions.read(session, waiting_id)
    assert crashed.state == "CRASHED"
    assert crashed.reason == f"the process running it ({before.worker}) stopped before it finished"
    assert (ran.state, ran.result, ran.worker) == ("SUCCEEDED", {"ran": True}, restarted.worker)


async def _until_holding(sessions: async_sessionmaker[AsyncSession], execution_id: int) -> None:
    for _ in range(600):
        async with sessions() as session:
            if await executions.output(session, execution_id):
                return
        await asyncio.sleep(0.05)
    raise TimeoutError(f"execution {execution_id} never started holding")
