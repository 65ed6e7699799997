"""`spanhouse.v1.QueryService` (proto/spanhouse/v1/query.proto) on the OTLP gRPC port.

Every RPC is answered by the HTTP query API's own handlers, called in process through ASGI
(no socket): the request's fields become the endpoint's query parameters, the metadata's API key
its header, and the JSON document comes back as a `google.protobuf.Struct`. So gRPC and HTTP
return the same data, with the same tenant scoping and validation, by construction. An error
answer becomes the status its HTTP status maps to (400 INVALID_ARGUMENT, 404 NOT_FOUND, ...; 500
and anything unmapped INTERNAL) with the answer's message, which for an unexpected error names an
incident and nothing of the exception (api.py); an exception escaping the call is the same.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote, urlencode

import grpc
import orjson
from google.protobuf import json_format, struct_pb2
from starlette.types import ASGIApp, Message

from spanhouse.query.responses import unexpected
from spanhouse.v1 import query_pb2, query_pb2_grpc

logger = logging.getLogger(__name__)

_CODES = {400: grpc.StatusCode.INVALID_ARGUMENT, 401: grpc.StatusCode.UNAUTHENTICATED,
          403: grpc.StatusCode.PERMISSION_DENIED, 404: grpc.StatusCode.NOT_FOUND,
          429: grpc.StatusCode.RESOURCE_EXHAUSTED, 503: grpc.StatusCode.UNAVAILABLE,
          504: grpc.StatusCode.DEADLINE_EXCEEDED}
_FORWARDED = ("authorization", "x-api-key")


async def call_asgi(app: ASGIApp, path: str, query: str, headers: list[tuple[str, str]]) -> tuple[int, bytes]:
    """GET `path?query` on an ASGI app in process; (status, body).

    `path` is decoded, as a server puts it in the ASGI scope and as routes match it (an id with a
    space, `/`, `%`, `?` or `#` in it is itself); `raw_path` is its percent-encoded form.
    """
    scope: dict[str, Any] = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET", "scheme": "http",
        "path": path, "raw_path": quote(path, safe="/").encode(), "query_string": query.encode(), "root_path": "",
        "headers": [(name.encode(), value.encode()) for name, value in headers],
        "client": ("grpc", 0), "server": ("spanhouse", 0),
    }
    status = 500
    body: list[bytes] = []

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
        elif message["type"] == "http.response.body":
            body.append(message.get("body", b""))

    await app(scope, receive, send)
    return status, b"".join(body)


class QueryService(query_pb2_grpc.QueryServiceServicer):
    def __init__(self, api: ASGIApp) -> None:
        self._api = api

    async def GetTrace(self, request: Any, context: grpc.aio.ServicerContext) -> struct_pb2.Struct:
        if not request.trace_id:  # the path would be the search's, with a slash: HTTP redirects it
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, "trace id must be 32 hex characters, got ''")
        return await self._get(context, f"/api/v1/traces/{request.trace_id}", {})

    async def SearchTraces(self, request: Any, context: grpc.aio.ServicerContext) -> struct_pb2.Struct:
        params = {field.name: str(value) for field, value in request.ListFields() if field.name != "attributes"}
        params.update({f"attr.{key}": value for key, value in request.attributes.items()})
        return await self._get(context, "/api/v1/traces", params)

    async def GetThread(self, request: Any, context: grpc.aio.ServicerContext) -> struct_pb2.Struct:
        return await self._get(context, f"/api/v1/threads/{request.thread_id}", dict(request.parameters))

    async def ListThreads(self, request: Any, context: grpc.aio.ServicerContext) -> struct_pb2.Struct:
        return await self._get(context, "/api/v1/threads", dict(request.parameters))

    async def _get(self, context: grpc.aio.ServicerContext, path: str,
                   params: Mapping[str, str]) -> struct_pb2.Struct:
        headers = [(str(name), str(value)) for name, value in (context.invocation_metadata() or ())
                   if str(name).lower() in _FORWARDED and isinstance(value, str)]
        try:
            status, body = await call_asgi(self._api, path, urlencode(params), headers)
            document = orjson.loads(body) if body else {}
        except Exception:  # the call's boundary; api.py answers what it can, so this is a failure of its own
            await context.abort(grpc.StatusCode.INTERNAL, unexpected(f"gRPC {path}"))
        if status != 200:
            message = document.get("error", {}).get("message", "") if isinstance(document, dict) else ""
            await context.abort(_CODES.get(status, grpc.StatusCode.INTERNAL), message or f"HTTP {status}")
        answer = struct_pb2.Struct()
        json_format.ParseDict(document, answer)
        return answer


def add_to_server(server: grpc.aio.Server, api: ASGIApp) -> None:
    query_pb2_grpc.add_QueryServiceServicer_to_server(QueryService(api), server)  # type: ignore[no-untyped-call]


__all__ = ["QueryService", "add_to_server", "call_asgi", "query_pb2"]
