from collections.abc import Iterator

import pytest

from saaslens.services import pool


@pytest.fixture(autouse=True)
def _workers() -> Iterator[None]:
    """Each test's worker processes end with it, so none outlives its store."""
    yield
    pool.shutdown()
