"""The subprocess executor, with real child processes under real limits."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

import pytest

import saaslens
from saaslens.automation.executors.abc import Limits, RunState, ScriptRun, Stream
from saaslens.automation.executors.subprocess import NoFreeUser, SubprocessExecutor
from tests.automation.conftest import (
    ENVIRONMENT_DUMP,
    FILE_LIMITS,
    FORK_BOMB,
    FORK_COUNT,
    GRANDCHILDREN,
    Transcript,
    live_processes_mentioning,
)

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="the sandbox users need root")

SUMMING = """
import json, os
document = json.load(open(os.environ["SAASLENS_INPUT"]))
churned = [row["customer"] for row in document["snapshot"]["rows"] if row["churn"] > 0.5]
total = sum(document["parameters"]["values"])
json.dump({"total": total, "at_risk": churned}, open(os.environ["SAASLENS_RESULT"], "w"))
print("summed", total)
"""


@pytest.fixture
def executor() -> SubprocessExecutor:
    return SubprocessExecutor()


async def test_a_script_reads_its_input_and_its_result_is_returned(
    executor: SubprocessExecutor, transcript: Transcript
) -> None:
    snapshot = {"rows": [{"customer": "c1", "churn": 0.9}, {"customer": "c2", "churn": 0.1}]}
    script = ScriptRun(SUMMING, {"values": [3, 4.5, 10]}, snapshot)

    outcome = await executor.run(script, transcript)

    assert outcome.state is RunState.SUCCEEDED
    assert outcome.exit_code == 0
    assert outcome.result == {"total": 17.5, "at_risk": ["c1"]}
    assert outcome.reason is None
    assert outcome.duration > 0
    assert transcript.lines == [(Stream.STDOUT, "summed 17.5")]


async def test_a_failing_script_reports_its_exit_code(
    executor: SubprocessExecutor, transcript: Transcript
) -> None:
    script = ScriptRun("import sys\nprint('giving up', file=sys.stderr)\nsys.exit(3)")

    outcome = await executor.run(script, transcript)

    assert outcome.state is RunState.FAILED
    assert outcome.exit_code == 3
    assert outcome.reason == "exited with code 3"
    assert transcript.lines == [(Stream.STDERR, "giving up")]


async def test_an_invalid_result_file_fails_the_run(
    executor: SubprocessExecutor, transcript: Transcript
) -> None:
    script = ScriptRun("import os\nopen(os.environ['SAASLENS_RESULT'], 'w').write('{nope')")

    outcome = await executor.run(script, transcript)

    assert outcome.state is RunState.FAILED
    assert outcome.exit_code == 0
    assert outcome.reason is not None
    assert outcome.reason.startswith("the result file is not valid JSON")


async def test_a_link_planted_as_the_result_is_not_followed(
    executor: SubprocessExecutor, transcript: Transcript
) -> None:
    script = ScriptRun("import os\nos.symlink('/etc/shadow', os.environ['SAASLENS_RESULT'])")

    outcome = await executor.run(script, transcript)

    assert outcome.state is RunState.SUCCEEDED
    assert outcome.result is None


async def test_output_lines_arrive_in_order_while_the_script_runs(
    executor: SubprocessExecutor, transcript: Transcript
) -> None:
    # The script waits for a file that the test writes only once it has seen
    # the "waiting" line, so the run can only end if lines arrive live.
    script = ScriptRun(
        """
import os, sys, time
for number in range(300):
    print("out", number)
    print("err", number, file=sys.stderr)
print("waiting", os.environ["HOME"])
while not os.path.exists(os.path.join(os.environ["HOME"], "go")):
    time.sleep(0.01)
print("done")
""",
        limits=Limits(timeout_seconds=20),
    )

    async def release() -> None:
        home = (await transcript.wait_for("waiting ")).removeprefix("waiting ")
        await asyncio.to_thread(Path(home, "go").touch)

    outcome, _ = await asyncio.gather(executor.run(script, transcript), release())

    assert outcome.state is RunState.SUCCEEDED
    numbers = [f"out {number}" for number in range(300)]
    assert transcript.of(Stream.STDOUT)[:300] == numbers
    assert transcript.of(Stream.STDOUT)[-1] == "done"
    assert transcript.of(Stream.STDERR) == [f"err {number}" for number in range(300)]


async def test_a_line_without_an_end_is_cut_and_still_delivered(
    executor: SubprocessExecutor, transcript: Transcript
) -> None:
    script = ScriptRun("import sys\nsys.stdout.write('x' * 40000)")

    await executor.run(script, transcript)

    assert [len(line) for line in transcript.of(Stream.STDOUT)] == [16384, 16384, 7232]


async def test_a_timeout_kills_the_script_and_every_grandchild(
    executor: SubprocessExecutor, transcript: Transcript
) -> None:
    token = f"grandchild-{uuid.uuid4()}"
    script = ScriptRun(GRANDCHILDREN, {"token": token}, limits=Limits(timeout_seconds=4))

    outcome = await executor.run(script, transcript)

    assert outcome.state is RunState.TIMED_OUT
    assert outcome.exit_code == 137
    assert outcome.reason == "ran longer than 4 s"
    assert transcript.of(Stream.STDOUT) == ["started"]
    assert live_processes_mentioning(token) == []


async def test_cancelling_the_task_kills_the_run_and_reports_it(
    executor: SubprocessExecutor, transcript: Transcript
) -> None:
    token = f"grandchild-{uuid.uuid4()}"
    script = ScriptRun(GRANDCHILDREN, {"token": token}, limits=Limits(timeout_seconds=60))
    task = asyncio.create_task(executor.run(script, transcript))
    await transcript.wait_for("started")
    assert len(live_processes_mentioning(token)) == 2

    task.cancel()
    outcome = await task

    assert outcome.state is RunState.CANCELLED
    assert outcome.reason == "cancelled while running"
    assert live_processes_mentioning(token) == []


async def test_a_run_cancelled_while_it_starts_ends_cancelled_and_leaves_nothing(
    executor: SubprocessExecutor, transcript: Transcript
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


async def test_a_memory_hog_is_stopped(
    executor: SubprocessExecutor, transcript: Transcript
) -> None:
    script = ScriptRun("hog = bytearray(1024 * 1024 * 1024)", limits=Limits(memory_mb=64))

    outcome = await executor.run(script, transcript)

    assert outcome.state is RunState.FAILED
    assert transcript.of(Stream.STDERR)[-1] == "MemoryError"


async def test_a_cpu_hog_runs_out_of_cpu_time(
    executor: SubprocessExecutor, transcript: Transcript
) -> None:
    script = ScriptRun("while True: pass", limits=Limits(cpu_seconds=1, timeout_seconds=30))

    outcome = await executor.run(script, transcript)

    assert outcome.state is RunState.TIMED_OUT
    assert outcome.reason == "used more than 1 s of CPU time"


async def test_forks_beyond_the_process_cap_are_refused(
    executor: SubprocessExecutor, transcript: Transcript
) -> None:
    script = ScriptRun(FORK_COUNT, limits=Limits(max_processes=8))

    outcome = await executor.run(script, transcript)

    assert outcome.state is RunState.SUCCEEDED
    # The script itself is one of the eight processes its user may have.
    assert outcome.result == {"started": 7, "refused": 193}


async def test_a_fork_bomb_is_contained_and_leaves_nothing_behind(
    executor: SubprocessExecutor, transcript: Transcript
) -> None:
    script = ScriptRun(FORK_BOMB, limits=Limits(timeout_seconds=2, max_processes=16))

    outcome = await executor.run(script, transcript)
    after = await executor.run(ScriptRun("print('still fine')"), transcript)

    assert outcome.state is RunState.TIMED_OUT
    bombing, fine = transcript.of(Stream.STDOUT)
    assert live_processes_mentioning(bombing.removeprefix("bombing ")) == []
    assert after.state is RunState.SUCCEEDED
    assert fine == "still fine"


async def test_the_script_sees_only_a_scrubbed_environment(
    executor: SubprocessExecutor, transcript: Transcript, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SAASLENS_SECRET_KEY", "parent-secret")

    outcome = await executor.run(ScriptRun(ENVIRONMENT_DUMP), transcript)

    environment = outcome.result
    assert sorted(environment) == [
        "HOME",
        "LANG",
        "PATH",
        "SAASLENS_INPUT",
        "SAASLENS_RESULT",
        "TMPDIR",
    ]
    assert "parent-secret" not in environment.values()


async def test_the_script_runs_unprivileged_in_a_directory_removed_afterwards(
    executor: SubprocessExecutor, transcript: Transcript
) -> None:
    script = ScriptRun(
        """
import json, os
result = {"uid": os.getuid(), "gid": os.getgid(), "groups": os.getgroups(), "cwd": os.getcwd()}
json.dump(result, open(os.environ["SAASLENS_RESULT"], "w"))
"""
    )

    outcome = await executor.run(script, transcript)

    assert outcome.result["uid"] >= 64_000
    assert outcome.result["gid"] == outcome.result["uid"]
    assert outcome.result["groups"] == []
    assert outcome.result["cwd"].startswith(tempfile.gettempdir())
    assert not await asyncio.to_thread(Path(outcome.result["cwd"]).exists)


async def test_file_size_and_open_file_limits_hold(
    executor: SubprocessExecutor, transcript: Transcript
) -> None:
    script = ScriptRun(FILE_LIMITS, limits=Limits(max_file_mb=1, max_open_files=16))

    outcome = await executor.run(script, transcript)

    assert outcome.state is RunState.SUCCEEDED
    assert outcome.result == {"write": "EFBIG", "open": "EMFILE"}


# Runs a script through the executor in a process of its own, as whoever
# runs this driver, and prints the outcome and the output lines as JSON.
DRIVER = """
import asyncio, json, sys
sys.path.insert(0, sys.argv[1])
from saaslens.automation.executors.abc import Limits, ScriptRun
from saaslens.automation.executors.subprocess import NoFreeUser, SubprocessExecutor

SCRIPT = '''
import os, subprocess, sys, time
subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)", sys.argv[0] + "-child"])
print("uid", os.getuid(), flush=True)
time.sleep(120)
'''

async def main():
    lines = []
    async def keep(stream, line):
        lines.append(line)
    script = ScriptRun(SCRIPT, limits=Limits(timeout_seconds=3))
    outcome = await SubprocessExecutor().run(script, keep)
    print(json.dumps({"state": outcome.state, "lines": lines}))

asyncio.run(main())
"""


def _copy_executors(destination: Path) -> None:
    """The executor package alone, where an unprivileged user can read it."""
    source = Path(saaslens.__file__).parent.parent
    for package in ("saaslens", "saaslens/automation", "saaslens/automation/executors"):
        (destination / package).mkdir()
        shutil.copy(source / package / "__init__.py", destination / package)
    for module in (source / "saaslens/automation/executors").glob("*.py"):
        shutil.copy(module, destination / module.relative_to(source))


def test_without_root_a_script_runs_as_the_caller_and_its_group_is_killed() -> None:
    # The executor needs nothing beyond the standard library, so the system
    # interpreter can run it as nobody, away from our root-only venv.
    with tempfile.TemporaryDirectory() as root:
        os.chmod(root, 0o755)
        _copy_executors(Path(root))
        driver = subprocess.run(
            ["/usr/bin/python3", "-I", "-c", DRIVER, root],
            user=65534,
            group=65534,
            extra_groups=[],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )

    report = json.loads(driver.stdout)
    assert report["state"] == "TIMED_OUT"
    assert report["lines"] == ["uid 65534"]
    assert live_processes_mentioning("script.py-child") == []


REPORTS_UID = """
import json, os, time
time.sleep(0.5)
json.dump({"uid": os.getuid()}, open(os.environ["SAASLENS_RESULT"], "w"))
"""
# Holds the lock file named on its command line until its stdin closes.
HOLDS_LOCK = """
import fcntl, os, sys
descriptor = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o600)
fcntl.flock(descriptor, fcntl.LOCK_EX)
print("locked", flush=True)
sys.stdin.read()
"""


async def test_executors_of_two_processes_never_lease_the_same_uid_at_once(
    tmp_path: Path,
) -> None:
    # Each API process has its own executor and pool; only the lock files are shared.
    uids = range(64_100, 64_102)
    executors = [SubprocessExecutor(uids=uids, lock_dir=tmp_path) for _ in range(2)]
    script = ScriptRun(REPORTS_UID, {})

    outcomes = await asyncio.gather(
        *(executor.run(script, Transcript()) for executor in executors)
    )

    assert [outcome.state for outcome in outcomes] == [RunState.SUCCEEDED] * 2
    leased = sorted(outcome.result["uid"] for outcome in outcomes if outcome.result)
    assert leased == list(uids)


async def test_a_uid_locked_by_another_process_is_passed_over(tmp_path: Path) -> None:
    holder = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        HOLDS_LOCK,
        str(tmp_path / "64100.lock"),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
    )
    assert holder.stdout is not None
    assert await holder.stdout.readline() == b"locked\n"
    shared = SubprocessExecutor(uids=range(64_100, 64_102), lock_dir=tmp_path)
    only_locked = SubprocessExecutor(uids=range(64_100, 64_101), lock_dir=tmp_path)
    try:
        outcome = await shared.run(ScriptRun(REPORTS_UID, {}), Transcript())
        with pytest.raises(NoFreeUser):
            await only_locked.run(ScriptRun(REPORTS_UID, {}), Transcript())
    finally:
        await holder.communicate(b"")

    assert outcome.result == {"uid": 64_101}
    freed = await only_locked.run(ScriptRun(REPORTS_UID, {}), Transcript())
    assert freed.result == {"uid": 64_100}
