"""The one path every export request takes, whichever transport brought it.

bytes -> decode (protobuf or OTLP/JSON) -> normalise -> writer queue -> wait until durable.
Decoding runs on a small thread pool so a large request does not stall the event loop that
also serves the query API; the answer is given only when the writer has committed the spans.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import anyio
import anyio.to_thread

from spanhouse.decode import otlp_json
from spanhouse.decode.traces import SpanBatch, decode_spans, empty_batch, parse_protobuf
from spanhouse.errors import StoreUnavailable
from spanhouse.normalise.spans import normalise_batch
from spanhouse.store.writer import SpanSink

Encoding = Literal["protobuf", "json"]


@dataclass(frozen=True, slots=True)
class ExportOutcome:
    """What to tell the client: OTLP partial success when `rejected` > 0."""

    accepted: int
    rejected: int
    message: str


def decode_request(body: bytes, encoding: Encoding, tenant: str) -> SpanBatch:
    """Bytes of an ExportTraceServiceRequest -> a normalised batch (pure; raises DecodeError)."""
    batch = empty_batch()
    if encoding == "json":
        request, problems = otlp_json.parse_traces(body)
        for problem in problems:
            batch.reject(problem)
    else:
        request = parse_protobuf(body)
    decode_spans(request, tenant, batch)
    return normalise_batch(batch)


class TraceIngest:
    def __init__(
        self,
        sink: SpanSink,
        *,
        write_timeout_s: float,
        decode: Callable[[bytes, Encoding, str], SpanBatch] = decode_request,
        decode_threads: int = 4,
    ) -> None:
        self._sink = sink
        self._timeout = write_timeout_s
        self._decode = decode
        self._limiter = anyio.CapacityLimiter(decode_threads)

    async def export(self, body: bytes, encoding: Encoding, tenant: str) -> ExportOutcome:
        """Store the spans of one request and return once they are durable.

        Raises:
            DecodeError: the body cannot be decoded at all.
            Overloaded: the writer queue is full (retryable).
            StoreUnavailable: the store failed or was too slow (retryable).
            StoreError: the store refused the data.
        """
        batch = await anyio.to_thread.run_sync(self._decode, body, encoding, tenant, limiter=self._limiter)
        future = self._sink.submit(batch)
        try:
            # shield: a client that gives up must not cancel a write other requests share.
            await asyncio.wait_for(asyncio.shield(asyncio.wrap_future(future)), self._timeout)
        except TimeoutError as exc:
            raise StoreUnavailable(f"spans were not durable within {self._timeout:.0f}s") from exc
        return ExportOutcome(batch.count, batch.rejected, batch.error_message())
