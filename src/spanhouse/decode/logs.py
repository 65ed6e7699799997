"""ExportLogsServiceRequest -> column lists for `otel_logs`, one walk over the request.

Columns and value spellings are those of the OpenTelemetry Collector's ClickHouse exporter
(`Body` as text, attribute Maps of strings), plus what keeps the record lossless: the tenant,
the observed time, the full flags, `EventName`, the OTLP type of a non-string body and of
non-string attributes, and dropped counts. GenAI instrumentations send prompts and
completions as such records (`gen_ai.user.message`, `gen_ai.choice`, ...), correlated to
their span by trace and span id.

A record may carry no trace context (ids empty), but ids of the wrong length are rejected and
reported, like spans, as are a time after 2106-02-07T06:28:15Z (the tables key and expire records
by a 32-bit DateTime) and a severity number outside the UInt8 column (the enum is an int32 on
the wire). A record without a timestamp takes its observed time, as the exporter does.
"""

from __future__ import annotations

from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest

from spanhouse.decode.attributes import flatten, render, values_only
from spanhouse.decode.traces import (
    MAX_DATETIME,
    MAX_DATETIME_NS,
    MAX_TIMESTAMP_NS,
    SpanBatch,
    empty_batch,
    parse_message,
    quote,
)

LOG_COLUMNS: tuple[str, ...] = (
    "Tenant",
    "Timestamp",
    "ObservedTimestamp",
    "TraceId",
    "SpanId",
    "TraceFlags",
    "SeverityText",
    "SeverityNumber",
    "ServiceName",
    "EventName",
    "Body",
    "BodyType",
    "ResourceSchemaUrl",
    "ResourceAttributes",
    "ResourceAttributeTypes",
    "ResourceDroppedAttributesCount",
    "ScopeSchemaUrl",
    "ScopeName",
    "ScopeVersion",
    "ScopeAttributes",
    "ScopeDroppedAttributesCount",
    "LogAttributes",
    "LogAttributeTypes",
    "DroppedAttributesCount",
)


# SeverityNumber is a UInt8 column; OTLP's enum (1..24) is an int32 on the wire.
MAX_SEVERITY_NUMBER = 255


def parse_logs_protobuf(body: bytes) -> ExportLogsServiceRequest:
    return parse_message(body, ExportLogsServiceRequest())


def _record_problem(trace_id: bytes, span_id: bytes, timestamp: int, observed: int, severity: int) -> str | None:
    if len(trace_id) not in (0, 16):
        return f"trace_id must be empty or 16 bytes, got {len(trace_id)} bytes"
    if len(span_id) not in (0, 8):
        return f"span_id must be empty or 8 bytes, got {len(span_id)} bytes"
    if timestamp > MAX_DATETIME_NS:
        return f"timestamp {timestamp} ns is after {MAX_DATETIME}, the latest time stored"
    if observed > MAX_TIMESTAMP_NS:
        return "observed_time_unix_nano is past the year 2262"
    if not 0 <= severity <= MAX_SEVERITY_NUMBER:
        return f"severity_number {severity} is outside 0..{MAX_SEVERITY_NUMBER} (OTLP defines 1 to 24)"
    return None


def decode_logs(request: ExportLogsServiceRequest, tenant: str, received_ns: int,
                batch: SpanBatch | None = None) -> SpanBatch:
    """Append every valid log record of `request` to `batch` (a new one when None) and return it.

    Args:
        received_ns: stored as the time of a record that has neither a time nor an observed time.
    """
    batch = batch or empty_batch(LOG_COLUMNS, "log record")
    c = batch.columns
    (
        tenant_c, ts_c, observed_c, trace_c, span_c, flags_c, sev_text_c, sev_num_c, service_c, event_c,
        body_c, body_type_c, rschema_c, rattr_c, rtype_c, rdrop_c, sschema_c, sname_c, sver_c, sattr_c,
        sdrop_c, attr_c, atype_c, drop_c,
    ) = (c[name] for name in LOG_COLUMNS)
    count = 0
    for resource_logs in request.resource_logs:
        resource = resource_logs.resource
        res_values, res_types = flatten(resource.attributes)
        service = res_values.get("service.name", "")
        for scope_logs in resource_logs.scope_logs:
            scope = scope_logs.scope
            scope_values = values_only(scope.attributes)
            for record in scope_logs.log_records:
                observed = record.observed_time_unix_nano
                timestamp = record.time_unix_nano or observed or received_ns
                trace_id, span_id = bytes(record.trace_id), bytes(record.span_id)
                problem = _record_problem(trace_id, span_id, timestamp, observed, record.severity_number)
                if problem is not None:
                    batch.reject(f"log record {quote(record.event_name or record.severity_text)}: {problem}")
                    continue
                count += 1
                values, types = flatten(record.attributes)
                body, body_type = render(record.body) if record.HasField("body") else ("", None)
                tenant_c.append(tenant)
                ts_c.append(timestamp)
                observed_c.append(observed)
                trace_c.append(trace_id.hex() if any(trace_id) else "")
                span_c.append(span_id.hex() if any(span_id) else "")
                flags_c.append(record.flags)
                sev_text_c.append(record.severity_text)
                sev_num_c.append(record.severity_number)
                service_c.append(service)
                event_c.append(record.event_name)
                body_c.append(body)
                body_type_c.append(body_type or "")
                rschema_c.append(resource_logs.schema_url)
                rattr_c.append(res_values)
                rtype_c.append(res_types)
                rdrop_c.append(resource.dropped_attributes_count)
                sschema_c.append(scope_logs.schema_url)
                sname_c.append(scope.name)
                sver_c.append(scope.version)
                sattr_c.append(scope_values)
                sdrop_c.append(scope.dropped_attributes_count)
                attr_c.append(values)
                atype_c.append(types)
                drop_c.append(record.dropped_attributes_count)
    batch.count += count
    return batch
