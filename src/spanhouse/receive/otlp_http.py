"""OTLP/HTTP receiver: `POST /v1/traces` and `/v1/logs`, protobuf or JSON, optionally compressed.

Status codes follow the OTLP/HTTP spec: 200 (with `partial_success` when some spans or log
records were rejected), 400 undecodable body, 408 body not received within the body timeout,
413 body too large (checked while reading and again while
decompressing, so a gzip or zstd bomb is stopped at the limit), 415 other media types or encodings,
429 / 503 with `Retry-After` when overloaded or the store is down; 401 / 403 for a missing,
unknown or read-only API key; 404 / 405 for other paths and methods, 500 for a bug. Error bodies
are a `google.rpc.Status` in the request's encoding (JSON when it is neither OTLP encoding).
Compressed bodies (gzip, deflate, zstd) are read as `content_encoding.py` describes.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable

import orjson
from google.protobuf import json_format
from google.rpc import status_pb2
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import Route

from spanhouse.auth import AuthError
from spanhouse.errors import DecodeError, Overloaded, StoreError, StoreUnavailable
from spanhouse.receive.admission import HeldBody
from spanhouse.receive.content_encoding import ENCODINGS, BodyTooLarge, Inflater
from spanhouse.receive.ingest import Encoding, Ingest, Signal, export_response

logger = logging.getLogger(__name__)

MEDIA_TYPES: dict[str, Encoding] = {"application/x-protobuf": "protobuf", "application/json": "json"}
_CONTENT_TYPE = {"protobuf": "application/x-protobuf", "json": "application/json"}
# google.rpc.Code values used in Status bodies.
_INVALID_ARGUMENT, _RESOURCE_EXHAUSTED, _UNAVAILABLE, _INTERNAL, _UNIMPLEMENTED = 3, 8, 14, 13, 12
_NOT_FOUND, _DEADLINE_EXCEEDED = 5, 4
_PERMISSION_DENIED, _UNAUTHENTICATED = 7, 16
STORE_RETRY_AFTER_S = 5

TenantResolver = Callable[[Request], str]


class _BadMedia(Exception):
    pass


class BodyTimeout(Exception):
    """The body did not arrive by its deadline."""


def _status(code: int, message: str, encoding: Encoding, http_status: int,
            headers: dict[str, str] | None = None) -> Response:
    status = status_pb2.Status(code=code, message=message)
    body = (status.SerializeToString() if encoding == "protobuf"
            else orjson.dumps(json_format.MessageToDict(status)))
    return Response(body, status_code=http_status, media_type=_CONTENT_TYPE[encoding], headers=headers)


def encoding_of(request: Request) -> Encoding | None:
    """The OTLP encoding named by the request's Content-Type, None for any other media type."""
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    return MEDIA_TYPES.get(media)


async def read_body(request: Request, max_bytes: int, held: HeldBody, deadline: float) -> bytes:
    """The request body, decompressed when so encoded, never holding more than `max_bytes` of it.

    What it keeps is counted in `held`; when that is refused (too many bytes in flight), the rest
    of the body is read (until `deadline`) and dropped before Overloaded is raised.

    Args:
        deadline: the event loop's time by which the whole body must have arrived (BodyTimeout past it).
    """
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > max_bytes:
        raise BodyTooLarge(f"request body of {declared} bytes is over the limit of {max_bytes}")
    encoding = request.headers.get("content-encoding", "identity").strip().lower()
    if encoding not in ("identity", "", *ENCODINGS):
        raise _BadMedia(f"Content-Encoding {encoding!r} is not supported; use {', '.join(ENCODINGS)} or none")
    compressed = Inflater(encoding, max_bytes) if encoding in ENCODINGS else None
    received = 0
    parts: list[bytes] = []
    chunks = request.stream()
    refused: Overloaded | None = None
    try:
        async with asyncio.timeout_at(deadline):
            async for chunk in chunks:
                received += len(chunk)
                if received > max_bytes:
                    raise BodyTooLarge(f"request body is over the limit of {max_bytes} bytes")
                part = chunk if compressed is None else compressed.feed(chunk)
                try:
                    held.add(len(part))
                except Overloaded as exc:
                    refused = exc
                    break
                parts.append(part)
    except TimeoutError:
        raise BodyTimeout(f"the request body was not received within the body timeout ({received} bytes had "
                          f"arrived; SPANHOUSE_BODY_TIMEOUT_S)") from None
    if refused is not None:
        parts.clear()
        await discard_rest(chunks, received, max_bytes, deadline)
        raise refused
    if compressed is not None:
        compressed.finish()
    return b"".join(parts)


async def discard_rest(chunks: AsyncIterator[bytes], received: int, max_bytes: int, deadline: float) -> None:
    """Read and drop the rest of a refused body, so the client reads its answer, not a reset socket.

    Past `max_bytes` or `deadline` it is no longer worth reading: the answer goes out as it is and
    the server closes the connection after it.
    """
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout_at(deadline):
            async for chunk in chunks:
                received += len(chunk)
                if received > max_bytes:
                    return


def create_app(ingest: Ingest, tenant_of: TenantResolver, max_request_bytes: int,
               body_timeout_s: float = 60.0) -> Starlette:
    """The OTLP/HTTP ASGI app.

    Args:
        ingest: the shared export path.
        tenant_of: which tenant a request's spans belong to; raises AuthError (401 / 403).
        max_request_bytes: limit on the body, compressed and decompressed.
        body_timeout_s: time from the headers to the body's last byte (408 past it).
    """

    async def export(signal: Signal, request: Request) -> Response:
        encoding = encoding_of(request)
        if encoding is None:
            media = request.headers.get("content-type", "").split(";")[0].strip().lower()
            return _status(_INVALID_ARGUMENT,
                           f"Content-Type {media or '(none)'!r} is not supported; use application/x-protobuf "
                           "or application/json", "json", 415)
        deadline = asyncio.get_running_loop().time() + body_timeout_s
        try:
            tenant = tenant_of(request)
            try:
                held = ingest.admit(signal)
            except Overloaded:
                await discard_rest(request.stream(), 0, max_request_bytes, deadline)
                raise
            with held:
                body = await read_body(request, max_request_bytes, held, deadline)
                outcome = await ingest.export(signal, body, encoding, tenant)
        except ClientDisconnect:
            # The client hung up mid-body: nothing was decoded or stored, and no one reads the answer.
            logger.info("%s export abandoned: the client disconnected before sending the whole body",
                        signal)
            return _status(_INVALID_ARGUMENT, "client disconnected before the body was complete", encoding, 400)
        except AuthError as exc:
            code, headers = (_UNAUTHENTICATED, {"WWW-Authenticate": "Bearer"}) if exc.status == 401 \
                else (_PERMISSION_DENIED, None)
            return _status(code, str(exc), encoding, exc.status, headers)
        except _BadMedia as exc:
            return _status(_INVALID_ARGUMENT, str(exc), encoding, 415)
        except BodyTooLarge as exc:
            return _status(_INVALID_ARGUMENT, str(exc), encoding, 413)
        except BodyTimeout as exc:
            logger.info("%s export dropped: %s", signal, exc)
            return _status(_DEADLINE_EXCEEDED, str(exc), encoding, 408, {"Connection": "close"})
        except DecodeError as exc:
            return _status(_INVALID_ARGUMENT, str(exc), encoding, 400)
        except Overloaded as exc:
            retry = str(max(1, round(exc.retry_after_s)))
            return _status(_RESOURCE_EXHAUSTED, str(exc), encoding, 429, {"Retry-After": retry})
        except StoreUnavailable as exc:
            logger.warning("export failed, store unavailable: %s", exc)
            return _status(_UNAVAILABLE, exc.public, encoding, 503, {"Retry-After": str(STORE_RETRY_AFTER_S)})
        except StoreError as exc:
            logger.error("export failed: %s", exc)
            return _status(_INTERNAL, exc.public, encoding, 500)
        response = export_response(signal, outcome)
        if encoding == "protobuf":
            return Response(response.SerializeToString(), media_type=_CONTENT_TYPE["protobuf"])
        return Response(orjson.dumps(json_format.MessageToDict(response)), media_type=_CONTENT_TYPE["json"])

    async def export_traces(request: Request) -> Response:
        return await export("traces", request)

    async def export_logs(request: Request) -> Response:
        return await export("logs", request)

    async def not_implemented(request: Request) -> Response:
        return _status(_UNIMPLEMENTED, f"{request.url.path}: spanhouse stores traces and logs, not metrics",
                       encoding_of(request) or "json", 404)

    async def http_error(request: Request, exc: Exception) -> Response:
        # Starlette's own 404 (no route) and 405 (wrong method) would be plain text.
        if not isinstance(exc, HTTPException):
            return await server_error(request, exc)
        code = {404: _NOT_FOUND, 405: _UNIMPLEMENTED}.get(exc.status_code, _INVALID_ARGUMENT)
        return _status(code, f"{request.method} {request.url.path}: {exc.detail}", encoding_of(request) or "json",
                       exc.status_code, dict(exc.headers or {}))

    async def server_error(request: Request, exc: Exception) -> Response:
        # Starlette still logs the traceback and re-raises after sending this.
        return _status(_INTERNAL, "internal error", encoding_of(request) or "json", 500)

    return Starlette(
        routes=[
            Route("/v1/traces", export_traces, methods=["POST"]),
            Route("/v1/logs", export_logs, methods=["POST"]),
            Route("/v1/metrics", not_implemented, methods=["POST"]),
        ],
        exception_handlers={HTTPException: http_error, Exception: server_error},
    )
