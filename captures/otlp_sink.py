"""A minimal OTLP/HTTP protobuf sink for the capture generators.

Accepts ``POST /v1/traces`` and ``POST /v1/logs`` (also ``/v1/metrics``, which is acknowledged and
dropped), gunzips bodies sent with ``Content-Encoding: gzip`` (and reads ``Transfer-Encoding: chunked``
bodies, which Node's exporter sends), keeps the raw protobuf bytes of every
request in memory and answers 200 with an empty ``Export*ServiceResponse`` as
``application/x-protobuf``. The harness calls :meth:`OtlpSink.take` after flushing the SDK
providers at the end of each scenario, and :func:`merge` turns the requests into one message.

Run standalone for debugging: ``python captures/otlp_sink.py --out DIR`` writes each request to
``DIR/<n>.<signal>.binpb``.
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import threading
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import (
    ExportLogsServiceRequest,
    ExportLogsServiceResponse,
)
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import ExportMetricsServiceResponse
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)

_RESPONSES = {
    "traces": ExportTraceServiceResponse().SerializeToString(),
    "logs": ExportLogsServiceResponse().SerializeToString(),
    "metrics": ExportMetricsServiceResponse().SerializeToString(),
}


class OtlpSink:
    def __init__(self, port: int = 0, out_dir: Path | None = None) -> None:
        self.requests: dict[str, list[bytes]] = {"traces": [], "logs": [], "metrics": []}
        self.content_types: set[str] = set()
        self.encodings: set[str] = set()
        self._lock = threading.Lock()
        self._count = 0
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, fmt: str, *args: Any) -> None:
                pass

            def _read_chunked(self) -> bytes:
                parts = []
                while True:
                    size_line = self.rfile.readline().split(b";", 1)[0].strip()
                    size = int(size_line, 16)
                    if size == 0:
                        while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                            pass  # trailers
                        return b"".join(parts)
                    parts.append(self.rfile.read(size))
                    self.rfile.readline()  # CRLF after each chunk

            def do_POST(self) -> None:
                signal = self.path.split("?")[0].rstrip("/").rsplit("/", 1)[-1]
                if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
                    body = self._read_chunked()  # Node's http client streams request bodies
                else:
                    length = int(self.headers.get("Content-Length") or 0)
                    body = self.rfile.read(length) if length else b""
                enc = (self.headers.get("Content-Encoding") or "").lower()
                if enc == "gzip":
                    body = gzip.decompress(body)
                elif enc == "deflate":
                    body = zlib.decompress(body)
                if signal not in _RESPONSES:
                    self.send_response(404)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                ctype = (self.headers.get("Content-Type") or "").split(";")[0].strip()
                if ctype != "application/x-protobuf":
                    msg = f"only application/x-protobuf is accepted, got {ctype!r}".encode()
                    self.send_response(415)
                    self.send_header("Content-Type", "text/plain")
                    self.send_header("Content-Length", str(len(msg)))
                    self.end_headers()
                    self.wfile.write(msg)
                    return
                owner._store(signal, body, ctype, enc)
                resp = _RESPONSES[signal]
                self.send_response(200)
                self.send_header("Content-Type", "application/x-protobuf")
                self.send_header("Content-Length", str(len(resp)))
                self.end_headers()
                self.wfile.write(resp)

        self._out_dir = out_dir
        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.server.daemon_threads = True
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def _store(self, signal: str, body: bytes, ctype: str, enc: str) -> None:
        with self._lock:
            self.requests[signal].append(body)
            self.content_types.add(ctype)
            self.encodings.add(enc or "identity")
            self._count += 1
            if self._out_dir is not None:
                (self._out_dir / f"{self._count:04d}.{signal}.binpb").write_bytes(body)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def start(self) -> OtlpSink:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def take(self) -> dict[str, list[bytes]]:
        """Return and forget every request received so far, per signal."""
        with self._lock:
            taken = self.requests
            self.requests = {"traces": [], "logs": [], "metrics": []}
        return taken


def merge(signal: str, bodies: list[bytes]) -> ExportTraceServiceRequest | ExportLogsServiceRequest:
    """Concatenate the resource_spans / resource_logs of several export requests into one."""
    if signal == "traces":
        merged_t = ExportTraceServiceRequest()
        for b in bodies:
            part = ExportTraceServiceRequest()
            part.ParseFromString(b)
            merged_t.resource_spans.extend(part.resource_spans)
        return merged_t
    if signal == "logs":
        merged_l = ExportLogsServiceRequest()
        for b in bodies:
            part_l = ExportLogsServiceRequest()
            part_l.ParseFromString(b)
            merged_l.resource_logs.extend(part_l.resource_logs)
        return merged_l
    raise ValueError(signal)


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--out", type=Path, required=True)
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    sink = OtlpSink(args.port, args.out)
    print(f"OTLP sink listening on {sink.url} (writing to {args.out})", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        sink.server.serve_forever()
