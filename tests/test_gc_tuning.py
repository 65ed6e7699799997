"""Start-up objects are frozen out of the collector's traversals, and cycles are still collected."""

from __future__ import annotations

import gc
import weakref

import pytest

from spanhouse.gc_tuning import freeze_start_up_objects


@pytest.fixture
def thawed():
    yield
    gc.unfreeze()  # the rest of the suite keeps Python's ordinary collector


class Node:
    def __init__(self) -> None:
        self.other: Node | None = None


def test_objects_alive_at_start_up_are_frozen_and_garbage_is_not(thawed):
    kept = Node()
    cycle = Node()
    cycle.other = cycle
    unreachable = weakref.ref(cycle)
    del cycle

    freeze_start_up_objects()

    assert unreachable() is None, "garbage alive at start-up would stay frozen for good"
    assert gc.get_freeze_count() > 0
    assert not any(obj is kept for obj in gc.get_objects()), "a frozen object is not traversed"


def test_cycles_made_after_start_up_are_still_collected(thawed):
    freeze_start_up_objects()
    cycle = Node()
    cycle.other = cycle
    collected = weakref.ref(cycle)
    del cycle
    gc.collect()
    assert collected() is None
