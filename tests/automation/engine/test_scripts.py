"""Scripts in the store: versions on source changes, checks at save, soft deletion."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from saaslens.automation import scripts
from saaslens.automation.exceptions import InvalidScript, ScriptNotFound
from saaslens.automation.scripts import ExecutorKind, ScriptChanges, ScriptSettings

SOURCE = "print('hello')\n"


async def test_a_new_source_makes_a_new_version_and_settings_change_in_place(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as session:
        created = await scripts.create(session, SOURCE, ScriptSettings(name="greet"), "ada")
        script_id = created.script.id
        retimed = await scripts.update(session, script_id, ScriptChanges(timeout_seconds=5.0))
        rewritten = await scripts.update(
            session, script_id, ScriptChanges(source="print('hi')\n"), "grace"
        )
        unchanged = await scripts.update(session, script_id, ScriptChanges(source="print('hi')\n"))

    async with sessions() as session:
        history = await scripts.versions(session, script_id)
        stored = await scripts.read(session, script_id)
    assert (created.latest.version, retimed.latest.version) == (1, 1)
    assert (rewritten.latest.version, unchanged.latest.version) == (2, 2)
    assert [(row.version, row.source, row.created_by) for row in history] == [
        (2, "print('hi')\n", "grace"),
        (1, SOURCE, "ada"),
    ]
    assert stored.settings == ScriptSettings(name="greet", timeout_seconds=5.0)


async def test_source_that_does_not_compile_is_refused_with_its_line(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as session:
        with pytest.raises(InvalidScript) as refused:
            await scripts.create(session, "x = 1\nif x\n", ScriptSettings(name="broken"))
        assert await scripts.listing(session) == []
    assert refused.value.details == {"line": 2}
    assert refused.value.message.startswith("line 2: ")


@pytest.mark.parametrize(
    ("settings", "complaint"),
    [
        (ScriptSettings(name=""), "a script needs a name"),
        (ScriptSettings(name="x", timeout_seconds=0), "the timeout must be above 0"),
        (ScriptSettings(name="x", memory_mb=8), "memory must be between 16"),
        (ScriptSettings(name="x", max_retries=11), "retries must be between 0 and 10"),
        (
            ScriptSettings(name="x", parameters_schema={"type": "objekt"}),
            "the parameters schema is not valid",
        ),
        (
            ScriptSettings(name="x", parameters_schema={"type": "array"}),
            "the parameters schema must describe an object",
        ),
    ],
)
async def test_settings_out_of_range_are_refused(
    sessions: async_sessionmaker[AsyncSession], settings: ScriptSettings, complaint: str
) -> None:
    async with sessions() as session:
        with pytest.raises(InvalidScript) as refused:
            await scripts.create(session, SOURCE, settings)
    assert refused.value.message.startswith(complaint)


async def test_a_deleted_script_is_hidden_but_its_history_stays(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as session:
        kept = await scripts.create(session, SOURCE, ScriptSettings(name="kept"))
        gone = await scripts.create(
            session, SOURCE, ScriptSettings(name="gone", executor=ExecutorKind.DOCKER)
        )
        await scripts.delete(session, gone.script.id)

    async with sessions() as session:
        listed = [stored.script.name for stored in await scripts.listing(session)]
        everything = [stored.script.name for stored in await scripts.listing(session, True)]
        with pytest.raises(ScriptNotFound):
            await scripts.read(session, gone.script.id)
        with pytest.raises(ScriptNotFound):
            await scripts.update(session, gone.script.id, ScriptChanges(name="back"))
        history = await scripts.read(session, gone.script.id, deleted=True)
    assert (listed, everything) == (["kept"], ["kept", "gone"])
    assert history.script.deleted_at is not None
    assert not history.script.enabled
    assert history.latest.source == SOURCE
    assert kept.script.deleted_at is None


async def test_listing_shows_each_scripts_newest_version(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as session:
        first = await scripts.create(session, SOURCE, ScriptSettings(name="first"))
        await scripts.create(session, SOURCE, ScriptSettings(name="second"))
        await scripts.update(session, first.script.id, ScriptChanges(source="print(2)\n"))

    async with sessions() as session:
        listed = await scripts.listing(session)
    assert [(row.script.name, row.latest.version) for row in listed] == [
        ("first", 2),
        ("second", 1),
    ]
