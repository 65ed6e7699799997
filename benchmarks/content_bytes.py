"""`make bench`: bytes on disk per LLM span of 20-turn conversations, with prompt and completion
text deduplicated into message_content (SPANHOUSE_CONTENT_DEDUP=true, the default) and inline in
the span row (false).

Each call of a conversation is exported as the OpenTelemetry GenAI instrumentation does it: one
LLM span whose `gen_ai.input.messages` holds the whole history so far and
`gen_ai.output.messages` the answer. Both layouts get the same requests through the real
decode -> normalise -> encode path and Native inserts, then OPTIMIZE FINAL (so duplicate message
rows have merged away); sizes are the active parts' bytes on disk.
"""

from __future__ import annotations

import argparse
import random
import tempfile

import orjson

from benchmarks.stores import fresh_database, table_bytes
from spanhouse.app import INSERT_COLUMNS, normalisation
from spanhouse.receive.ingest import CONTENT_COLUMNS, CONTENT_TABLE, encode_request
from spanhouse.settings import Settings
from spanhouse.store.client import connect
from spanhouse.store.native import NativeEncoder, TableLayout
from tests.factories import export_request, llm_span

WORDS = ("the", "order", "refund", "shipping", "account", "invoice", "please", "delivery", "customer", "status",
         "policy", "tracking", "number", "days", "support", "agent", "update", "address", "payment", "issue")


def _text(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(words))


def _message(role: str, text: str) -> dict[str, object]:
    return {"role": role, "parts": [{"type": "text", "content": text}]}


def conversation_requests(rng: random.Random, conversation: int, turns: int) -> list[bytes]:
    """One export request per LLM call of a `turns`-turn conversation (history re-sent each time)."""
    history = [_message("system", _text(rng, 150))]
    requests = []
    for turn in range(turns):
        history.append(_message("user", _text(rng, rng.randint(20, 80))))
        answer = [_message("assistant", _text(rng, rng.randint(60, 250)))]
        span = llm_span(trace=conversation * 1000 + turn + 1, span=2, parent=None, attributes={
            "gen_ai.conversation.id": f"conversation-{conversation}",
            "gen_ai.input.messages": orjson.dumps(history).decode(),
            "gen_ai.output.messages": orjson.dumps(answer).decode()})
        requests.append(export_request(span).SerializeToString())
        history += answer
    return requests


def measure(dedup: bool, requests: list[bytes], dsn: str) -> dict[str, int]:
    database = "content_dedup" if dedup else "content_inline"
    client = fresh_database(dsn, database)
    spans = TableLayout.read(client, "otel_traces", INSERT_COLUMNS)
    content = TableLayout.read(client, CONTENT_TABLE, CONTENT_COLUMNS)
    # The factories' spans are dated 2025-11-22: with the default retention they would be refused as too old.
    options = normalisation(Settings(content_dedup=dedup, retention_raw_days=0))
    span_encoder, content_encoder = NativeEncoder(spans), NativeEncoder(content)
    for body in requests:
        encoded = encode_request(span_encoder, options, "traces", body, "protobuf", "default",
                                 content_encoder=content_encoder)
        if encoded.content is not None:
            client.raw_insert(CONTENT_TABLE, list(CONTENT_COLUMNS), insert_block=encoded.content.data, fmt="Native")
        client.raw_insert("otel_traces", list(spans.names), insert_block=encoded.block.data, fmt="Native")
    stored = client.query("SELECT count() FROM otel_traces").result_rows[0][0]
    if stored != len(requests):
        raise SystemExit(f"content_bytes: {stored} of {len(requests)} spans were stored; the sizes would mean nothing")
    for table in ("otel_traces", CONTENT_TABLE):
        client.command("OPTIMIZE TABLE {table:Identifier} FINAL", parameters={"table": table})
    return table_bytes(client, ("otel_traces", CONTENT_TABLE))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--conversations", type=int, default=50)
    parser.add_argument("--turns", type=int, default=20)
    args = parser.parse_args(argv)
    rng = random.Random(11)
    requests = [body for n in range(args.conversations) for body in conversation_requests(rng, n, args.turns)]
    spans = len(requests)
    with tempfile.TemporaryDirectory(prefix="spanhouse-bench-") as data:
        dsn = f"chdb://{data}"
        print(f"content bytes: {args.conversations} conversations x {args.turns} turns = {spans} LLM spans, "
              f"{sum(map(len, requests)) / spans:,.0f} request bytes per span")
        results = {dedup: measure(dedup, requests, dsn) for dedup in (False, True)}
        connect(dsn).close()
    for dedup, sizes in results.items():
        total = sum(sizes.values())
        print(f"  content_dedup={str(dedup).lower():5}  otel_traces {sizes['otel_traces'] / spans:8,.0f} B/span  "
              f"message_content {sizes[CONTENT_TABLE] / spans:8,.0f} B/span  total {total / spans:8,.0f} B/span")
    inline, deduplicated = (sum(results[flag].values()) for flag in (False, True))
    print(f"  inline / deduplicated = {inline / deduplicated:.1f}x; otel_traces alone "
          f"{results[False]['otel_traces'] / results[True]['otel_traces']:.1f}x smaller to scan")


if __name__ == "__main__":
    main()
