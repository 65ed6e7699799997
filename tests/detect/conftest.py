"""The seeded stores of the test bench (tests/detect/test_bench.py), built once per session, and
factories of traffic for a test's own fresh store."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from clickhouse_connect.driver.client import Client

from tests.detect.test_bench import SPAN_COLUMNS, seeded_store, span, trace_id


@pytest.fixture(scope="session")
def incident_store(chdb_path: Path) -> Iterator[Client]:
    """Eight days of normal traffic with every kind of incident on the last day."""
    client = seeded_store(chdb_path, "bench_incidents", with_incidents=True)
    yield client
    client.close()


@pytest.fixture(scope="session")
def clean_store(chdb_path: Path) -> Iterator[Client]:
    """The same eight days without incidents."""
    client = seeded_store(chdb_path, "bench_clean", with_incidents=False)
    yield client
    client.close()


Calls = Callable[..., None]


@pytest.fixture
def calls(store: Client) -> Calls:
    """Insert `count` LLM calls of `agent` into the test's store, a second apart from `start`."""

    def insert(agent: str, start: datetime, count: int = 60) -> None:
        rows = [span(start + timedelta(seconds=n), agent, "LLM", trace=trace_id(f"{agent}{start}{n}"), tokens=100)
                for n in range(count)]
        store.insert("otel_traces", rows, column_names=SPAN_COLUMNS)

    return insert


@pytest.fixture
def tool_loop(store: Client) -> Calls:
    """Insert an agent's thread that calls the `search` tool `count` times from `start`: a runaway loop."""

    def insert(agent: str, thread: str, start: datetime, count: int = 40) -> None:
        trace = trace_id(f"loop{thread}{start}")
        rows = [span(start, agent, "AGENT", trace=trace, thread=thread)]
        rows += [span(start + timedelta(seconds=n), "", "TOOL", trace=trace, tool="search") for n in range(count)]
        store.insert("otel_traces", rows, column_names=SPAN_COLUMNS)

    return insert
