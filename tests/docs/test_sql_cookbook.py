"""Every query in docs/sql-cookbook.md runs against a seeded workload, and its answer equals the
same numbers computed independently: in Python from the spans the workload sent (tests/docs/sent.py),
or, for latency percentiles (quantilesBFloat16 sketches), from the raw spans with plain SQL.

A query is identified by the `### ` heading above its ```sql block; CHECKS holds one check per
heading, and a query added to the cookbook without a check fails
`test_every_cookbook_query_has_a_check`. The `spanhouse sql --param ...` command under each query
is run as well: its parameters, read with the command's own parser, go with the query to a real
server's POST /api/v1/sql. The workload is stored once for the module: a fixed
historic one (three tenants over four days of 2025) and a live one (tenant `live`) over the two
hours before the test started, for the queries relative to now().
"""

from __future__ import annotations

import asyncio
import math
import re
import shlex
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from spanhouse.app import INSERT_COLUMNS, normalisation, open_store
from spanhouse.receive.ingest import Ingest
from spanhouse.receive.pools import ThreadEncodePool
from spanhouse.settings import Settings
from spanhouse.sql_client import parse_params
from spanhouse.store.client import connect
from spanhouse.store.dedup import SpanDedup
from spanhouse.store.native import TableLayout
from spanhouse.store.writer import BatchWriter
from tests.conftest import RunningServer
from tests.docs.sent import (
    SentSpan,
    Turn,
    as_datetime,
    day_of,
    hour_of,
    ns,
    quantile_exact,
    sent_spans,
    thread_of,
    turns_of,
)
from tests.workload import Export, workload

COOKBOOK = Path(__file__).resolve().parents[2] / "docs" / "sql-cookbook.md"
HOUR_NS = 3600 * 10**9
LIVE = "live"
TENANT = "acme"
WINDOW = {"start": "2025-11-23 00:00:00", "end": "2025-11-25 00:00:00"}
DAYS = {"first_day": "2025-11-23", "last_day": "2025-11-24"}

Rows = list[tuple[Any, ...]]


# --- the cookbook ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Recipe:
    heading: str
    sql: str
    note: str  # the paragraph after the SQL
    command: str  # the ```sh block that runs it: spanhouse sql --param ... - < file.sql


def recipes(text: str) -> dict[str, Recipe]:
    """Each ```sql block of the cookbook and the command under it, keyed by the `### ` heading above them."""
    found: dict[str, Recipe] = {}
    sections = re.split(r"^### (.+)$", text, flags=re.MULTILINE)
    for heading, body in zip(sections[1::2], sections[2::2], strict=True):
        blocks = re.findall(r"^```sql\n(.*?)^```\n+(.*?)(?:\n\n|\Z)", body, flags=re.MULTILINE | re.DOTALL)
        assert len(blocks) == 1, f"{heading!r}: one ```sql block per recipe, found {len(blocks)}"
        commands = re.findall(r"^```sh\n(spanhouse sql .*?)^```", body, flags=re.MULTILINE | re.DOTALL)
        assert len(commands) == 1, f"{heading!r}: one ```sh block with the spanhouse sql command, found {len(commands)}"
        assert heading not in found, f"{heading!r}: duplicate heading"
        found[heading] = Recipe(heading, blocks[0][0], blocks[0][1], commands[0])
    assert text.count("```sql") == len(found), "every ```sql block sits under a ### heading"
    return found


def command_params(command: str) -> dict[str, str]:
    """The parameters a `spanhouse sql` command line gives, as the shell and the command read them."""
    words = shlex.split(command.replace("\\\n", " "))
    assert words[:2] == ["spanhouse", "sql"] and words[-3:-1] == ["-", "<"] and words[-1].endswith(".sql"), (
        f"not `spanhouse sql ... - < file.sql`: {command!r}")
    options = words[2:-3]
    assert options[::2] == ["--param"] * (len(options) // 2) and len(options) % 2 == 0, command
    return parse_params(options[1::2])


RECIPES = recipes(COOKBOOK.read_text())


# --- the seeded store ------------------------------------------------------------------------------

@dataclass
class Seeded:
    client: Any
    spans: list[SentSpan]
    turns: list[Turn] = field(init=False)
    thread_of: dict[tuple[str, str], str] = field(init=False)

    def __post_init__(self) -> None:
        self.turns = turns_of(self.spans)
        self.thread_of = thread_of(self.turns)

    def run(self, sql: str, **parameters: Any) -> Rows:
        declared = set(re.findall(r"\{(\w+):", sql))
        assert declared == set(parameters), f"parameters {sorted(parameters)} for a query declaring {sorted(declared)}"
        return list(self.client.query(sql, parameters=parameters).result_rows)

    def scalar(self, sql: str, **parameters: Any) -> Any:
        return self.client.query(sql, parameters=parameters).result_rows[0][0]

    def of(self, tenant: str, *, category: str | None = None, window: dict[str, str] | None = None,
           days: dict[str, str] | None = None) -> list[SentSpan]:
        """The tenant's spans, of a category, starting in a time window or a range of days."""
        return [span for span in self.spans
                if span.tenant == tenant and (category is None or span.category == category)
                and (window is None or ns(window["start"]) <= span.start_ns < ns(window["end"]))
                and (days is None or days["first_day"] <= span.day.isoformat() <= days["last_day"])]

    def threads(self, tenant: str) -> dict[str, list[Turn]]:
        """The tenant's threads: thread id -> its turns."""
        threads: dict[str, list[Turn]] = defaultdict(list)
        for turn in self.turns:
            if turn.tenant == tenant and turn.thread:
                threads[turn.thread].append(turn)
        return threads


def _settings(chdb_path: Path) -> Settings:
    return Settings(clickhouse_dsn=f"chdb://{chdb_path}", clickhouse_database=f"cookbook_{time.time_ns() % 10**12}",
                    otlp_grpc_port=0, otlp_http_port=0, api_port=0, flush_interval_ms=5, decode_processes=0,
                    write_timeout_s=20, retention_raw_days=0, retention_minute_days=0, retention_hourly_days=0,
                    retention_daily_days=0)


def _store(settings: Settings, exports: list[Export]) -> None:
    """Through the real ingest path, with prices; the late roots after everything else."""
    store = open_store(settings)
    try:
        layout = TableLayout.read(store, "otel_traces", INSERT_COLUMNS)
        with BatchWriter(store, layout, flush_interval_s=0.005) as writer:
            ingest = Ingest({"traces": writer}, ThreadEncodePool({"traces": layout}, normalisation(settings)),
                            write_timeout_s=30, dedup=SpanDedup(900))

            async def send(batch: list[Export]) -> None:
                await asyncio.gather(*(ingest.export("traces", export.request.SerializeToString(), "protobuf",
                                                     export.tenant) for export in batch))

            asyncio.run(send([export for export in exports if not export.late]))
            asyncio.run(send([export for export in exports if export.late]))
    finally:
        store.close()


@pytest.fixture(scope="module")
def seeded(chdb_path: Path) -> Iterator[Seeded]:
    settings = _settings(chdb_path)
    exports = [*workload(), *workload(seed=11, traces=200, days=2, start_ns=time.time_ns() - 2 * HOUR_NS,
                                      day_ns=HOUR_NS, tenants=(LIVE,))]
    stored_from = int(time.time())
    _store(settings, exports)
    stored_until = int(time.time()) + 1
    client = connect(settings.clickhouse_dsn, settings.clickhouse_database)
    spans = sent_spans(exports)
    stored = {(tenant, trace, span): (cost, received) for tenant, trace, span, cost, received in client.query(
        "SELECT Tenant, TraceId, SpanId, TotalCost, toUnixTimestamp(ReceivedAt) FROM otel_traces").result_rows}
    assert len(stored) == len(spans) > 5000
    for span in spans:
        span.cost, span.received_s = stored[span.tenant, span.trace_id, span.span_id]
        assert stored_from <= span.received_s <= stored_until
    assert sum(span.cost is None for span in spans) > 300 and sum(span.cost is not None for span in spans) > 1000
    yield Seeded(client, spans)
    client.close()


# --- comparing answers -----------------------------------------------------------------------------

def _same(want: Any, got: Any) -> bool:
    if isinstance(want, float) or isinstance(got, float):
        if want is None or got is None:
            return False
        return math.isclose(want, got, rel_tol=1e-9, abs_tol=1e-12) or (math.isnan(want) and math.isnan(got))
    if isinstance(want, (list, tuple)) and isinstance(got, (list, tuple)):
        return len(want) == len(got) and all(_same(w, g) for w, g in zip(want, got, strict=True))
    return bool(want == got)


def assert_rows(expected: Rows, actual: Rows, *, at_least: int = 2) -> None:
    """Row for row, floats to 1e-9 relative; a check that expects (almost) nothing proves nothing."""
    assert len(expected) >= at_least, f"the seeded data gives this query only {len(expected)} rows"
    assert len(actual) == len(expected), f"{len(actual)} rows, expected {len(expected)}: {actual[:3]}"
    for want, got in zip(expected, actual, strict=True):
        wrong = [(column, w, g) for column, (w, g) in enumerate(zip(want, got, strict=True)) if not _same(w, g)]
        assert not wrong, f"row {got[:3]}...: (column, expected, actual) {wrong}"


def ratio(part: float, whole: float) -> float:
    return part / whole if whole else math.nan


def mean(values: Iterable[float]) -> float:
    listed = list(values)
    return sum(listed) / len(listed)


# --- one check per recipe --------------------------------------------------------------------------

CHECKS: dict[str, Callable[[Seeded, str], None]] = {}


def check(heading: str) -> Callable[[Callable[[Seeded, str], None]], Callable[[Seeded, str], None]]:
    def register(function: Callable[[Seeded, str], None]) -> Callable[[Seeded, str], None]:
        CHECKS[heading] = function
        return function
    return register


RAW_LLM_P95 = """
SELECT quantilesBFloat16(0.5, 0.95, 0.99)(Duration / 1e6)[2] FROM otel_traces
WHERE Tenant = {tenant:String} AND Category = 'LLM'
  AND toUnixTimestamp(toStartOfMinute(Timestamp)) > {after:Int64}
  AND toUnixTimestamp(toStartOfMinute(Timestamp)) <= {until:Int64}
"""


@check("Live KPIs: the last hour against the hour before")
def _live_kpis(db: Seeded, sql: str) -> None:
    for _attempt in range(3):  # now() moves: compare within one minute
        minute = db.scalar("SELECT toUnixTimestamp(toStartOfMinute(now()))")
        rows = db.run(sql, tenant=LIVE)
        if db.scalar("SELECT toUnixTimestamp(toStartOfMinute(now()))") == minute:
            break

    def kpis(after: int, until: int) -> dict[str, float]:
        spans = [s for s in db.of(LIVE) if after < s.start_ns // 60_000_000_000 * 60 <= until]
        llm = [s for s in spans if s.category == "LLM"]
        assert len(llm) > 50
        return {
            "active_threads": len({s.thread for s in spans if s.thread}),
            "llm_calls": len(llm),
            "total_tokens": sum(s.total_tokens for s in spans),
            "cost_usd": sum(s.cost or 0.0 for s in spans),
            "avg_llm_latency_ms": sum(s.duration_ns for s in llm) / len(llm) / 1e6,
            "p95_llm_latency_ms": db.scalar(RAW_LLM_P95, tenant=LIVE, after=after, until=until),
            "error_rate": sum(s.failed for s in spans) / len(spans),
        }

    last, previous = kpis(minute - 3600, 2**40), kpis(minute - 7200, minute - 3600)
    assert_rows([(name, float(value), float(previous[name]), (value - previous[name]) / previous[name] * 100)
                 for name, value in last.items()], rows)


@check("Ingest lag")
def _ingest_lag(db: Seeded, sql: str) -> None:
    assert db.scalar("SELECT toUnixTimestamp(now())") - min(s.received_s for s in db.spans) < 3000
    by_service: dict[str, list[float]] = defaultdict(list)
    for span in db.of(LIVE):
        by_service[span.service].append(span.received_s - span.end_ns // 10**6 / 1000)
    expected = [(service, len(lags), mean(lags), quantile_exact(lags, 0.95), max(lags))
                for service, lags in by_service.items()]
    assert_rows(sorted(expected, key=lambda row: (-row[3], row[0])), db.run(sql, tenant=LIVE))


@check("Hourly thread activity")
def _hourly_threads(db: Seeded, sql: str) -> None:
    thread_started = {thread: min(turn.started for turn in turns) for thread, turns in db.threads(TENANT).items()}
    hours: dict[Any, list[Turn]] = defaultdict(list)
    for turns in db.threads(TENANT).values():
        for turn in turns:
            if ns(WINDOW["start"]) <= turn.started < ns(WINDOW["end"]):
                hours[hour_of(turn.started)].append(turn)
    expected = [(hour, len({t.thread for t in turns}), sum(t.started == thread_started[t.thread] for t in turns),
                 len(turns), sum(t.count("LLM") for t in turns), sum(t.count("TOOL") for t in turns),
                 sum(t.tokens for t in turns), sum(t.cost for t in turns))
                for hour, turns in sorted(hours.items())]
    assert any(row[1] > row[2] for row in expected), "some threads come back in a later hour"
    assert_rows(expected, db.run(sql, tenant=TENANT, **WINDOW), at_least=20)


def _thread_row(thread: str, turns: list[Turn]) -> dict[str, Any]:
    """What thread_activity says of one thread."""
    spans = [span for turn in turns for span in turn.spans]
    first, last = min(t.started for t in turns), max(t.ended for t in turns)
    llm = [s.duration_ns for s in spans if s.category == "LLM"]
    tool = [s.duration_ns for s in spans if s.category == "TOOL"]
    return {
        "thread_id": thread, "agent_name": min((t.started, t.agent) for t in turns if t.agent)[1],
        "user_id": max(t.user for t in turns), "first_seen": first, "last_seen": last,
        "duration_ms": max(last // 10**6 - first // 10**6, 0), "traces": len(turns),
        "llm_calls": len(llm), "tool_calls": len(tool),
        "avg_llm_latency_ms": sum(llm) / len(llm) / 1e6 if llm else None,
        "avg_tool_latency_ms": sum(tool) / len(tool) / 1e6 if tool else None,
        "input_tokens": sum(s.input_tokens or 0 for s in spans),
        "output_tokens": sum(s.output_tokens or 0 for s in spans),
        "total_tokens": sum(s.total_tokens for s in spans), "total_cost": sum(s.cost or 0.0 for s in spans),
    }


@check("Slowest threads")
def _slowest_threads(db: Seeded, sql: str) -> None:
    window = {"start": "2025-11-25 18:00:00", "end": "2025-11-26 00:00:00"}
    threads = sorted((_thread_row(thread, turns) for thread, turns in db.threads(TENANT).items()),
                     key=lambda t: (-t["duration_ms"], t["thread_id"]))
    slowest = [t for t in threads if t["last_seen"] >= ns(window["start"]) and t["first_seen"] < ns(window["end"])][:5]
    assert slowest != threads[:5], "the window leaves out some of the slowest threads"
    expected = [(t["thread_id"], t["agent_name"], t["user_id"], as_datetime(t["first_seen"]),
                 as_datetime(t["last_seen"]), t["duration_ms"], t["traces"], t["llm_calls"], t["tool_calls"],
                 t["avg_llm_latency_ms"], t["avg_tool_latency_ms"]) for t in slowest]
    assert_rows(expected, db.run(sql, tenant=TENANT, limit=5, **window), at_least=5)


@check("Threads over a token budget")
def _token_budget(db: Seeded, sql: str) -> None:
    since, budget = "2025-11-25 00:00:00", 20_000
    threads = [_thread_row(thread, turns) for thread, turns in db.threads(TENANT).items()]
    recent = [t for t in threads if t["last_seen"] >= ns(since)]
    over = sorted((t for t in recent if t["total_tokens"] > budget), key=lambda t: (-t["total_tokens"], t["thread_id"]))
    assert len(threads) > len(recent) > len(over)
    expected = [(t["thread_id"], t["user_id"], t["agent_name"], t["total_tokens"], t["total_tokens"] / budget,
                 t["input_tokens"], t["output_tokens"], t["total_cost"], t["traces"], as_datetime(t["last_seen"]))
                for t in over]
    assert_rows(expected, db.run(sql, tenant=TENANT, start=since, budget=budget), at_least=5)


@check("Runaway threads: one tool called again and again")
def _runaway_threads(db: Seeded, sql: str) -> None:
    calls: dict[tuple[str, str], list[SentSpan]] = defaultdict(list)
    for span in db.of(TENANT, category="TOOL", window=WINDOW):
        if thread := db.thread_of[span.tenant, span.trace_id]:
            calls[thread, span.tool].append(span)
    expected = [(thread, tool, len(spans), len({s.trace_id for s in spans}), sum(s.failed for s in spans),
                 as_datetime(min(s.start_ns for s in spans)), as_datetime(max(s.start_ns for s in spans)))
                for (thread, tool), spans in calls.items() if len(spans) >= 8]
    assert any(row[3] == 1 for row in expected), "a loop inside one turn"
    assert len(expected) < len(calls)
    assert_rows(sorted(expected, key=lambda row: (-row[2], row[0], row[1])),
                db.run(sql, tenant=TENANT, min_calls=8, **WINDOW), at_least=5)


@check("A single thread's timeline")
def _thread_timeline(db: Seeded, sql: str) -> None:
    threads = db.threads(TENANT)
    thread = max(threads, key=lambda t: (sum(len(turn.spans) for turn in threads[t]), t))
    spans = sorted((s for turn in threads[thread] for s in turn.spans), key=lambda s: (s.start_ns, s.span_id))
    assert len({s.trace_id for s in spans}) > 3 and any(not s.thread for s in spans)
    start = spans[0].start_ns
    expected = [(as_datetime(s.start_ns), (s.start_ns - start) / 1e6, s.duration_ns / 1e6, s.trace_id, s.span_id,
                 s.parent_span_id, s.name, s.category, s.agent, s.model, s.tool, s.input_tokens, s.output_tokens,
                 s.cost, s.status, "boom" if s.failed else "") for s in spans]
    assert_rows(expected, db.run(sql, tenant=TENANT, thread_id=thread), at_least=20)


@check("Agent metrics")
def _agent_metrics(db: Seeded, sql: str) -> None:
    agents: dict[str, list[Turn]] = defaultdict(list)
    for turn in db.turns:
        if turn.tenant == TENANT and ns(WINDOW["start"]) <= turn.started < ns(WINDOW["end"]):
            agents[turn.agent].append(turn)
    expected = []
    for agent, turns in agents.items():
        durations = [(t.ended - t.started) / 1e6 for t in turns]
        expected.append((agent, len(turns), len({t.thread for t in turns if t.thread}),
                         len({t.user for t in turns if t.user}), sum(t.count("LLM") for t in turns),
                         sum(t.count("TOOL") for t in turns), sum(t.tokens for t in turns),
                         sum(t.cost for t in turns), sum(t.errors > 0 for t in turns) / len(turns),
                         mean(durations), quantile_exact(durations, 0.95)))
    assert_rows(sorted(expected, key=lambda row: (-row[7], row[0])), db.run(sql, tenant=TENANT, **WINDOW), at_least=3)


def _grouped(spans: Iterable[SentSpan], key: Callable[[SentSpan], Any]) -> dict[Any, list[SentSpan]]:
    groups: dict[Any, list[SentSpan]] = defaultdict(list)
    for span in spans:
        groups[key(span)].append(span)
    return groups


@check("Error rate by model")
def _error_rate_by_model(db: Seeded, sql: str) -> None:
    models = _grouped(db.of(TENANT, category="LLM", days=DAYS), lambda s: s.model)
    expected = [(model, len(spans), sum(s.failed for s in spans), sum(s.failed for s in spans) / len(spans))
                for model, spans in models.items()]
    assert_rows(sorted(expected, key=lambda row: (-row[3], row[0])), db.run(sql, tenant=TENANT, **DAYS), at_least=4)


@check("Error rate by tool, per day")
def _error_rate_by_tool(db: Seeded, sql: str) -> None:
    groups = _grouped(db.of(TENANT, category="TOOL", window=WINDOW), lambda s: (s.day, s.tool))
    expected = [(day, tool, len(spans), sum(s.failed for s in spans), sum(s.failed for s in spans) / len(spans))
                for (day, tool), spans in sorted(groups.items())]
    assert_rows(expected, db.run(sql, tenant=TENANT, **WINDOW), at_least=6)


@check("Tool failure rates")
def _tool_failure_rates(db: Seeded, sql: str) -> None:
    expected = []
    for tool, spans in _grouped(db.of(TENANT, category="TOOL", window=WINDOW), lambda s: s.tool).items():
        failed = [s for s in spans if s.failed]
        durations = [s.duration_ns for s in spans]
        expected.append((tool, len(spans), len(failed), len(failed) / len(spans), mean(durations) / 1e6,
                         quantile_exact(durations, 0.95) / 1e6, ["boom"] if failed else [],
                         as_datetime(max(s.start_ns for s in failed))))
    assert_rows(sorted(expected, key=lambda row: (-row[3], row[0])), db.run(sql, tenant=TENANT, **WINDOW), at_least=3)


RAW_MODEL_QUANTILES = """
SELECT toDate(Timestamp, 'UTC') AS d, if(RequestModel != '', RequestModel, ResponseModel) AS m,
       quantilesBFloat16(0.5, 0.95, 0.99)(Duration / 1e6)
FROM otel_traces
WHERE Tenant = {tenant:String} AND Category = 'LLM'
  AND toDate(Timestamp, 'UTC') BETWEEN {first_day:Date} AND {last_day:Date}
GROUP BY d, m
ORDER BY d, m
"""


@check("p95 latency by model, per day")
def _p95_by_model(db: Seeded, sql: str) -> None:
    groups = _grouped(db.of(TENANT, category="LLM", days=DAYS), lambda s: (s.day, s.model))
    raw = {(day, model): quantiles for day, model, quantiles in db.run(RAW_MODEL_QUANTILES, tenant=TENANT, **DAYS)}
    expected = [(day, model, len(spans), *raw[day, model]) for (day, model), spans in sorted(groups.items())]
    for row, spans in zip(expected, (groups[key] for key in sorted(groups)), strict=True):
        # A sketch, yet close to the exact percentile of what was sent (bfloat16: 8 significant bits).
        ranked = sorted(s.duration_ns / 1e6 for s in spans)
        low, high = ranked[math.floor(0.95 * (len(ranked) - 1))], ranked[math.ceil(0.95 * (len(ranked) - 1))]
        assert low * 0.99 <= row[4] <= high * 1.01, (row, low, high)
    assert_rows(expected, db.run(sql, tenant=TENANT, **DAYS), at_least=8)


@check("Retrieval latency and documents per call")
def _retrieval(db: Seeded, sql: str) -> None:
    expected = []
    for service, spans in sorted(_grouped(db.of(TENANT, category="RETRIEVAL", window=WINDOW),
                                          lambda s: s.service).items()):
        durations = [s.duration_ns for s in spans]
        documents = [s.documents for s in spans if s.documents is not None]
        expected.append((service, len(spans), mean(durations) / 1e6, quantile_exact(durations, 0.5) / 1e6,
                         quantile_exact(durations, 0.95) / 1e6, mean(documents), max(documents),
                         sum(d == 0 for d in documents), len(spans) - len(documents)))
    assert_rows(expected, db.run(sql, tenant=TENANT, **WINDOW))


@check("Slowest LLM calls, with their thread")
def _slowest_calls(db: Seeded, sql: str) -> None:
    slowest = sorted(db.of(TENANT, category="LLM", window=WINDOW), key=lambda s: (-s.duration_ns, s.span_id))[:10]
    expected = [(as_datetime(s.start_ns), s.duration_ns / 1e6, s.model, s.status, s.trace_id, s.span_id,
                 db.thread_of[s.tenant, s.trace_id]) for s in slowest]
    assert_rows(expected, db.run(sql, tenant=TENANT, limit=10, **WINDOW), at_least=10)


@check("Cost by model, per day")
def _cost_by_model(db: Seeded, sql: str) -> None:
    groups = _grouped((s for s in db.of(TENANT, days=DAYS) if s.model), lambda s: (s.day, s.model))
    expected = [(day, model, len(spans), sum(s.input_tokens or 0 for s in spans),
                 sum(s.output_tokens or 0 for s in spans), sum(s.cost or 0.0 for s in spans),
                 sum(s.unpriced for s in spans)) for (day, model), spans in groups.items()]
    assert_rows(sorted(expected, key=lambda row: (row[0], -row[5], row[1])), db.run(sql, tenant=TENANT, **DAYS),
                at_least=10)


def _turns_by_day(db: Seeded, key: Callable[[Turn], Any]) -> dict[Any, list[Turn]]:
    groups: dict[Any, list[Turn]] = defaultdict(list)
    for turn in db.turns:
        day = day_of(turn.started)
        if turn.tenant == TENANT and DAYS["first_day"] <= day.isoformat() <= DAYS["last_day"]:
            groups[day, key(turn)].append(turn)
    return groups


@check("Cost by agent, per day")
def _cost_by_agent(db: Seeded, sql: str) -> None:
    expected = [(day, agent, len(turns), sum(t.tokens for t in turns), sum(t.cost for t in turns))
                for (day, agent), turns in _turns_by_day(db, lambda t: t.agent).items()]
    assert_rows(sorted(expected, key=lambda row: (row[0], -row[4], row[1])), db.run(sql, tenant=TENANT, **DAYS),
                at_least=6)


@check("Cost by user, per day")
def _cost_by_user(db: Seeded, sql: str) -> None:
    expected = [(day, user, len({t.thread for t in turns if t.thread}), len(turns), sum(t.tokens for t in turns),
                 sum(t.cost for t in turns)) for (day, user), turns in _turns_by_day(db, lambda t: t.user).items()]
    assert any(row[1] == "" for row in expected), "turns without a user have a row"
    assert_rows(sorted(expected, key=lambda row: (row[0], -row[5], row[1])), db.run(sql, tenant=TENANT, **DAYS),
                at_least=20)


@check("Cost by tenant, per day")
def _cost_by_tenant(db: Seeded, sql: str) -> None:
    spans = [s for s in db.spans if DAYS["first_day"] <= s.day.isoformat() <= DAYS["last_day"]]
    expected = [(day, tenant, len(group), sum(s.category == "LLM" for s in group), sum(s.total_tokens for s in group),
                 sum(s.cost or 0.0 for s in group), sum(s.unpriced for s in group))
                for (day, tenant), group in _grouped(spans, lambda s: (s.day, s.tenant)).items()]
    assert_rows(sorted(expected, key=lambda row: (row[0], -row[5], row[1])), db.run(sql, **DAYS), at_least=6)


@check("Prompt-cache hit ratio by model")
def _cache_hit_ratio(db: Seeded, sql: str) -> None:
    expected = []
    for model, spans in _grouped(db.of(TENANT, category="LLM", days=DAYS), lambda s: s.model).items():
        inputs, cached = sum(s.input_tokens or 0 for s in spans), sum(s.cache_read_tokens or 0 for s in spans)
        expected.append((model, len(spans), inputs, cached, ratio(cached, inputs)))
    assert all(row[3] > 0 for row in expected)
    assert_rows(sorted(expected, key=lambda row: (-row[4], row[0])), db.run(sql, tenant=TENANT, **DAYS), at_least=4)


@check("Unpriced models")
def _unpriced_models(db: Seeded, sql: str) -> None:
    expected = []
    for model, spans in _grouped(db.of(TENANT, days=DAYS), lambda s: s.model).items():
        if unpriced := sum(s.unpriced for s in spans):
            expected.append((model, unpriced, len(spans), sum(s.input_tokens or 0 for s in spans),
                             sum(s.output_tokens or 0 for s in spans), min(s.day for s in spans),
                             max(s.day for s in spans)))
    assert_rows(sorted(expected, key=lambda row: (-row[1], row[0])), db.run(sql, tenant=TENANT, **DAYS), at_least=1)


# --- the tests -------------------------------------------------------------------------------------

def test_every_cookbook_query_has_a_check() -> None:
    assert set(RECIPES) == set(CHECKS)
    assert len(RECIPES) >= 15


@pytest.mark.parametrize("heading", sorted(RECIPES))
def test_recipe_says_what_it_reads(heading: str) -> None:
    recipe = RECIPES[heading]
    assert recipe.note.startswith("Reads "), f"{heading!r}: the note after the SQL says which table it reads and why"
    if "FROM otel_traces" in recipe.sql:  # raw spans: always bounded by tenant and time
        assert re.search(r"s\.Tenant = \{tenant:String\}", recipe.sql), heading
        assert re.search(r"s\.(Timestamp|ReceivedAt) >=", recipe.sql), heading


def test_every_recipe_runs_through_spanhouse_sql_with_the_parameters_its_command_gives(
        server: RunningServer) -> None:
    exports = list(workload(traces=40, days=3, tenants=("default",)))
    for export in sorted(exports, key=lambda export: export.late):  # late roots last, as exporters send them
        httpx.post(f"{server.http_endpoint}/v1/traces", content=export.request.SerializeToString(), timeout=30,
                   headers={"Content-Type": "application/x-protobuf"}).raise_for_status()
    answers = {}
    for heading, recipe in RECIPES.items():
        params = command_params(recipe.command)
        assert set(params) == set(re.findall(r"\{(\w+):", recipe.sql)), f"{heading!r}: the command's --param options"
        response = httpx.post(f"{server.api}/api/v1/sql", json={"query": recipe.sql, "params": params}, timeout=60)
        doc = response.json()
        answers[heading] = (response.status_code, doc.get("error"), bool(doc.get("columns")))
    assert answers == {heading: (200, None, True) for heading in RECIPES}


@pytest.mark.parametrize("heading", sorted(CHECKS))
def test_recipe_answers_what_the_data_says(heading: str, seeded: Seeded) -> None:
    assert heading in RECIPES, f"a check for {heading!r}, which the cookbook no longer has"
    CHECKS[heading](seeded, RECIPES[heading].sql)
