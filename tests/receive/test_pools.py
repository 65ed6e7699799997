"""Encode pools: worker processes give the same blocks as threads, carry errors back, survive a dead worker,
and keep what they built at start-up out of the garbage collector's way."""

from __future__ import annotations

import asyncio
import gc
import os
import signal
import time

import pytest

from spanhouse.app import TABLES
from spanhouse.errors import DecodeError, Overloaded
from spanhouse.receive.pools import ProcessEncodePool, ThreadEncodePool
from spanhouse.store.native import TableLayout
from tests.factories import export_request, llm_span, make_span

BODY = export_request(make_span(trace=7, span=1, name="root"), llm_span(trace=7, span=2, parent=1),
                      make_span(trace=7, span=0, name="invalid span id")).SerializeToString()


@pytest.fixture
def layout(store):
    return {signal: TableLayout.read(store, table, columns) for signal, (table, columns) in TABLES.items()}


@pytest.fixture
def processes(layout):
    with ProcessEncodePool(layout, processes=1) as pool:
        yield pool


def test_a_worker_process_encodes_exactly_what_a_thread_does(layout, processes):
    with ThreadEncodePool(layout) as threads:
        in_thread = asyncio.run(threads.encode("traces", BODY, "protobuf", "acme"))
    in_process = asyncio.run(processes.encode("traces", BODY, "protobuf", "acme"))
    assert in_process == in_thread
    assert in_process.keys.tolist() == in_thread.keys.tolist()
    assert (in_process.block.rows, in_process.outcome.accepted, in_process.outcome.rejected) == (2, 2, 1)


def test_a_decode_error_in_a_worker_reaches_the_caller(processes):
    with pytest.raises(DecodeError, match="not a protobuf ExportTraceServiceRequest"):
        asyncio.run(processes.encode("traces", b"\xff\xff garbage", "protobuf", "acme"))


def test_a_dead_worker_costs_one_retryable_refusal_then_the_pool_is_rebuilt(processes):
    async def scenario():
        await processes.encode("traces", BODY, "protobuf", "acme")
        for pid in list(processes._executor._processes):  # the one worker
            os.kill(pid, signal.SIGKILL)
        with pytest.raises(Overloaded, match="decode worker was restarted"):
            for _ in range(50):  # the pool notices the death on the next submission
                await processes.encode("traces", BODY, "protobuf", "acme")
                await asyncio.sleep(0.05)
        return await processes.encode("traces", BODY, "protobuf", "acme")

    assert asyncio.run(scenario()).block.rows == 2


def test_a_worker_ignores_ctrl_c_which_the_terminal_sends_to_the_whole_process_group(processes):
    """The server handles SIGINT by draining and closing the pool; a worker must not die of it first."""
    pid = processes._executor.submit(os.getpid).result(timeout=60)
    os.kill(pid, signal.SIGINT)
    time.sleep(0.2)
    assert processes._executor.submit(os.getpid).result(timeout=60) == pid


def test_a_worker_freezes_what_it_built_at_start_up(processes):
    """So the garbage collector does not traverse modules and descriptors on every request (gc_tuning.py)."""
    assert processes._executor.submit(gc.get_freeze_count).result(timeout=60) > 0
