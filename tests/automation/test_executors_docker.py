"""The Docker executor against a real engine and the sandbox image.

Skipped when no engine answers or the image is missing (`make sandbox-image`);
in CI that fails the run instead, since .ci/docker.sh provides both.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import docker
import docker.errors
import pytest

from saaslens.automation.executors.abc import Limits, RunState, ScriptRun, Stream
from saaslens.automation.executors.docker import LABEL, DockerExecutor
from saaslens.config import load_settings
from tests.automation.conftest import (
    ENVIRONMENT_DUMP,
    FILE_LIMITS,
    FORK_BOMB,
    FORK_COUNT,
    GRANDCHILDREN,
    Transcript,
    live_processes_mentioning,
)
from tests.conftest import IN_CI

MB = 1024 * 1024
IMAGE = load_settings().sandbox_image


@pytest.fixture(scope="module")
def engine() -> Iterator[docker.DockerClient]:
    try:
        client = docker.from_env()
        client.images.get(IMAGE)
    except docker.errors.DockerException as error:
        if IN_CI:
            pytest.fail(f"CI needs a Docker engine and the image {IMAGE}: {error}")
        pytest.skip(f"no Docker engine or no image {IMAGE}: {error}")
    yield client
    client.close()


@pytest.fixture
def executor(engine: docker.DockerClient) -> Iterator[DockerExecutor]:
    yield DockerExecutor(IMAGE)
    # Every run, however it ended, leaves no container and no volume behind.
    assert engine.containers.list(all=True, filters={"label": LABEL}) == []
    assert engine.volumes.list(filters={"label": LABEL}) == []


async def test_a_script_reads_its_input_and_its_result_is_returned(
    executor: DockerExecutor, transcript: Transcript
) -> None:
    script = ScriptRun(
        """
import json, os
document = json.load(open(os.environ["SAASLENS_INPUT"]))
names = [row["name"] for row in document["snapshot"]["leads"] if row["score"] > 0.7]
result = {"hand_off": names, "n": document["parameters"]["n"]}
json.dump(result, open(os.environ["SAASLENS_RESULT"], "w"))
print("handed off", len(names))
""",
        {"n": 2},
        {"leads": [{"name": "a", "score": 0.8}, {"name": "b", "score": 0.2}]},
    )

    outcome = await executor.run(script, transcript)

    assert outcome.state is RunState.SUCCEEDED
    assert outcome.exit_code == 0
    assert outcome.result == {"hand_off": ["a"], "n": 2}
    assert transcript.lines == [(Stream.STDOUT, "handed off 1")]


async def test_an_engine_named_by_its_url_runs_scripts(
    executor: DockerExecutor, transcript: Transcript
) -> None:
    url = os.environ.get("DOCKER_HOST", "unix:///var/run/docker.sock")
    named = DockerExecutor(IMAGE, docker_host=url)

    outcome = await named.run(ScriptRun("print('hello')"), transcript)

    assert outcome.state is RunState.SUCCEEDED
    assert transcript.lines == [(Stream.STDOUT, "hello")]


async def test_a_failing_script_reports_its_exit_code(
    executor: DockerExecutor, transcript: Transcript
) -> None:
    script = ScriptRun("import sys\nprint('giving up', file=sys.stderr)\nsys.exit(4)")

    outcome = await executor.run(script, transcript)

    assert outcome.state is RunState.FAILED
    assert outcome.exit_code == 4
    assert transcript.lines == [(Stream.STDERR, "giving up")]


async def test_an_exit_code_above_128_that_names_no_signal_is_an_exit_code(
    executor: DockerExecutor, transcript: Transcript
) -> None:
    outcome = await executor.run(ScriptRun("raise SystemExit(200)"), transcript)

    assert outcome.state is RunState.FAILED
    assert outcome.exit_code == 200
    assert outcome.reason == "exited with code 200"


async def test_an_invalid_result_file_fails_the_run(
    executor: DockerExecutor, transcript: Transcript
) -> None:
    script = ScriptRun("import os\nopen(os.environ['SAASLENS_RESULT'], 'w').write('[1,')")

    outcome = await executor.run(script, transcript)

    assert outcome.state is RunState.FAILED
    assert outcome.reason is not None
    assert outcome.reason.startswith("the result file is not valid JSON")


async def test_a_link_planted_as_the_result_is_not_followed(
    executor: DockerExecutor, transcript: Transcript
) -> None:
    script = ScriptRun("import os\nos.symlink('/etc/passwd', os.environ['SAASLENS_RESULT'])")

    outcome = await executor.run(script, transcript)

    assert outcome.state is RunState.SUCCEEDED
    assert outcome.result is None


async def test_output_lines_arrive_in_order(
    executor: DockerExecutor, transcript: Transcript
) -> None:
    script = ScriptRun(
        "import sys\n"
        "for n in range(300):\n"
        "    print('out', n)\n"
        "    print('err', n, file=sys.stderr)\n"
    )

    await executor.run(script, transcript)

    assert transcript.of(Stream.STDOUT) == [f"out {n}" for n in range(300)]
    assert transcript.of(Stream.STDERR) == [f"err {n}" for n in range(300)]


async def test_a_timeout_kills_the_script_and_every_grandchild(
    executor: DockerExecutor, transcript: Transcript
) -> None:
    token = f"grandchild-{uuid.uuid4()}"
    script = ScriptRun(GRANDCHILDREN, {"token": token}, limits=Limits(timeout_seconds=5))

    outcome = await executor.run(script, transcript)

    assert outcome.state is RunState.TIMED_OUT
    assert outcome.reason == "ran longer than 5 s"
    assert transcript.of(Stream.STDOUT) == ["started"]
    assert live_processes_mentioning(token) == []


async def test_cancelling_the_task_kills_the_run_and_reports_it(
    executor: DockerExecutor, transcript: Transcript
) -> None:
    token = f"grandchild-{uuid.uuid4()}"
    script = ScriptRun(GRANDCHILDREN, {"token": token}, limits=Limits(timeout_seconds=60))
    task = asyncio.create_task(executor.run(script, transcript))
    await transcript.wait_for("started")
    assert len(live_processes_mentioning(token)) == 2

    task.cancel()
    outcome = await task

    assert outcome.state is RunState.CANCELLED
    assert live_processes_mentioning(token) == []


async def test_a_run_cancelled_while_it_starts_ends_cancelled_and_leaves_nothing(
    executor: DockerExecutor, transcript: Transcript
) -> None:
    token = f"grandchild-{uuid.uuid4()}"
    script = ScriptRun(GRANDCHILDREN, {"token": token}, limits=Limits(timeout_seconds=60))
    task = asyncio.create_task(executor.run(script, transcript))
    # One turn of the loop: the run is now inside its start, not yet watching.
    await asyncio.sleep(0)

    task.cancel()
    outcome = await task

    assert outcome.state is RunState.CANCELLED
    assert transcript.lines == []
    assert live_processes_mentioning(token) == []


async def test_a_memory_hog_is_killed_at_the_memory_limit(
    executor: DockerExecutor, transcript: Transcript
) -> None:
    script = ScriptRun("hog = b'x' * (1024 * 1024 * 1024)", limits=Limits(memory_mb=64))

    outcome = await executor.run(script, transcript)

    assert outcome.state is RunState.FAILED
    assert outcome.exit_code == 137
    assert outcome.reason == "killed for using more than 64 MB of memory"


async def test_a_cpu_hog_runs_out_of_cpu_time(
    executor: DockerExecutor, transcript: Transcript
) -> None:
    script = ScriptRun("while True: pass", limits=Limits(cpu_seconds=1, timeout_seconds=30))

    outcome = await executor.run(script, transcript)

    assert outcome.state is RunState.TIMED_OUT
    assert outcome.reason == "used more than 1 s of CPU time"


async def test_forks_beyond_the_process_cap_are_refused(
    executor: DockerExecutor, transcript: Transcript
) -> None:
    script = ScriptRun(FORK_COUNT, limits=Limits(max_processes=8))

    outcome = await executor.run(script, transcript)

    assert outcome.state is RunState.SUCCEEDED
    # The container's init and the script are two of its eight processes.
    assert outcome.result == {"started": 6, "refused": 194}


async def test_a_fork_bomb_is_contained_and_leaves_nothing_behind(
    executor: DockerExecutor, transcript: Transcript
) -> None:
    script = ScriptRun(FORK_BOMB, limits=Limits(timeout_seconds=3))

    outcome = await executor.run(script, transcript)
    after = await executor.run(ScriptRun("print('still fine')"), transcript)

    assert outcome.state is RunState.TIMED_OUT
    bombing, fine = transcript.of(Stream.STDOUT)
    assert live_processes_mentioning(bombing.removeprefix("bombing ")) == []
    assert after.state is RunState.SUCCEEDED
    assert fine == "still fine"


async def test_the_script_sees_only_a_scrubbed_environment(
    executor: DockerExecutor, transcript: Transcript, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SAASLENS_SECRET_KEY", "parent-secret")

    outcome = await executor.run(ScriptRun(ENVIRONMENT_DUMP), transcript)

    environment = outcome.result
    # Docker itself sets HOSTNAME, to the container's id.
    assert sorted(environment) == [
        "HOME",
        "HOSTNAME",
        "LANG",
        "PATH",
        "SAASLENS_INPUT",
        "SAASLENS_RESULT",
        "TMPDIR",
    ]
    assert "parent-secret" not in environment.values()


async def test_file_size_and_open_file_limits_hold(
    executor: DockerExecutor, transcript: Transcript
) -> None:
    script = ScriptRun(FILE_LIMITS, limits=Limits(max_file_mb=1, max_open_files=16))

    outcome = await executor.run(script, transcript)

    assert outcome.state is RunState.SUCCEEDED
    assert outcome.result == {"write": "EFBIG", "open": "EMFILE"}


@pytest.fixture
async def listener() -> AsyncIterator[int]:
    """A TCP port on the host's loopback that accepts connections."""
    server = await asyncio.start_server(lambda reader, writer: writer.close(), "127.0.0.1", 0)
    yield server.sockets[0].getsockname()[1]
    server.close()
    await server.wait_closed()


async def test_a_script_cannot_reach_the_network(
    executor: DockerExecutor, transcript: Transcript, listener: int
) -> None:
    script = ScriptRun(
        """
import json, os, socket
result = {"interfaces": [name for _, name in socket.if_nameindex()]}
try:
    socket.create_connection(("127.0.0.1", PORT), timeout=5)
    result["connect"] = "connected"
except OSError as error:
    result["connect"] = type(error).__name__
json.dump(result, open(os.environ["SAASLENS_RESULT"], "w"))
""".replace("PORT", str(listener))
    )

    outcome = await executor.run(script, transcript)

    assert outcome.result == {"interfaces": ["lo"], "connect": "ConnectionRefusedError"}


async def test_the_running_container_carries_every_restriction(
    executor: DockerExecutor, transcript: Transcript, engine: docker.DockerClient
) -> None:
    limits = Limits(memory_mb=128, max_processes=24, timeout_seconds=60)
    script = ScriptRun(
        "import os, time\nprint('uid', os.getuid(), flush=True)\ntime.sleep(60)", limits=limits
    )
    task = asyncio.create_task(executor.run(script, transcript))
    await transcript.wait_for("uid")

    # all=True: the engine may list it as running only after the first output.
    (container,) = engine.containers.list(all=True, filters={"label": f"{LABEL}=run"})
    task.cancel()
    outcome = await task

    host: dict[str, Any] = container.attrs["HostConfig"]
    assert host["NetworkMode"] == "none"
    assert container.attrs["Config"]["NetworkDisabled"] is True
    assert host["ReadonlyRootfs"] is True
    assert list(host["Tmpfs"]) == ["/tmp"]
    assert host["Memory"] == 128 * MB
    assert host["MemorySwap"] == 128 * MB
    assert host["NanoCpus"] == 1_000_000_000
    assert host["PidsLimit"] == 24
    assert host["CapDrop"] == ["ALL"]
    assert host["SecurityOpt"] == ["no-new-privileges"]
    assert container.attrs["Config"]["User"] == "65534:65534"
    assert transcript.of(Stream.STDOUT) == ["uid 65534"]
    assert outcome.state is RunState.CANCELLED
