"""The seeded query API shared by the search, thread and timeline tests (read-only: tests that
insert start their own server), and a query API whose handlers fail unexpectedly."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from clickhouse_connect.driver.client import Client
from starlette.requests import Request

from spanhouse.query import api
from spanhouse.query.reader import Reader
from spanhouse.store.client import connect
from tests.conftest import RunningServer
from tests.docs.sent import sent_spans
from tests.query.seed import Seeded, settings_for, span_attributes, store_exports
from tests.query.serving import Serving
from tests.workload import workload


@pytest.fixture(scope="session")
def seeded(chdb_path: Path) -> Iterator[Seeded]:
    settings = settings_for(chdb_path, "api")
    exports = list(workload())
    store_exports(settings, exports)
    client = connect(settings.clickhouse_dsn, settings.clickhouse_database)
    spans = sent_spans(exports)
    costs = {(tenant, trace, span): cost for tenant, trace, span, cost in client.query(
        "SELECT Tenant, TraceId, SpanId, TotalCost FROM otel_traces").result_rows}
    assert len(costs) == len(spans)
    for span in spans:
        span.cost = costs[span.tenant, span.trace_id, span.span_id]
    with RunningServer(settings) as server:
        yield Seeded(server, client, spans, span_attributes(exports))
    client.close()


SECRET = "password=hunter2 at /var/lib/spanhouse"


@pytest.fixture
def failing_api(store: Client) -> Iterator[Serving]:
    """A query API on a real store whose handlers fail unexpectedly: its tenant resolver passes the
    key check (its first call of a request) and raises a RuntimeError, whose text must never be
    answered, in the handler (the second)."""
    def tenant_of(request: Request) -> str:
        calls = request.scope.setdefault("test.tenant_calls", [])
        calls.append(request.url.path)
        if len(calls) > 1:
            raise RuntimeError(SECRET)
        return "default"

    with Serving(api.create_app(Reader(store), tenant_of)) as serving:
        yield serving
