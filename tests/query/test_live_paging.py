"""Recent data over OTLP: the default windows, paging while inserts continue, and a conversation's
prompts and completions read back through the thread timeline."""

from __future__ import annotations

import itertools
import random
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from tests.conftest import RunningServer
from tests.docs.sent import sent_spans, turns_of
from tests.factories import export_request, llm_span, make_span
from tests.query.seed import settings_for
from tests.query.test_conversation_content import conversation
from tests.workload import Export, workload

MINUTE_NS = 60 * 10**9
NEW_TRACES = itertools.count(10**6 + 1)  # ids of traces sent while paging: above the workload's


def post(server: Any, *spans: Any) -> None:
    response = httpx.post(server.http_endpoint + "/v1/traces", content=export_request(*spans).SerializeToString(),
                          headers={"Content-Type": "application/x-protobuf"}, timeout=60)
    assert response.status_code == 200, response.text


def send_exports(server: Any, exports: list[Export]) -> None:
    """Eight at a time, as concurrent exporters would; the late roots after everything else."""
    def send(export: Export) -> None:
        response = httpx.post(server.http_endpoint + "/v1/traces", content=export.request.SerializeToString(),
                              headers={"Content-Type": "application/x-protobuf"}, timeout=60)
        assert response.status_code == 200, response.text

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(send, [e for e in exports if not e.late]))
        list(pool.map(send, [e for e in exports if e.late]))


class Inserter:
    """Sends new traces until stopped: half start inside [start, end), half after it."""

    def __init__(self, server: Any, start_ns: int, end_ns: int) -> None:
        self.server, self.start_ns, self.end_ns = server, start_ns, end_ns
        self.sent = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._rng = random.Random(5)

    def _run(self) -> None:
        # Paced: an acknowledgement takes a few ms, and the module's tests share one server whose
        # window must stay under the 1,000 traces one listing returns.
        while not self._stop.wait(0.05):
            trace = next(NEW_TRACES)
            inside = trace % 2 == 0
            at = self._rng.randrange(self.start_ns, self.end_ns) if inside else time.time_ns()
            post(self.server, make_span(trace, 1, None, "invoke_agent", at, 3 * 10**9),
                 llm_span(trace, 2, 1, start_ns=at + 10**6, duration_ns=10**9, attributes={
                     "gen_ai.usage.input_tokens": self._rng.randrange(10, 5000)}))
            self.sent += 1

    def wait_for_more_than(self, sent: int, timeout_s: float = 30.0) -> None:
        """Block until more than `sent` exports were acknowledged (at most `timeout_s`)."""
        deadline = time.monotonic() + timeout_s
        while self.sent <= sent and time.monotonic() < deadline:
            time.sleep(0.01)

    def __enter__(self) -> Inserter:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(60)


@pytest.fixture(scope="module")
def live(chdb_path: Path) -> Iterator[tuple[RunningServer, list[Any]]]:
    """A server holding ~150 turns started over the last 50 minutes (tenant `default`); the paging
    tests add more."""
    with RunningServer(settings_for(chdb_path, "live", default_tenant="default")) as server:
        exports = list(workload(seed=3, traces=150, days=1, start_ns=time.time_ns() - 50 * MINUTE_NS,
                                day_ns=40 * MINUTE_NS, tenants=("default",)))
        send_exports(server, exports)
        server.settled()
        yield server, turns_of(sent_spans(exports))


@pytest.mark.parametrize(("sort", "order"), [("start", "desc"), ("tokens", "asc"), ("cost", "desc"),
                                             ("duration", "asc")])
def test_paging_while_inserts_continue_lists_every_existing_trace_once(live, sort, order):
    server, turns = live
    first = httpx.get(f"{server.api}/api/v1/traces", params={"sort": sort, "order": order, "limit": 9},
                      timeout=60).json()
    start_ns, end_ns = _ns(first["start"]), _ns(first["end"])
    assert end_ns - start_ns == 3600 * 10**9  # the default window: the last hour
    everything = httpx.get(f"{server.api}/api/v1/traces", params={"start": start_ns, "end": end_ns, "limit": 1000},
                           timeout=60).json()
    existing = {row["trace_id"] for row in everything["traces"]}
    assert everything["next_cursor"] is None
    assert existing >= {turn.trace_id for turn in turns if start_ns <= turn.started < end_ns}
    assert len(existing) > 100
    seen = [row["trace_id"] for row in first["traces"]]
    cursor = first["next_cursor"]
    with Inserter(server, start_ns, end_ns) as inserter:
        while cursor:
            # each page is read after at least one more export was stored: however fast paging and
            # inserts are next to each other, the list changes between every two pages
            inserter.wait_for_more_than(inserter.sent)
            body = httpx.get(f"{server.api}/api/v1/traces", params={"sort": sort, "order": order, "limit": 9,
                                                                    "cursor": cursor}, timeout=60).json()
            assert (body["start"], body["end"]) == (first["start"], first["end"])
            seen += [row["trace_id"] for row in body["traces"]]
            cursor = body["next_cursor"]
    assert inserter.sent > 3
    assert len(seen) == len(set(seen)), "a trace was listed twice"
    assert existing <= set(seen), f"{len(existing - set(seen))} existing traces were skipped"
    assert all(int(trace_id, 16) > 10**6 for trace_id in set(seen) - existing)  # besides them, only new ones


def test_the_thread_timeline_reads_a_conversation_top_to_bottom_with_its_messages(server):
    """Each turn of the conversation is a trace whose root names the thread and whose LLM call
    re-sends the history: the thread timeline shows every message as sent, turn after turn."""
    calls = conversation(3)
    at = time.time_ns() - 10 * MINUTE_NS
    for n, (inputs, outputs) in enumerate(calls):
        trace = 100 + n
        start = at + n * MINUTE_NS
        post(server,
             make_span(trace, 1, None, "invoke_agent support", start, 2 * 10**9, attributes={
                 "gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": "support",
                 "gen_ai.conversation.id": "support/conv-7", "user.id": "u-1"}),
             llm_span(trace, 2, 1, start_ns=start + 10**6, duration_ns=10**9, attributes={
                 "gen_ai.input.messages": orjson.dumps(inputs).decode(),
                 "gen_ai.output.messages": orjson.dumps(outputs).decode()}))
    body = httpx.get(f"{server.api}/api/v1/threads/support/conv-7", timeout=60).json()  # ids may hold slashes
    assert httpx.get(f"{server.api}/api/v1/threads/support%2Fconv-7", timeout=60).json() == body
    assert (body["thread"]["traces"], body["thread"]["llm_calls"], body["thread"]["agent_name"],
            body["thread"]["user_id"], body["truncated"], body["next_cursor"]) == (3, 3, "support", "u-1", False, None)
    assert [turn["turn"] for turn in body["turns"]] == [1, 2, 3]
    for turn, (inputs, outputs) in zip(body["turns"], calls, strict=True):
        (llm,) = [span for span in turn["spans"] if span["name"] == "chat gpt-4o"]
        assert llm["ai"]["messages"] == {"input": inputs, "output": outputs, "source": "span"}
        assert llm["ai"]["thread_id"] == "support/conv-7" and turn["thread_id"] == "support/conv-7"
    listed = httpx.get(f"{server.api}/api/v1/threads", timeout=60).json()  # the default window: the last day
    assert [row["thread_id"] for row in listed["threads"]] == ["support/conv-7"]
    trace = httpx.get(f"{server.api}/api/v1/traces/{body['turns'][0]['trace_id']}", timeout=60).json()
    assert trace["thread"] == body["thread"]


def _ns(text: str) -> int:
    from datetime import datetime

    seconds = int(datetime.fromisoformat(text[:19] + "+00:00").timestamp())
    return seconds * 10**9 + int(text[20:29])
