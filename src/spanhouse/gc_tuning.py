"""Python's cyclic garbage collector, kept off the objects a process builds at start-up.

The collector's oldest generation is traversed whole every so often, and at start-up a decode
worker fills it with tens of thousands of objects that live as long as the process: imported
modules, protobuf descriptors, the price table, compiled patterns. Decoding an export builds
enough containers to set off such a full traversal several times per request, so 10-15% of a
worker's CPU went to re-proving that start-up objects are still alive
(`python -m benchmarks.gc_cost`). Frozen, they are never traversed again, and the collector
costs as little as none at all; it still collects the cycles requests leave (an exception's
traceback, for one).
"""

from __future__ import annotations

import gc


def freeze_start_up_objects() -> None:
    """Move every object alive now to the permanent generation, which no collection traverses.

    Call it once start-up is done. Garbage is collected first, so none of it is frozen for good.
    """
    gc.collect()
    gc.freeze()
