"""SQLite faults: a store file that cannot be written, and a disk that is full.

Tests run as root in CI, where file modes stop no write, so the faults come
from the kernel: an immutable file (chattr +i), a tmpfs remounted read-only,
and a small tmpfs filled to the brim. Each checks that ingestion fails with
a clear error and leaves the customers and the data version as they were.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from saaslens.auth.roles import Role
from saaslens.config import load_settings
from tests.api import Api, add_person, running_api
from tests.conftest import IN_CI, sqlite_url
from tests.faults.stores import COUNT, CUSTOMERS, signed_in, stored
from tests.test_imports import customers_csv, saaslens


def customers(first: int, count: int, name_length: int = 20) -> list[dict[str, Any]]:
    return [
        {"id": f"c{n}", "name": "n" * name_length, "createdAt": "2024-01-01T00:00:00Z"}
        for n in range(first, first + count)
    ]


def kernel(*command: str) -> None:
    """Run a command that needs root's powers; skip outside CI where they are missing."""
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        reason = f"{' '.join(command)} failed: {done.stderr.strip()}"
        if IN_CI:
            pytest.fail(reason)
        pytest.skip(reason)


@pytest.fixture
def disk(tmp_path: Path) -> Iterator[Path]:
    """A 2 MiB tmpfs of the test's own."""
    mount = tmp_path / "disk"
    mount.mkdir()
    kernel("mount", "-t", "tmpfs", "-o", "size=2m", "saaslens-test", str(mount))
    try:
        yield mount
    finally:
        subprocess.run(["umount", "--lazy", str(mount)], check=True)


@contextmanager
def immutable(path: Path) -> Iterator[None]:
    """The file cannot be written, renamed or removed, even by root, until the block ends."""
    kernel("chattr", "+i", str(path))
    try:
        yield
    finally:
        kernel("chattr", "-i", str(path))


async def ingest(api: Api, records: list[dict[str, Any]]) -> dict[str, Any]:
    body: dict[str, Any] = await api.post_graphql(CUSTOMERS, {"records": records})
    return body


def refusal(body: dict[str, Any]) -> tuple[str, str]:
    [error] = body["errors"]
    return error["extensions"]["code"], error["message"]


async def test_an_immutable_store_file_refuses_ingestion_and_still_answers_reads(
    sqlite_store: str,
) -> None:
    path = Path(sqlite_store.split(":///", 1)[1])
    settings = load_settings(database_url=sqlite_store)
    admin = await add_person(settings, "admin@example.com", Role.ADMIN)
    async with running_api(settings) as api:
        await api.as_bearer(admin.token).data(CUSTOMERS, {"records": customers(0, 3)})
    # The file turns read-only while no process has it open, as a read-only
    # volume would be mounted before the application starts.
    with immutable(path):
        async with running_api(settings) as api:
            refused = await ingest(api.as_bearer(admin.token), customers(3, 3))
            read = await api.as_bearer(admin.token).data(COUNT)

    assert refusal(refused) == (
        "DATABASE_UNAVAILABLE",
        "the database refuses writes: it is read-only",
    )
    assert read == {"customers": {"totalCount": 3}}
    assert await stored(sqlite_store) == (3, 1)


async def test_a_full_disk_refuses_a_batch_whole_and_takes_it_once_space_is_freed(
    migrated_sqlite_file: Path, disk: Path
) -> None:
    shutil.copyfile(migrated_sqlite_file, disk / "saaslens.db")
    url = sqlite_url(disk / "saaslens.db")
    async with signed_in(url) as api:
        await api.data(CUSTOMERS, {"records": customers(0, 3)})
        filler = fill(disk, leave=64 * 1024)
        # Near a megabyte of names, with the indexes: far more than the space left.
        refused = await ingest(api, customers(3, 4000, name_length=200))
        after_refusal = await stored(url)
        filler.unlink()
        retried = await api.data(CUSTOMERS, {"records": customers(3, 4000, name_length=200)})

    assert refusal(refused) == (
        "DATABASE_UNAVAILABLE",
        "the database refuses writes: its disk is full",
    )
    assert after_refusal == (3, 1)
    assert retried["ingestCustomers"] == {
        "__typename": "IngestionAccepted",
        "inserted": 4000,
        "dataVersion": 2,
    }
    assert await stored(url) == (4003, 2)


def fill(disk: Path, leave: int) -> Path:
    """Take all of the disk's free space but `leave` bytes."""
    status = os.statvfs(disk)
    free = status.f_bavail * status.f_frsize
    filler = disk / "filler"
    filler.write_bytes(b"\0" * (free - leave))
    return filler


async def test_saaslens_import_onto_a_read_only_filesystem_fails_cleanly(
    migrated_sqlite_file: Path, disk: Path, tmp_path: Path
) -> None:
    shutil.copyfile(migrated_sqlite_file, disk / "saaslens.db")
    url = sqlite_url(disk / "saaslens.db")
    first = saaslens(url, "import", "customers", str(customers_csv(tmp_path / "a.csv", 5)))
    kernel("mount", "-o", "remount,ro", str(disk))
    refused = saaslens(url, "import", "customers", str(customers_csv(tmp_path / "b.csv", 9)))
    kernel("mount", "-o", "remount,rw", str(disk))

    assert first.returncode == 0, first.stderr
    assert refused.returncode == 1
    output = refused.stdout + refused.stderr
    assert "The store refused the import: the database file cannot be opened." in output
    assert "Traceback" not in output
    assert await stored(url) == (5, 1)
