"""Root fields about the store as a whole."""

from __future__ import annotations

from collections.abc import AsyncGenerator

import strawberry

from saaslens.resolvers import store
from saaslens.schema.permissions import IsViewer, needs


@strawberry.type
class StoreSubscription:
    data_version: AsyncGenerator[int, None] = strawberry.subscription(
        resolver=store.data_version,
        extensions=needs(IsViewer),
        description="The data version now and after every ingestion that changes it; "
        "results computed under an older version are stale.",
    )
