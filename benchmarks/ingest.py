"""`make bench`: ingest throughput, ack latency and trace lookups against a real `spanhouse serve`.

Phases, each against a server on a fresh temporary store:
  1. in-process CPU cost: decode only, and decode + normalise, of the pre-encoded requests;
     normalising's share of all the CPU ingest spends per span (server + decode workers at
     saturation) is printed against the bar of a third;
  2. saturation over OTLP/HTTP (raw keep-alive HTTP/1.1 senders), then over OTLP/gRPC once the
     server is quiet again, so that gRPC is not charged the merges of HTTP's parts;
  3. paced OTLP/HTTP at half the measured HTTP rate, for ack latency below saturation: once
     right after the saturation phases, while ClickHouse still merges the parts they left (those
     merges take ~40% of the server's CPU then), and once on a fresh server of its own, followed
     there by one sender of one-trace exports, one after the other (an app whose SDK exports each
     span as it ends): exports/s and ack latency;
  4. trace lookups through the query API over the ingested traces;
  5. overload: `--overload-senders` senders of ~8 MB bodies at once, far past what the server
     takes; its peak RSS before and after shows what bounds memory (the queue and the bytes in
     flight, not the number of clients);
  6. durability check: rows in ClickHouse == spans acknowledged; bytes on disk per span;
  7. lookups again after loading `--lookup-spans` synthetic spans straight into ClickHouse.
The load generator shares the machine's 2 cores with the server; figures are what this machine
gives, and ratios within one run are the thing to compare. The steadiest figure is the server's
CPU time per span (server process, and its decode workers apart): it hardly moves when another
program takes the other core, where spans/s and latency do.

Every request sent carries trace ids no request carried before (`Load.stamp` rewrites the last 4
bytes of each trace id in the pre-encoded body with a send counter): spanhouse drops spans it has
already stored (store/dedup.py), so resending identical bodies would measure the dedup, not ingest.

`--flush-interval-ms 50,100,150` runs only phases 2-3 once per value (each on a fresh server,
`--rounds` times, interleaved), pacing every run at the same rate, and prints one table.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grpc
import httpx
import psutil
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, InstrumentationScope, KeyValue
from opentelemetry.proto.resource.v1.resource_pb2 import Resource
from opentelemetry.proto.trace.v1.trace_pb2 import ResourceSpans, ScopeSpans, Span

from benchmarks import filesystem
from spanhouse.app import normalisation
from spanhouse.decode.traces import decode_spans, parse_protobuf
from spanhouse.receive.ingest import decode_request
from spanhouse.settings import Settings

EXPORT = "/opentelemetry.proto.collector.trace.v1.TraceService/Export"
DATABASE = "spanhouse"
SPANS_PER_TRACE = 7


def _kv(key: str, value: str | int | float) -> KeyValue:
    if isinstance(value, str):
        return KeyValue(key=key, value=AnyValue(string_value=value))
    if isinstance(value, int):
        return KeyValue(key=key, value=AnyValue(int_value=value))
    return KeyValue(key=key, value=AnyValue(double_value=value))


def ai_request(rng: random.Random, traces: int, now_ns: int) -> tuple[ExportTraceServiceRequest, list[str]]:
    """`traces` agent turns of 7 spans: agent, 3 LLM calls with ~0.5 KB of text, 2 tools, 1 retrieval."""
    spans: list[Span] = []
    trace_ids = []
    for _ in range(traces):
        trace_id = rng.getrandbits(128).to_bytes(16, "big")
        trace_ids.append(trace_id.hex())
        root = rng.getrandbits(64).to_bytes(8, "big")
        start = now_ns - rng.randint(0, 60_000_000_000)
        conversation = f"thread-{rng.randint(0, 5000)}"
        spans.append(Span(trace_id=trace_id, span_id=root, name="invoke_agent planner", kind=Span.SPAN_KIND_INTERNAL,
                          start_time_unix_nano=start, end_time_unix_nano=start + 4_000_000_000, attributes=[
                              _kv("gen_ai.operation.name", "invoke_agent"), _kv("gen_ai.agent.name", "planner"),
                              _kv("gen_ai.conversation.id", conversation)]))
        for step in range(6):
            kind = ("llm", "tool", "llm", "retrieval", "tool", "llm")[step]
            begin = start + step * 600_000_000
            attrs = {
                "llm": [_kv("gen_ai.operation.name", "chat"), _kv("gen_ai.provider.name", "openai"),
                        _kv("gen_ai.request.model", "gpt-4o"), _kv("gen_ai.response.model", "gpt-4o-2024-08-06"),
                        _kv("gen_ai.usage.input_tokens", rng.randint(200, 3000)),
                        _kv("gen_ai.usage.output_tokens", rng.randint(10, 400)), _kv("gen_ai.request.temperature", 0.2),
                        _kv("gen_ai.conversation.id", conversation),
                        _kv("gen_ai.input.messages", "user: " + "".join(rng.choices("abcdefgh ijklmnop", k=380))),
                        _kv("gen_ai.output.messages", "assistant: " + "".join(rng.choices("qrstuv wxyz", k=120)))],
                "tool": [_kv("gen_ai.operation.name", "execute_tool"), _kv("gen_ai.tool.name", "search_orders"),
                         _kv("gen_ai.tool.call.id", f"call_{rng.getrandbits(48):012x}")],
                "retrieval": [_kv("gen_ai.operation.name", "retrieval"), _kv("gen_ai.data_source.id", "kb"),
                              _kv("gen_ai.retrieval.query.text", "refund policy for damaged goods")],
            }[kind]
            spans.append(Span(trace_id=trace_id, span_id=rng.getrandbits(64).to_bytes(8, "big"), parent_span_id=root,
                              name=f"{kind} step", kind=Span.SPAN_KIND_CLIENT, start_time_unix_nano=begin,
                              end_time_unix_nano=begin + rng.randint(50, 550) * 1_000_000, attributes=attrs))
    request = ExportTraceServiceRequest(resource_spans=[ResourceSpans(
        resource=Resource(attributes=[_kv("service.name", "bench-agent"), _kv("service.version", "2.1.0")]),
        scope_spans=[ScopeSpans(scope=InstrumentationScope(name="bench", version="1"), spans=spans)])])
    return request, trace_ids


def large_request(rng: random.Random, traces: int, parts: int, now_ns: int) -> tuple[ExportTraceServiceRequest,
                                                                                     list[str]]:
    """`parts` requests of `ai_request` in one body (a protobuf concatenation merges repeated fields)."""
    request, trace_ids = ExportTraceServiceRequest(), []
    for _ in range(parts):
        part, ids = ai_request(rng, traces, now_ns)
        request.MergeFrom(part)
        trace_ids += ids
    return request, trace_ids


class Load:
    """Pre-encoded requests, sent with fresh trace ids each time (patched in place, no re-encoding)."""

    def __init__(self, requests: list[tuple[ExportTraceServiceRequest, list[str]]]) -> None:
        self.bodies: list[bytes] = []
        self.counts: list[int] = []
        self.trace_ids: list[list[bytes]] = []
        self._offsets: list[list[int]] = []
        for request, ids in requests:
            body = request.SerializeToString()
            raw_ids = [bytes.fromhex(trace_id) for trace_id in ids]
            # Span.trace_id is field 1 (bytes): tag 0x0A, length 16, then the id.
            offsets = [match + 2 for trace_id in raw_ids for match in _find_all(body, b"\x0a\x10" + trace_id)]
            if len(offsets) != len(raw_ids) * SPANS_PER_TRACE:
                raise SystemExit(f"found {len(offsets)} trace id fields in a request of {len(raw_ids)} traces")
            self.bodies.append(body)
            self.counts.append(len(raw_ids) * SPANS_PER_TRACE)
            self.trace_ids.append(raw_ids)
            self._offsets.append(offsets)
        self._sends = itertools.count(1)
        self.sent: list[tuple[int, int]] = []  # (request index, send number) of every body acknowledged

    def next_body(self) -> tuple[bytes, int, tuple[int, int]]:
        """The next request in the cycle, stamped with a send number no earlier body had; its spans,
        and what to add to `sent` once it is acknowledged (a refused body's traces do not exist)."""
        send = next(self._sends)
        index = send % len(self.bodies)
        body = bytearray(self.bodies[index])
        stamp = send.to_bytes(4, "big")
        for offset in self._offsets[index]:
            body[offset + 12:offset + 16] = stamp
        return bytes(body), self.counts[index], (index, send)

    def sent_trace_ids(self, count: int, seed: int = 7) -> list[str]:
        """`count` trace ids (hex) of traces that were sent, chosen at random."""
        rng = random.Random(seed)
        chosen = []
        for index, send in rng.sample(self.sent, min(count, len(self.sent))):
            trace_id = rng.choice(self.trace_ids[index])
            chosen.append((trace_id[:12] + send.to_bytes(4, "big")).hex())
        return chosen


def _find_all(haystack: bytes, needle: bytes) -> list[int]:
    found, start = [], haystack.find(needle)
    while start >= 0:
        found.append(start)
        start = haystack.find(needle, start + 1)
    return found


@dataclass
class Phase:
    name: str
    spans: int = 0
    requests: int = 0
    refused: int = 0
    latencies: list[float] = field(default_factory=list)
    seconds: float = 0.0
    server_cpu_s: float = 0.0
    worker_cpu_s: float = 0.0
    merge_cpu_s: float = 0.0  # of server_cpu_s: ClickHouse's background merges
    # From the phase's start until every span it had acknowledged was queryable: under load the
    # last ones wait in the write-ahead log for up to SPANHOUSE_FLUSH_INTERVAL_MS.
    queryable_seconds: float = 0.0

    def queryable_rate(self) -> float:
        return self.spans / self.queryable_seconds if self.queryable_seconds else 0.0

    def rate(self) -> float:
        return self.spans / self.seconds if self.seconds else 0.0

    def cpu_us_per_span(self) -> tuple[float, float]:
        """Server-process and decode-worker CPU time per acknowledged span, in microseconds."""
        spans = max(1, self.spans)
        return self.server_cpu_s / spans * 1e6, self.worker_cpu_s / spans * 1e6

    def pct(self, q: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, float]:
    status = int((await reader.readline()).split()[1])
    length, retry_after = 0, 0.0
    while (line := await reader.readline()) not in (b"\r\n", b""):
        name, _, value = line.decode("latin-1").partition(":")
        if name.lower() == "content-length":
            length = int(value)
        elif name.lower() == "retry-after":
            retry_after = float(value)
    await reader.readexactly(length)
    return status, retry_after


async def http_load(port: int, load: Load, seconds: float, senders: int,
                    pace_rps: float | None = None) -> Phase:
    phase = Phase("OTLP/HTTP" + (" paced" if pace_rps else ""))
    deadline = time.perf_counter() + seconds
    interval = senders / pace_rps if pace_rps else 0.0

    async def sender() -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        next_at = time.perf_counter() + random.uniform(0, interval)
        while time.perf_counter() < deadline:
            if interval:
                await asyncio.sleep(max(0.0, next_at - time.perf_counter()))
                next_at += interval
            body, count, sent = load.next_body()
            head = (f"POST /v1/traces HTTP/1.1\r\nHost: bench\r\nContent-Type: application/x-protobuf\r\n"
                    f"Content-Length: {len(body)}\r\n\r\n").encode()
            started = time.perf_counter()
            writer.write(head + body)
            await writer.drain()
            status, retry_after = await _read_response(reader)
            if status == 200:
                load.sent.append(sent)
                phase.latencies.append(time.perf_counter() - started)
                phase.spans += count
                phase.requests += 1
            else:
                phase.refused += 1
                await asyncio.sleep(min(retry_after, 0.2) or 0.05)
        writer.close()

    began = time.perf_counter()
    await asyncio.gather(*(sender() for _ in range(senders)))
    phase.seconds = time.perf_counter() - began
    return phase


async def grpc_load(port: int, load: Load, seconds: float, senders: int) -> Phase:
    phase = Phase("OTLP/gRPC")
    deadline = time.perf_counter() + seconds
    async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
        export = channel.unary_unary(EXPORT)

        async def sender() -> None:
            while time.perf_counter() < deadline:
                body, count, sent = load.next_body()
                started = time.perf_counter()
                try:
                    await export(body, timeout=60)
                except grpc.aio.AioRpcError:
                    phase.refused += 1
                    await asyncio.sleep(0.05)
                    continue
                load.sent.append(sent)
                phase.latencies.append(time.perf_counter() - started)
                phase.spans += count
                phase.requests += 1

        began = time.perf_counter()
        await asyncio.gather(*(sender() for _ in range(senders)))
        phase.seconds = time.perf_counter() - began
    return phase


class MergeCpu:
    """CPU time of a process's ClickHouse merge threads while the block runs.

    chDB's threads carry their job in their name (`MergeMutate` for background merges) and
    rename themselves when they take another job, so the thread names are sampled every 0.1 s
    and each interval's CPU goes to the name the thread had at its end.
    """

    def __init__(self, pid: int) -> None:
        self._tasks = Path(f"/proc/{pid}/task")
        self._ticks = os.sysconf("SC_CLK_TCK")
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._last: dict[str, int] = {}
        self.seconds = 0.0

    def __enter__(self) -> MergeCpu:
        self._last = {tid: cpu for tid, (_, cpu) in self._threads().items()}
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        self._thread.join()

    def _threads(self) -> dict[str, tuple[str, int]]:
        threads = {}
        for task in self._tasks.iterdir():
            with contextlib.suppress(OSError):
                name = (task / "comm").read_text().strip()
                fields = (task / "stat").read_text().rsplit(")", 1)[1].split()
                threads[task.name] = (name, int(fields[11]) + int(fields[12]))  # utime + stime, in ticks
        return threads

    def _sample(self) -> None:
        while not self._stop.wait(0.1):
            for tid, (name, cpu) in self._threads().items():
                if name.startswith("MergeMutate"):
                    self.seconds += (cpu - self._last.get(tid, cpu)) / self._ticks
                self._last[tid] = cpu


class Server:
    def __init__(self, data: Path, workdir: Path, settings: dict[str, str] | None = None) -> None:
        ports_file = workdir / f"ports-{time.monotonic_ns()}.json"
        env = {**os.environ, "SPANHOUSE_CLICKHOUSE_DSN": f"chdb://{data}", "SPANHOUSE_OTLP_GRPC_PORT": "0",
               "SPANHOUSE_OTLP_HTTP_PORT": "0", "SPANHOUSE_API_PORT": "0", "SPANHOUSE_LOG_LEVEL": "WARNING",
               **(settings or {})}
        self.process = subprocess.Popen([sys.executable, "-m", "spanhouse", "serve", "--ports-file", str(ports_file)],
                                        env=env, stdout=subprocess.DEVNULL)
        while not ports_file.exists():
            if self.process.poll() is not None:
                raise SystemExit("spanhouse failed to start")
            time.sleep(0.05)
        self.ports = json.loads(ports_file.read_text())

    def cpu_seconds(self) -> tuple[float, float]:
        """CPU time (user + system) used so far by the server process, and by its live decode workers."""
        process = psutil.Process(self.process.pid)
        workers = 0.0
        for child in process.children(recursive=True):
            with contextlib.suppress(psutil.NoSuchProcess):
                workers += sum(child.cpu_times()[:2])
        return sum(process.cpu_times()[:2]), workers

    def stored_spans(self) -> int:
        """Spans queryable now, counted through the query API's ad-hoc SQL (the server holds the store)."""
        response = httpx.post(f"http://127.0.0.1:{self.ports['api']}/api/v1/sql", timeout=60,
                              json={"query": "SELECT count() FROM otel_traces"})
        response.raise_for_status()
        return int(response.json()["rows"][0][0])

    def run(self, load: Coroutine[Any, Any, Phase]) -> Phase:
        """Run one load phase until all it acknowledged is queryable; charge it the server's CPU time
        (inserts after the last acknowledgement included), and the part of it merges took."""
        stored_before = self.stored_spans()
        main_before, workers_before = self.cpu_seconds()
        with MergeCpu(self.process.pid) as merges:
            started = time.perf_counter()
            phase = asyncio.run(load)
            deadline = time.monotonic() + 120
            while self.stored_spans() < stored_before + phase.spans and time.monotonic() < deadline:
                time.sleep(0.02)
            phase.queryable_seconds = time.perf_counter() - started
        main_after, workers_after = self.cpu_seconds()
        phase.server_cpu_s, phase.worker_cpu_s = main_after - main_before, workers_after - workers_before
        phase.merge_cpu_s = merges.seconds
        return phase

    def settle(self, longest_s: float = 90.0) -> float:
        """Wait until the server is quiet (ClickHouse done merging what the last phase left), at most
        `longest_s`; the seconds waited. So a phase is not charged its predecessor's merges."""
        started = time.monotonic()
        quiet = 0
        before = sum(self.cpu_seconds())
        while quiet < 2 and time.monotonic() - started < longest_s:
            time.sleep(0.5)
            now = sum(self.cpu_seconds())
            quiet = quiet + 1 if now - before < 0.05 else 0  # under a tenth of a core
            before = now
        return time.monotonic() - started

    def peak_rss_mb(self) -> float:
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        return float("nan")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(120)


def lookups(api_port: int, trace_ids: list[str], count: int, expect_spans: int | None) -> Phase:
    phase = Phase("trace lookup")
    sample = random.Random(7).sample(trace_ids, min(count, len(trace_ids)))
    with httpx.Client(base_url=f"http://127.0.0.1:{api_port}", timeout=60) as client:
        for trace_id in sample:
            started = time.perf_counter()
            response = client.get(f"/api/v1/traces/{trace_id}")
            phase.latencies.append(time.perf_counter() - started)
            if response.status_code != 200 or (expect_spans and response.json()["span_count"] != expect_spans):
                phase.refused += 1
            phase.requests += 1
    return phase


def chdb_task(*args: str) -> dict[str, float]:
    out = subprocess.run([sys.executable, "-m", "benchmarks.chdb_tasks", *args], check=True, capture_output=True,
                         text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def cpu_cost(bodies: list[tuple[bytes, int]], rounds: int = 3) -> tuple[float, float]:
    """CPU microseconds per span of decoding alone and of decoding + normalising, best of `rounds`."""
    options = normalisation(Settings())  # the defaults serve runs with: content policy and prices
    spans = sum(count for _, count in bodies)
    decode_us, full_us = float("inf"), float("inf")
    for _ in range(rounds):  # interleaved, so a busy moment of the machine hits both alike
        started = time.process_time()
        for body, _ in bodies:
            decode_spans(parse_protobuf(body), "t")
        decode_us = min(decode_us, (time.process_time() - started) / spans * 1e6)
        started = time.process_time()
        for body, _ in bodies:
            decode_request(body, "protobuf", "t", options)
        full_us = min(full_us, (time.process_time() - started) / spans * 1e6)
    return decode_us, full_us


def main() -> None:
    parser = argparse.ArgumentParser(prog="make bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=20, help="length of each load phase (default 20)")
    parser.add_argument("--senders", type=int, default=8, help="concurrent senders per transport (default 8)")
    parser.add_argument("--traces-per-request", type=int, default=73, help="7 spans each (default 73: 511 spans)")
    parser.add_argument("--lookup-spans", type=int, default=10_000_000,
                        help="synthetic spans loaded for the large lookup phase; 0 skips it (default 10M)")
    parser.add_argument("--flush-interval-ms", type=_int_list, metavar="MS[,MS...]",
                        help="compare SPANHOUSE_FLUSH_INTERVAL_MS values: saturation and paced phases only")
    parser.add_argument("--rounds", type=int, default=1, help="with --flush-interval-ms: runs per value (default 1)")
    parser.add_argument("--overload-senders", type=int, default=64,
                        help="senders of ~8 MB bodies in the overload phase; 0 skips it (default 64)")
    parser.add_argument("--paced-spans-per-s", type=float,
                        help="pace of the paced phase (default: half the HTTP saturation rate, in a comparison "
                             "the first run's)")
    args = parser.parse_args()

    rng = random.Random(1)
    now = time.time_ns()
    load = Load([ai_request(rng, args.traces_per_request, now) for _ in range(120)])
    small = Load([ai_request(rng, 1, now) for _ in range(40)])
    wire = sum(map(len, load.bodies)) / sum(load.counts)
    print(f"load: {len(load.bodies)} requests of {load.counts[0]} AI spans, {wire:.0f} B/span on the wire, "
          f"sent in a cycle with fresh trace ids ({args.senders} senders per transport, {args.seconds:.0f}s per phase)")
    print(f"stores in {tempfile.gettempdir()}, on {filesystem.describe(Path(tempfile.gettempdir()))}")
    if args.flush_interval_ms:
        compare_flush_intervals(args, load)
        return
    decode_us, with_normalise_us = cpu_cost(list(zip(load.bodies, load.counts, strict=True))[:40])

    results: list[tuple[str, str]] = []
    with tempfile.TemporaryDirectory(prefix="spanhouse-bench-") as tmp:
        workdir = Path(tmp)
        data = workdir / "data"
        server = Server(data, workdir)
        try:
            http = server.run(http_load(server.ports["otlp_http"], load, args.seconds, args.senders))
            settled_s = server.settle()
            grpc_phase = server.run(grpc_load(server.ports["otlp_grpc"], load, args.seconds, args.senders))
            grpc_phase.name = f"OTLP/gRPC (after {settled_s:.0f} s for HTTP's merges)"
            pace = (args.paced_spans_per_s / load.counts[0] if args.paced_spans_per_s
                    else http.requests / http.seconds / 2)
            paced = server.run(http_load(server.ports["otlp_http"], load, args.seconds, args.senders, pace_rps=pace))
            paced.name = "OTLP/HTTP paced, right after saturation"
            look = lookups(server.ports["api"], load.sent_trace_ids(500), 500, SPANS_PER_TRACE)
            rss = server.peak_rss_mb()
            overload = None
            if args.overload_senders:
                large = Load([large_request(random.Random(seed), args.traces_per_request, 32, now)
                              for seed in range(100, 104)])
                overload = server.run(http_load(server.ports["otlp_http"], large, args.seconds,
                                                args.overload_senders))
                overload_rss = server.peak_rss_mb()
        finally:
            server.stop()
        acked = http.spans + grpc_phase.spans + paced.spans + (overload.spans if overload else 0)
        stored = chdb_task("disk", str(data), DATABASE)
        # The same pace on a server of its own: latency below saturation in a steady state, not
        # while ClickHouse still merges the parts the saturation phases left behind.
        server = Server(workdir / "steady", workdir)
        try:
            steady = server.run(http_load(server.ports["otlp_http"], load, args.seconds, args.senders, pace_rps=pace))
            steady.name = "OTLP/HTTP paced, fresh server"
            # One client sending one small export after the other, as an app whose SDK exports each
            # span as it ends (SimpleSpanProcessor) does: what it gets is set by the cost of one
            # acknowledgement, not by throughput.
            lone = server.run(http_load(server.ports["otlp_http"], small, args.seconds / 2, 1))
            lone.name = f"OTLP/HTTP, one sender of {small.counts[0]}-span exports"
        finally:
            server.stop()

        results += [
            ("decode only, in process (1 core)", f"{1e6 / decode_us:,.0f} spans/s ({decode_us:.1f} us CPU/span)"),
            ("decode + normalise, in process (1 core)",
             f"{1e6 / with_normalise_us:,.0f} spans/s ({with_normalise_us:.1f} us CPU/span)"),
        ]
        # The bar: normalising costs at most a third of the CPU ingest spends on a span
        # (server process + decode workers, at saturation over OTLP/HTTP).
        ingest_us = sum(http.cpu_us_per_span())
        normalise_us = with_normalise_us - decode_us
        results.append(("normalise, share of the ingest CPU per span",
                        f"{normalise_us:.1f} us of {ingest_us:.0f} us = {100 * normalise_us / ingest_us:.0f}% "
                        f"(bar: 33%)"))
        for phase in (http, grpc_phase, paced, steady):
            main_us, workers_us = phase.cpu_us_per_span()
            results.append((f"{phase.name}: acknowledged (durable)",
                            f"{phase.rate():,.0f} spans/s, queryable {phase.queryable_rate():,.0f} spans/s, "
                            f"ack p50 {phase.pct(0.5):.0f} ms / p99 "
                            f"{phase.pct(0.99):.0f} ms, {phase.refused} retryable refusals; CPU/span: server "
                            f"{main_us:.0f} us (merges {phase.merge_cpu_s / max(1, phase.spans) * 1e6:.0f}), "
                            f"decode workers {workers_us:.0f} us"))
        main_us, _ = lone.cpu_us_per_span()
        results.append((f"{lone.name}: acknowledged",
                        f"{lone.requests / lone.seconds:,.0f} exports/s ({lone.rate():,.0f} spans/s), ack p50 "
                        f"{lone.pct(0.5):.1f} ms / p99 {lone.pct(0.99):.1f} ms; server CPU "
                        f"{main_us * small.counts[0] / 1000:.1f} ms per export"))
        results += [
            ("rows in ClickHouse vs spans acknowledged",
             f"{stored['rows']:,} vs {acked:,} ({'ok' if stored['rows'] >= acked else 'MISSING SPANS'})"),
            ("bytes on disk per span (before merges settle)",
             f"{(stored['bytes'] + stored['content_bytes']) / max(1, stored['rows']):.0f} B: span row "
             f"{stored['bytes'] / max(1, stored['rows']):.0f} B + prompt and completion text (message_content) "
             f"{stored['content_bytes'] / max(1, stored['rows']):.0f} B"),
            (f"trace lookup over HTTP, {stored['rows'] / 1e6:.1f}M spans stored",
             f"p50 {look.pct(0.5):.1f} ms / p99 {look.pct(0.99):.1f} ms ({look.refused} wrong)"),
            ("server peak RSS during ingest", f"{rss:,.0f} MB"),
        ]
        if overload is not None:
            body_mb = sum(map(len, large.bodies)) / len(large.bodies) / 2**20
            results.append((f"overload: {args.overload_senders} senders of {body_mb:.0f} MB bodies",
                            f"{overload.rate():,.0f} spans/s acknowledged, {overload.refused} retryable refusals; "
                            f"server peak RSS {rss:,.0f} MB before, {overload_rss:,.0f} MB after"))
        if args.lookup_spans:
            generated = chdb_task("generate", str(data), DATABASE, str(args.lookup_spans))
            server = Server(data, workdir)
            try:
                synthetic_ids = [_synthetic_trace_id(n) for n in random.Random(3).sample(
                    range(args.lookup_spans // SPANS_PER_TRACE), 500)]
                lookups(server.ports["api"], synthetic_ids, 20, None)  # warm the caches
                big = lookups(server.ports["api"], synthetic_ids, 500, SPANS_PER_TRACE)
            finally:
                server.stop()
            total = chdb_task("disk", str(data), DATABASE)
            results += [
                (f"synthetic load of {args.lookup_spans / 1e6:.0f}M spans inside ClickHouse",
                 f"{generated['seconds']:.0f} s"),
                (f"trace lookup over HTTP, {total['rows'] / 1e6:.1f}M spans stored",
                 f"p50 {big.pct(0.5):.1f} ms / p99 {big.pct(0.99):.1f} ms ({big.refused} wrong)"),
            ]
    width = max(len(name) for name, _ in results)
    print()
    for name, value in results:
        print(f"{name:<{width}}  {value}")


def compare_flush_intervals(args: argparse.Namespace, load: Load) -> None:
    """Saturation (HTTP, gRPC) and paced HTTP on a fresh server per flush interval, one table."""
    rows: list[tuple[int, Phase, Phase, Phase]] = []
    pace_rps = args.paced_spans_per_s / load.counts[0] if args.paced_spans_per_s else None
    for _ in range(args.rounds):
        for interval in args.flush_interval_ms:
            with tempfile.TemporaryDirectory(prefix="spanhouse-bench-") as tmp:
                server = Server(Path(tmp) / "data", Path(tmp), {"SPANHOUSE_FLUSH_INTERVAL_MS": str(interval)})
                try:
                    http = server.run(http_load(server.ports["otlp_http"], load, args.seconds, args.senders))
                    grpc_phase = server.run(grpc_load(server.ports["otlp_grpc"], load, args.seconds, args.senders))
                    pace_rps = pace_rps or http.requests / http.seconds / 2
                    paced = server.run(http_load(server.ports["otlp_http"], load, args.seconds, args.senders,
                                                 pace_rps=pace_rps))
                finally:
                    server.stop()
            rows.append((interval, http, grpc_phase, paced))
            print(f"  flush interval {interval} ms: done", flush=True)
    assert pace_rps is not None
    print(f"\nCPU/span = server process + decode workers, in us; paced at {pace_rps * load.counts[0]:,.0f} spans/s")
    print("spans/s: acknowledged; queryable/s: until all of them could be queried")
    print(f"{'interval':>8}  {'phase':<16}{'spans/s':>9}{'queryable/s':>12}{'p50 ms':>8}{'p99 ms':>8}{'server':>8}"
          f"{'workers':>9}{'refused':>8}")
    for interval, *phases in rows:
        for phase in phases:
            main_us, workers_us = phase.cpu_us_per_span()
            print(f"{interval:>8}  {phase.name:<16}{phase.rate():>9,.0f}{phase.queryable_rate():>12,.0f}"
                  f"{phase.pct(0.5):>8.0f}{phase.pct(0.99):>8.0f}{main_us:>8.0f}{workers_us:>9.0f}{phase.refused:>8}")


def _int_list(text: str) -> list[int]:
    return [int(part) for part in text.split(",") if part]


def _synthetic_trace_id(trace_number: int) -> str:
    import hashlib

    return hashlib.md5(f"trace-{trace_number}".encode()).hexdigest()


if __name__ == "__main__":
    main()
