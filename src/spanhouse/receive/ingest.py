"""The one path every export request takes, whichever transport brought it.

bytes -> decode (protobuf or OTLP/JSON) -> normalise -> Native block -> writer queue -> wait
until durable. The CPU-bound first three steps are `encode_request`, a pure function of the
body, run on an `EncodePool` (worker processes by default, so ingest uses every core despite
the GIL; see `receive/pools.py`). The answer is given only when the writer has committed the
spans.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Literal, Protocol

from spanhouse.decode import otlp_json
from spanhouse.decode.traces import SpanBatch, decode_spans, empty_batch, parse_protobuf
from spanhouse.errors import StoreUnavailable
from spanhouse.normalise.spans import normalise_batch
from spanhouse.store.native import NativeBlock, NativeEncoder
from spanhouse.store.writer import SpanSink

Encoding = Literal["protobuf", "json"]


@dataclass(frozen=True, slots=True)
class ExportOutcome:
    """What to tell the client: OTLP partial success when `rejected` > 0."""

    accepted: int
    rejected: int
    message: str


@dataclass(frozen=True, slots=True)
class EncodedRequest:
    block: NativeBlock
    outcome: ExportOutcome


class EncodePool(Protocol):
    async def encode(self, body: bytes, encoding: Encoding, tenant: str) -> EncodedRequest: ...


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


def encode_request(encoder: NativeEncoder, body: bytes, encoding: Encoding, tenant: str) -> EncodedRequest:
    """`decode_request`, then the batch's columns as one Native block ready for the writer."""
    batch = decode_request(body, encoding, tenant)
    outcome = ExportOutcome(batch.count, batch.rejected, batch.error_message())
    return EncodedRequest(encoder.encode(batch.columns), outcome)


class TraceIngest:
    def __init__(self, sink: SpanSink, pool: EncodePool, *, write_timeout_s: float) -> None:
        self._sink = sink
        self._pool = pool
        self._timeout = write_timeout_s

    async def export(self, body: bytes, encoding: Encoding, tenant: str) -> ExportOutcome:
        """Store the spans of one request and return once they are durable.

        Raises:
            DecodeError: the body cannot be decoded at all.
            Overloaded: the writer queue is full, or a decode worker had to be restarted (retryable).
            StoreUnavailable: the store failed or was too slow (retryable).
            StoreError: the store refused the data.
        """
        encoded = await self._pool.encode(body, encoding, tenant)
        future = self._sink.submit(encoded.block)
        try:
            # shield: a client that gives up must not cancel a write other requests share.
            await asyncio.wait_for(asyncio.shield(asyncio.wrap_future(future)), self._timeout)
        except TimeoutError as exc:
            raise StoreUnavailable(f"spans were not durable within {self._timeout:.0f}s") from exc
        return encoded.outcome
