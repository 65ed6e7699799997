"""thread_traces: the traces of each thread, found by the thread id as a key prefix. A thread's
summary counts every span of the traces naming it (also the spans that do not name it), a trace
naming two threads belongs to the greater one, and traces stored before the table existed are
listed by the migration."""

from __future__ import annotations

import asyncio

from spanhouse.query.reader import Reader
from spanhouse.query.threads import thread_summary
from spanhouse.store import migrations
from tests.factories import BASE_NS, hex_id

MS = 1_000_000


def insert(query, trace: int, span: int, thread: str = "", tenant: str = "default") -> None:
    """One span as its own insert, as separate exports make them (each insert adds trace_rollup rows)."""
    query("INSERT INTO otel_traces (Tenant, Timestamp, TraceId, SpanId, Duration, ThreadId) "
          "VALUES ({tenant:String}, fromUnixTimestamp64Nano({start:Int64}), {trace:String}, {span:String}, "
          "{duration:UInt64}, {thread:String})",
          tenant=tenant, start=BASE_NS + span * MS, trace=hex_id(trace), span=hex_id(span, 8), duration=MS,
          thread=thread)


def summary(store, thread: str, tenant: str = "default") -> dict | None:
    return asyncio.run(thread_summary(Reader(store), tenant, thread))


def listed(query, thread: str) -> list[str]:
    return sorted({trace for (trace,) in query("SELECT trace_id FROM thread_traces WHERE thread_id = {t:String}",
                                               t=thread)})


def test_a_thread_counts_every_span_of_its_traces_also_those_naming_no_thread(store, query):
    insert(query, trace=1, span=2)  # children first, as an SDK exports them
    insert(query, trace=1, span=3)
    insert(query, trace=1, span=1, thread="thread-a")  # the root, last
    insert(query, trace=2, span=4, thread="thread-a")

    assert listed(query, "thread-a") == [hex_id(1), hex_id(2)]
    found = summary(store, "thread-a")
    assert found is not None and (found["traces"], found["spans"]) == (2, 4)


def test_a_trace_naming_two_threads_is_listed_under_both_and_belongs_to_the_greater(store, query):
    insert(query, trace=1, span=1, thread="thread-a")
    insert(query, trace=1, span=2, thread="thread-b")
    insert(query, trace=2, span=3, thread="thread-a")

    assert listed(query, "thread-a") == [hex_id(1), hex_id(2)] and listed(query, "thread-b") == [hex_id(1)]
    assert summary(store, "thread-a")["traces"] == 1  # trace 2 only
    assert (summary(store, "thread-b")["traces"], summary(store, "thread-b")["spans"]) == (1, 2)


def test_other_tenants_threads_of_the_same_name_never_count(store, query):
    insert(query, trace=1, span=1, thread="thread-a", tenant="acme")
    assert summary(store, "thread-a") is None
    assert summary(store, "thread-a", tenant="acme")["traces"] == 1


def test_traces_stored_before_the_table_existed_are_listed_by_the_migration(store, query):
    # As a store from before migration 0043 is: trace_rollup fed, no view, nothing listed.
    query("DROP VIEW thread_traces_mv")
    query("ALTER TABLE schema_migrations DELETE WHERE version IN (43, 44) SETTINGS mutations_sync = 1")
    insert(query, trace=1, span=2)
    insert(query, trace=1, span=1, thread="thread-a")
    assert summary(store, "thread-a") is None

    applied = migrations.migrate(store, migrations.load_migrations())

    assert applied == ["0043_thread_traces_mv.sql", "0044_thread_traces_backfill.sql"]
    assert (summary(store, "thread-a")["traces"], summary(store, "thread-a")["spans"]) == (1, 2)
    insert(query, trace=3, span=5, thread="thread-a")  # the view feeds it again
    assert summary(store, "thread-a")["traces"] == 2
