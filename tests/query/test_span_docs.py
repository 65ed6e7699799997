"""trace_span_docs: every span a second time as a JSON document by trace id, for lookups. A document
reads back as exactly the values the otel_traces columns hold, whatever the inserting session's
JSON settings, and spans stored before the view existed are copied by the migration."""

from __future__ import annotations

import httpx
import orjson
from opentelemetry.proto.trace.v1.trace_pb2 import Span, Status

from spanhouse.query.reader import Reader
from spanhouse.query.span_docs import span_row
from spanhouse.store import migrations
from tests.factories import BASE_NS, export_request, hex_id, kv, llm_span, make_span

TEXT = {"type": "text"}


def documented_expressions(query) -> list[tuple[str, str]]:
    """(name, SQL expression) of each field trace_span_docs_mv writes, from the view ClickHouse holds."""
    (select,), = query("SELECT as_select FROM system.tables WHERE database = currentDatabase() "
                       "AND name = 'trace_span_docs_mv'")
    start = select.index("formatRowNoNewline(")
    fields, depth, current = [], 0, ""
    for char in select[start + len("formatRowNoNewline("):]:
        if char == "(":
            depth += 1
        elif char == ")":
            if depth == 0:
                break
            depth -= 1
        if char == "," and depth == 0:
            fields.append(current.strip())
            current = ""
        else:
            current += char
    fields.append(current.strip())
    assert fields[0] == "'JSONEachRow'"
    named = []
    for field in fields[1:]:
        expression, _, alias = field.rpartition(" AS ")
        named.append((alias, expression) if expression else (field, field))
    return named


def as_stored(query, trace_id: str) -> list[dict]:
    """The trace's spans as otel_traces returns them: its own columns, typed, and the view's other
    expressions (times in ns, the Nested columns' parts) computed straight from them."""
    columns = {name for (name,) in query("SELECT name FROM system.columns WHERE database = currentDatabase() "
                                         "AND table = 'otel_traces'")}
    fields = documented_expressions(query)
    select = ", ".join(name if name in columns else f"{expression} AS {name}" for name, expression in fields)
    rows = query(f"SELECT {select} FROM otel_traces WHERE TraceId = {{t:String}} ORDER BY SpanId", t=trace_id)
    return [dict(zip([name for name, _ in fields], row, strict=True)) for row in rows]


def documents(store, trace_id: str, tenant: str = "default") -> list[dict]:
    found = Reader(store).rows_sync("trace_span_docs", {"tenant": tenant, "trace_ids": [trace_id], "max_spans": 100})
    return sorted((span_row(doc["Doc"]) for doc in found), key=lambda row: row["SpanId"])


def test_a_document_reads_back_as_the_values_of_the_otel_traces_columns(server, store, query):
    tool = make_span(trace=7, span=3, parent=1, name="execute_tool search", attributes={
        "gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "search", "retries": 2, "score": 0.125,
        "ok": True, "tags": ["a", "b"], "note": "naïve — \"quoted\" / slashed \\ ✓"},
        status=Status(code=Status.STATUS_CODE_ERROR, message="tool failed"),
        events=[Span.Event(time_unix_nano=BASE_NS + 5, name="exception",
                           attributes=[kv("exception.message", "boom")])],
        links=[Span.Link(trace_id=(8).to_bytes(16, "big"), span_id=(9).to_bytes(8, "big"),
                         attributes=[kv("link.kind", "follows")])])
    llm = llm_span(trace=7, span=2, attributes={
        "gen_ai.input.messages": orjson.dumps([{"role": "user", "parts": [TEXT | {"content": "hi"}]}]).decode(),
        "gen_ai.output.messages": orjson.dumps([{"role": "assistant", "parts": [TEXT | {"content": "ok"}]}]).decode(),
        "gen_ai.request.temperature": 0.2, "gen_ai.usage.input_tokens": 2**63 - 1})
    root = make_span(trace=7, span=1, name="invoke_agent planner", duration_ns=10**9,
                     attributes={"gen_ai.operation.name": "invoke_agent", "gen_ai.conversation.id": "thread-1"})
    answer = httpx.post(server.http_endpoint + "/v1/traces", timeout=30,
                        content=export_request(root, llm, tool).SerializeToString(),
                        headers={"Content-Type": "application/x-protobuf"})
    assert answer.status_code == 200

    stored = as_stored(query, hex_id(7))
    assert len(stored) == 3
    assert stored[1]["InputMessageHashes"] and stored[1]["InputTokens"] == 2**63 - 1  # the cases JSON strains
    assert stored[2]["EventAttributes"] == [{"exception.message": "boom"}]
    assert stored[2]["LinkSpanIds"] == [hex_id(9, 8)]
    assert documents(store, hex_id(7)) == stored


def test_64_bit_integers_quoted_by_the_inserting_session_still_read_as_numbers(store, query):
    query("INSERT INTO otel_traces (Tenant, Timestamp, TraceId, SpanId, SpanName, Duration, InputTokens, "
          "InputMessageHashes, Events.Timestamp, Events.Name) "
          "SETTINGS output_format_json_quote_64bit_integers = 1 "
          "VALUES ('default', fromUnixTimestamp64Nano({start:Int64}), {trace:String}, '0000000000000001', 'x', 5, 7, "
          "[340282366920938463463374607431768211455], [fromUnixTimestamp64Nano({start:Int64})], ['e'])",
          start=BASE_NS, trace=hex_id(3))
    (raw,), = query("SELECT Doc FROM trace_span_docs")
    assert '"Duration":"5"' in raw  # the document itself carries strings

    (row,) = documents(store, hex_id(3))
    assert (row["StartNs"], row["Duration"], row["InputTokens"], row["EventTimesNs"]) == (BASE_NS, 5, 7, [BASE_NS])
    assert row["InputMessageHashes"] == [2**128 - 1]
    assert documents(store, hex_id(3)) == as_stored(query, hex_id(3))


def test_text_that_is_not_utf8_reads_with_the_bad_bytes_replaced(store, query):
    query("INSERT INTO otel_traces (Tenant, Timestamp, TraceId, SpanId, SpanName) "
          "VALUES ('default', now64(9), {trace:String}, '0000000000000001', unhex('61ff62'))", trace=hex_id(4))
    (row,) = documents(store, hex_id(4))
    assert row["SpanName"] == "a\ufffdb"


def test_each_tenant_reads_only_its_own_documents(store, query):
    query("INSERT INTO otel_traces (Tenant, Timestamp, TraceId, SpanId) "
          "VALUES ('acme', now64(9), {trace:String}, '0000000000000001')", trace=hex_id(5))
    assert documents(store, hex_id(5)) == []
    assert [row["SpanId"] for row in documents(store, hex_id(5), tenant="acme")] == ["0000000000000001"]


def test_spans_stored_before_the_view_existed_get_their_documents_from_the_migration(store, query):
    # As a store from before migration 0043 is: spans in otel_traces, no view, no documents.
    query("DROP VIEW trace_span_docs_mv")
    query("ALTER TABLE schema_migrations DELETE WHERE version IN (43, 44) SETTINGS mutations_sync = 1")
    query("INSERT INTO otel_traces (Tenant, Timestamp, TraceId, SpanId, SpanName) "
          "VALUES ('default', now64(9), {trace:String}, '0000000000000001', 'old')", trace=hex_id(6))
    assert query("SELECT count() FROM trace_span_docs") == [(0,)]

    applied = migrations.migrate(store, migrations.load_migrations())

    assert applied == ["0043_trace_span_docs_mv.sql", "0044_trace_span_docs_backfill.sql"]
    assert [row["SpanName"] for row in documents(store, hex_id(6))] == ["old"]
    query("INSERT INTO otel_traces (Tenant, Timestamp, TraceId, SpanId, SpanName) "
          "VALUES ('default', now64(9), {trace:String}, '0000000000000002', 'new')", trace=hex_id(6))
    assert [row["SpanName"] for row in documents(store, hex_id(6))] == ["old", "new"]  # the view feeds it again
