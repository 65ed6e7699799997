"""The seeded query API shared by the search, thread and timeline tests (read-only: tests that
insert start their own server)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from spanhouse.store.client import connect
from tests.conftest import RunningServer
from tests.docs.sent import sent_spans
from tests.query.seed import Seeded, settings_for, span_attributes, store_exports
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
