"""The one path every export request takes, whichever transport and signal brought it.

bytes -> decode (protobuf or OTLP/JSON) -> normalise (spans) -> Native block -> the signal's
writer queue -> wait until durable. The CPU-bound first three steps are `encode_request`, a pure function of the
body, run on an `EncodePool` (worker processes by default, so ingest uses every core despite
the GIL; see `receive/pools.py`). The answer is given only when the writer has committed the
spans.
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Callable, Mapping
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import compress
from typing import Any, Literal, Protocol

import numpy as np
from google.protobuf.message import Message
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceResponse
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceResponse

from spanhouse.decode import otlp_json
from spanhouse.decode.logs import LOG_COLUMNS, decode_logs, parse_logs_protobuf
from spanhouse.decode.traces import (
    MAX_DATETIME,
    MAX_DATETIME_NS,
    SpanBatch,
    decode_spans,
    empty_batch,
    parse_protobuf,
)
from spanhouse.errors import StoreError, StoreUnavailable
from spanhouse.normalise.content import DEFAULT_POLICY, ContentPolicy
from spanhouse.normalise.logs import apply_content_policy
from spanhouse.normalise.nesting import model_calls, roll_up
from spanhouse.normalise.pricing import PriceTable
from spanhouse.normalise.spans import normalise_batch
from spanhouse.receive.admission import BodyBudget, HeldBody
from spanhouse.store.dedup import Keys, SpanDedup, first_occurrences, span_keys
from spanhouse.store.native import NativeBlock, NativeEncoder
from spanhouse.store.nesting import NestedCalls

Encoding = Literal["protobuf", "json"]
Signal = Literal["traces", "logs"]
SIGNALS: tuple[Signal, ...] = ("traces", "logs")
DAY_NS = 86_400 * 1_000_000_000


class SpanSink(Protocol):
    """Where encoded blocks go (store/writer.py's BatchWriter): the future completes once durable."""

    def submit(self, block: NativeBlock) -> Future[None]: ...

    def check_room(self) -> None: ...


@dataclass(frozen=True, slots=True)
class ExportOutcome:
    """What to tell the client: OTLP partial success when `rejected` > 0."""

    accepted: int
    rejected: int
    message: str


CONTENT_TABLE = "message_content"
CONTENT_COLUMNS = ("tenant", "hash", "content")


@dataclass(frozen=True, slots=True)
class EncodedRequest:
    block: NativeBlock
    outcome: ExportOutcome
    # rows for message_content (prompt and completion text by hash), written beside the spans
    content: NativeBlock | None = None
    # Dedup keys of the block's spans (a numpy array: compared by tests with .tolist()).
    keys: Keys = field(default_factory=lambda: span_keys((), ()), compare=False)
    # Keys of the block's model calls that carry usage, and keys of the parents of all its model
    # calls (normalise/nesting.py: how a parent stored in a later request is rolled up).
    model_calls: Keys = field(default_factory=lambda: span_keys((), ()), compare=False)
    model_parents: Keys = field(default_factory=lambda: span_keys((), ()), compare=False)


@dataclass(frozen=True, slots=True)
class Normalisation:
    """How spans are normalised: content policy and price table, built once from the settings."""

    policy: ContentPolicy = DEFAULT_POLICY
    prices: PriceTable | None = None
    # Days the raw tables keep a row (retention_raw_days; 0 = forever). A row that starts before the
    # window is refused with a partial success: stored, its day's partition would be dropped by the
    # next TTL pass, and the client would never know.
    retention_days: int = 0
    # The longest TTL, in days, of any table a row feeds (raw tables and rollups; 0 = none). TTLs
    # count in DateTime seconds, which end at 2106-02-07: a row whose expiry would fall after that
    # wraps to 1970 and is expired at once, so such a row is refused too.
    ttl_horizon_days: int = 0


NO_NORMALISATION_OPTIONS = Normalisation()


class EncodePool(Protocol):
    async def encode(self, signal: Signal, body: bytes, encoding: Encoding, tenant: str,
                     exclude: Keys | None = None, rolled_up: Keys | None = None) -> EncodedRequest: ...


def export_response(signal: Signal, outcome: ExportOutcome) -> Message:
    """The OTLP Export response for `outcome`, with partial_success when records were rejected."""
    if signal == "traces":
        traces = ExportTraceServiceResponse()
        if outcome.rejected:
            traces.partial_success.rejected_spans = outcome.rejected
            traces.partial_success.error_message = outcome.message
        return traces
    logs = ExportLogsServiceResponse()
    if outcome.rejected:
        logs.partial_success.rejected_log_records = outcome.rejected
        logs.partial_success.error_message = outcome.message
    return logs


def decode_request(body: bytes, encoding: Encoding, tenant: str,
                   normalisation: Normalisation = NO_NORMALISATION_OPTIONS) -> SpanBatch:
    """Bytes of an ExportTraceServiceRequest -> a normalised batch (pure; raises DecodeError)."""
    batch = empty_batch()
    if encoding == "json":
        request, problems = otlp_json.parse_traces(body)
        for problem in problems:
            batch.reject(problem)
    else:
        request = parse_protobuf(body)
    decode_spans(request, tenant, batch)
    return normalise_batch(batch, normalisation.policy, prices=normalisation.prices)


def decode_logs_request(body: bytes, encoding: Encoding, tenant: str,
                        normalisation: Normalisation = NO_NORMALISATION_OPTIONS) -> SpanBatch:
    """Bytes of an ExportLogsServiceRequest -> a batch of `otel_logs` columns (pure; raises DecodeError)."""
    batch = empty_batch(LOG_COLUMNS, "log record")
    if encoding == "json":
        request, problems = otlp_json.parse_logs(body)
        for problem in problems:
            batch.reject(problem)
    else:
        request = parse_logs_protobuf(body)
    return apply_content_policy(decode_logs(request, tenant, time.time_ns(), batch), normalisation.policy)


DECODERS: Mapping[Signal, Callable[[bytes, Encoding, str, Normalisation], SpanBatch]] = {
    "traces": decode_request,
    "logs": decode_logs_request,
}


def encode_request(encoder: NativeEncoder, normalisation: Normalisation, signal: Signal, body: bytes,
                   encoding: Encoding, tenant: str, exclude: Keys | None = None,
                   content_encoder: NativeEncoder | None = None, rolled_up: Keys | None = None) -> EncodedRequest:
    """The signal's decoder, then the batch's columns as one Native block ready for the writer.

    Spans repeated within the request are kept once; spans whose key is in `exclude` (copies of
    spans already stored or being stored) are left out of the block but still count as accepted.
    Their text still goes into the content block: its first write may have been the part that failed.
    Model calls whose key is in `rolled_up` (parents of model calls stored earlier) get their usage
    marked as a roll-up (normalise/nesting.py).
    """
    batch = DECODERS[signal](body, encoding, tenant, normalisation)
    if normalisation.retention_days or normalisation.ttl_horizon_days:
        refuse_unkeepable(batch, normalisation.retention_days, normalisation.ttl_horizon_days, time.time_ns())
    if signal != "traces":
        block, _ = encode_storable(encoder, batch, batch.columns)
        return EncodedRequest(block, ExportOutcome(batch.count, batch.rejected, batch.error_message()))
    content = None
    if batch.content:
        if content_encoder is None:
            raise RuntimeError("content deduplication is on but there is no message_content encoder")
        content = content_encoder.encode({"tenant": [tenant] * len(batch.content), "hash": list(batch.content),
                                          "content": list(batch.content.values())})
    columns = batch.columns
    keys = span_keys(columns["TraceId"], columns["SpanId"])
    if rolled_up is not None and len(rolled_up):
        for index in np.flatnonzero(np.isin(keys, rolled_up)).tolist():
            roll_up(columns, index)
    keep = first_occurrences(keys)
    if exclude is not None and len(exclude):
        keep &= ~np.isin(keys, exclude)
    if not keep.all():
        columns = batch.columns = {name: list(compress(values, keep)) for name, values in columns.items()}
        keys = keys[keep]
    block, stored = encode_storable(encoder, batch, columns)
    if stored is not None:
        columns = {name: list(compress(values, stored)) for name, values in columns.items()}
        keys = keys[np.array(stored, dtype=bool)]
    carrying, calls = model_calls(columns)
    traces, parents = columns["TraceId"], columns["ParentSpanId"]
    with_parent = [index for index in calls if parents[index]]
    parent_keys = span_keys([traces[index] for index in with_parent], [parents[index] for index in with_parent])
    outcome = ExportOutcome(batch.count, batch.rejected, batch.error_message())
    return EncodedRequest(block, outcome, content, keys, keys[carrying], parent_keys)


def refuse_unkeepable(batch: SpanBatch, retention_days: int, horizon_days: int, now_ns: int) -> None:
    """Reject the rows of `batch` the store would delete at once, naming them: those that start before
    the retention window, and those too close to 2106 for a TTL of `horizon_days` to count."""
    oldest_ns = now_ns - retention_days * DAY_NS if retention_days else 0
    latest_ns = MAX_DATETIME_NS - horizon_days * DAY_NS
    starts = batch.columns["Timestamp"]
    kept = [oldest_ns <= start <= latest_ns for start in starts]
    if all(kept):
        return
    for index, keep in enumerate(kept):
        if keep:
            continue
        named = _row_name(batch.unit, batch.columns, index)
        started = datetime.fromtimestamp(starts[index] // 1_000_000_000, UTC)
        # A log record has no id, so its name is already its time: saying when it starts would repeat it.
        when = f"{named} starts {started:%Y-%m-%dT%H:%M:%SZ}," if batch.unit == "span" else f"{named} is"
        if starts[index] < oldest_ns:
            batch.reject(f"{when} before the {retention_days}-day retention window (SPANHOUSE_RETENTION_RAW_DAYS): "
                         "it would be deleted at once")
        else:
            batch.reject(f"{when} within {horizon_days} days (the longest retention) of {MAX_DATETIME}, past which "
                         "the store's TTLs cannot count: it would be deleted at once")
    batch.count -= kept.count(False)
    batch.columns = {name: list(compress(values, kept)) for name, values in batch.columns.items()}


def encode_storable(encoder: NativeEncoder, batch: SpanBatch,
                    columns: dict[str, list[Any]]) -> tuple[NativeBlock, list[bool] | None]:
    """`columns` as one Native block, leaving out the rows ClickHouse cannot take.

    Decoding and normalising check every value they write, so this never happens by design; when a
    value still does not fit its column (an integer out of its type's range), the rows that cannot
    be encoded are rejected in `batch` (an OTLP partial success naming them) and the others are
    stored, instead of the whole request failing. Returns the block and, when rows were left out,
    which rows it holds.
    """
    try:
        return encoder.encode(columns), None
    except StoreError as whole:
        lengths = {len(values) for values in columns.values()}
        if len(lengths) != 1:
            raise whole  # the columns themselves are wrong, not a row
        rows = lengths.pop()
        problems = [_row_problem(encoder, {name: values[index:index + 1] for name, values in columns.items()})
                    for index in range(rows)]
        if not any(problems):
            raise whole  # no row alone is at fault
        for index, problem in enumerate(problems):
            if problem:
                batch.reject(f"{_row_name(batch.unit, columns, index)} cannot be stored: {problem}")
        stored = [not problem for problem in problems]
        batch.count -= stored.count(False)
        return encoder.encode({name: list(compress(values, stored)) for name, values in columns.items()}), stored


def _row_name(unit: str, columns: dict[str, list[Any]], index: int) -> str:
    """How a rejection names a row: a span by its id, a log record (which has none) by its time."""
    if unit == "span":
        return f"{unit} {columns['SpanId'][index]}"
    at = datetime.fromtimestamp(columns["Timestamp"][index] // 1_000_000_000, UTC)
    return f"{unit} at {at:%Y-%m-%dT%H:%M:%SZ}"


def _row_problem(encoder: NativeEncoder, row: dict[str, list[Any]]) -> str:
    try:
        encoder.encode(row)
    except StoreError as exc:
        return str(exc)
    return ""


class Ingest:
    def __init__(self, sinks: Mapping[Signal, SpanSink], pool: EncodePool, *, write_timeout_s: float,
                 dedup: SpanDedup | None = None, content_sink: SpanSink | None = None,
                 nesting: NestedCalls | None = None, budget: BodyBudget | None = None) -> None:
        """`budget` bounds the bytes of bodies held at once; without one, only the writers' queues bound memory."""
        self._sinks = sinks
        self._budget = budget if budget is not None else BodyBudget(sys.maxsize)
        self._nesting = nesting
        self._content_sink = content_sink
        self._pool = pool
        self._timeout = write_timeout_s
        self._dedup = dedup

    def admit(self, signal: Signal) -> HeldBody:
        """Room for one export's body, to hold while it is read and stored (`with ingest.admit(...) as held`).

        Raises:
            Overloaded: the signal's writer queue is full (for traces, also the message_content writer's):
                refused before its body is read or decoded.
        """
        self._sinks[signal].check_room()
        if signal == "traces" and self._content_sink is not None:  # only spans carry message text
            self._content_sink.check_room()
        return self._budget.hold()

    async def export(self, signal: Signal, body: bytes, encoding: Encoding, tenant: str) -> ExportOutcome:
        """Store the spans (or log records) of one request and return once they are durable.

        Raises:
            DecodeError: the body cannot be decoded at all.
            Overloaded: the writer queue is full, or a decode worker had to be restarted (retryable).
            StoreUnavailable: the store failed or was too slow (retryable).
            StoreError: the store refused the data.
        """
        encoded = await self._pool.encode(signal, body, encoding, tenant)
        outcome = encoded.outcome
        waits: set[Future[None]] = set()
        dedup = self._dedup if signal == "traces" else None
        nesting = self._nesting if signal == "traces" else None
        # Check, then submit and claim with no await in between, so two copies racing in
        # concurrent requests cannot both be written. Re-encoding awaits: check again after.
        # The same re-encode rolls up parents of model calls an earlier request carried.
        excluded = rolled = encoded.keys[:0]
        while dedup is not None or nesting is not None:
            copies = dedup.check(tenant, encoded.keys) if dedup is not None else None
            parents = nesting.parents(tenant, encoded.model_calls) if nesting is not None else None
            if not (copies is not None and copies.copies.any()) and not (parents is not None and parents.any()):
                break
            if copies is not None:
                waits |= copies.pending
                excluded = np.concatenate([excluded, encoded.keys[copies.copies]])
            if parents is not None:
                rolled = np.concatenate([rolled, encoded.model_calls[parents]])
            encoded = await self._pool.encode(signal, body, encoding, tenant, exclude=excluded,
                                              rolled_up=rolled if len(rolled) else None)
        if nesting is not None:
            nesting.remember(tenant, encoded.model_parents)
        text_written = None
        if encoded.content is not None:
            if self._content_sink is None:
                raise RuntimeError("spans reference message_content but no writer stores it")
            text_written = self._content_sink.submit(encoded.content)
        future = self._sinks[signal].submit(encoded.block)
        if dedup is not None and len(encoded.keys):
            dedup.claim(tenant, encoded.keys, future)
        await self._durable(future)
        if text_written is not None:
            # Written beside the spans, not before them: a span briefly visible without its
            # text beats two inserts in a row on every export. A failed text write fails the
            # export (retryable); the retry re-sends the text even though its spans are stored.
            await self._durable(text_written)
        # Copies left out of this request are acknowledged once their first write is durable;
        # if it failed, its error (retryable when the store was down) is this request's too.
        for earlier in waits:
            await self._durable(earlier)
        return outcome

    async def _durable(self, future: Future[None]) -> None:
        try:
            # shield: a client that gives up must not cancel a write other requests share.
            await asyncio.wait_for(asyncio.shield(asyncio.wrap_future(future)), self._timeout)
        except TimeoutError as exc:
            raise StoreUnavailable(f"spans were not durable within {self._timeout:.0f}s") from exc
