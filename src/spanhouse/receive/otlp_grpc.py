"""OTLP/gRPC receiver: `TraceService/Export` and `LogsService/Export` (opentelemetry.proto.collector.*.v1).

The handler takes the raw request bytes (no grpc-side deserializer) so an undecodable body is
answered INVALID_ARGUMENT, as OTLP asks, rather than grpc's generic INTERNAL. Overload is
RESOURCE_EXHAUSTED and a failing store UNAVAILABLE, both with a RetryInfo: as
`grpc-status-details-bin` (read by the Go collector and most SDKs) and as
`google.rpc.retryinfo-bin` (read by the Python SDK exporter).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import grpc
from google.protobuf import any_pb2, duration_pb2
from google.rpc import error_details_pb2, status_pb2

from spanhouse.auth import AuthError
from spanhouse.errors import DecodeError, Overloaded, StoreError, StoreUnavailable
from spanhouse.receive.ingest import Ingest, Signal, export_response

logger = logging.getLogger(__name__)

SERVICES: dict[Signal, str] = {
    "traces": "opentelemetry.proto.collector.trace.v1.TraceService",
    "logs": "opentelemetry.proto.collector.logs.v1.LogsService",
}
STORE_RETRY_AFTER_S = 5.0

Metadata = tuple[tuple[str, str | bytes], ...]
TenantResolver = Callable[[Metadata], str]


def retry_metadata(code: grpc.StatusCode, message: str, retry_after_s: float) -> Metadata:
    delay = duration_pb2.Duration()
    delay.FromNanoseconds(int(retry_after_s * 1e9))
    info = error_details_pb2.RetryInfo(retry_delay=delay)
    detail = any_pb2.Any()
    detail.Pack(info)
    status = status_pb2.Status(code=code.value[0], message=message, details=[detail])
    return (
        ("grpc-status-details-bin", status.SerializeToString()),
        ("google.rpc.retryinfo-bin", info.SerializeToString()),
    )


def service_handler(signal: Signal, ingest: Ingest, tenant_of: TenantResolver) -> grpc.GenericRpcHandler:
    """The Export method of the signal's OTLP collector service."""

    async def export(body: bytes, context: grpc.aio.ServicerContext) -> bytes:
        try:
            tenant = tenant_of(tuple(context.invocation_metadata() or ()))
            with ingest.admit(signal) as held:
                held.add(len(body))
                outcome = await ingest.export(signal, body, "protobuf", tenant)
        except AuthError as exc:
            code = grpc.StatusCode.UNAUTHENTICATED if exc.status == 401 else grpc.StatusCode.PERMISSION_DENIED
            await context.abort(code, str(exc))
        except DecodeError as exc:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(exc))
        except Overloaded as exc:
            code = grpc.StatusCode.RESOURCE_EXHAUSTED
            await context.abort(code, str(exc), trailing_metadata=retry_metadata(code, str(exc), exc.retry_after_s))
        except StoreUnavailable as exc:
            logger.warning("export failed, store unavailable: %s", exc)
            code = grpc.StatusCode.UNAVAILABLE
            await context.abort(code, exc.public,
                                trailing_metadata=retry_metadata(code, exc.public, STORE_RETRY_AFTER_S))
        except StoreError as exc:
            logger.error("export failed: %s", exc)
            await context.abort(grpc.StatusCode.INTERNAL, exc.public)
        serialized: bytes = export_response(signal, outcome).SerializeToString()
        return serialized

    return grpc.method_handlers_generic_handler(
        SERVICES[signal],
        {"Export": grpc.unary_unary_rpc_method_handler(export)},  # bytes in, bytes out
    )


def create_server(handlers: list[grpc.GenericRpcHandler], max_request_bytes: int) -> grpc.aio.Server:
    server = grpc.aio.server(
        options=[
            ("grpc.max_receive_message_length", max_request_bytes),
            ("grpc.max_send_message_length", 64 * 1024 * 1024),
            ("grpc.so_reuseport", 0),
        ],
    )
    for handler in handlers:
        server.add_generic_rpc_handlers((handler,))
    return server
