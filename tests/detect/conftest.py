"""The seeded stores of the test bench (tests/detect/test_bench.py), built once per session."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from clickhouse_connect.driver.client import Client

from tests.detect.test_bench import seeded_store


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
