"""How the garbage collector runs in a process that ingests rows by the thousand."""

from __future__ import annotations

import gc

# Allocations between young-generation collections; Python's default is 700.
YOUNG_THRESHOLD = 50_000


def settle() -> None:
    """Take what start-up loaded out of the collector's sight, and collect less often.

    A batch allocates several objects per row that live until it is written, so
    with the default thresholds the collector scans them, and every module's
    objects, many times over: about a sixth of an import's CPU time. Cycles are
    still collected, in larger steps. Call it once, after start-up's imports.
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(YOUNG_THRESHOLD, *gc.get_threshold()[1:])
