"""Watermark: blocks numbered as accepted, a reader's mark reached once every block up to it is settled,
in whatever order they settle; a waiter that gives up is forgotten."""

from __future__ import annotations

import asyncio
import threading

from spanhouse.store.watermark import Watermark, caught_up


def test_a_mark_is_reached_once_every_block_up_to_it_is_settled_whatever_the_order():
    watermark = Watermark()
    first, second, third = (watermark.accept() for _ in range(3))
    mark = watermark.mark()
    assert mark == third
    watermark.settle([third, None])  # None: a block replayed at start, never numbered
    assert not watermark.reached(first) and not watermark.reached(mark)
    watermark.settle([first])
    assert watermark.reached(first) and not watermark.reached(second)
    watermark.settle([second])
    assert watermark.reached(mark)
    watermark.settle([second])  # settled twice (a retry): no harm
    assert watermark.reached(mark) and not watermark.reached(mark + 1)


def test_a_waiting_reader_is_woken_from_another_thread_and_the_writer_told_it_waits():
    told = threading.Event()
    watermark = Watermark(on_wait=told.set)
    numbers = [watermark.accept() for _ in range(2)]

    async def read() -> bool:
        reading = asyncio.ensure_future(caught_up([watermark], timeout_s=30))
        await asyncio.sleep(0.05)
        assert not reading.done() and watermark.waiting()
        await asyncio.to_thread(watermark.settle, numbers[:1])
        await asyncio.sleep(0.05)
        assert not reading.done()
        await asyncio.to_thread(watermark.settle, numbers[1:])
        return await reading

    assert asyncio.run(read()) is True
    assert told.is_set() and not watermark.waiting()


def test_a_block_accepted_after_the_reader_arrived_is_not_waited_for():
    watermark = Watermark()
    before = watermark.accept()

    async def read() -> bool:
        reading = asyncio.ensure_future(caught_up([watermark], timeout_s=30))
        await asyncio.sleep(0.01)
        watermark.accept()  # arrives after the read began: never settled in this test
        watermark.settle([before])
        return await reading

    assert asyncio.run(read()) is True


def test_a_reader_whose_time_is_up_is_forgotten():
    watermark = Watermark()
    watermark.accept()
    assert asyncio.run(caught_up([watermark], timeout_s=0.05)) is False
    assert not watermark.waiting()
    assert asyncio.run(caught_up([watermark], timeout_s=0)) is False


def test_every_writer_must_catch_up():
    spans, texts = Watermark(), Watermark()
    spans.settle([spans.accept()])
    texts.accept()
    assert asyncio.run(caught_up([spans, texts], timeout_s=0.05)) is False
    assert asyncio.run(caught_up([spans], timeout_s=0)) is True
