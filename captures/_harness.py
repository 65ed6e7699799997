"""Shared plumbing for the Python capture generators.

A :class:`Capture` starts the OTLP sink and the fake OpenAI server in-process on 127.0.0.1, installs
the official OTel SDK TracerProvider + LoggerProvider with the official OTLP/HTTP protobuf exporters
pointed at the sink, and writes one set of files per scenario:

    tests/captures/<source>/<scenario>.traces.binpb   merged ExportTraceServiceRequest
    tests/captures/<source>/<scenario>.traces.json    the same, as OTLP/JSON (readable copy)
    tests/captures/<source>/<scenario>.logs.binpb     merged ExportLogsServiceRequest (if any logs)
    tests/captures/<source>/<scenario>.logs.json

plus a metadata record (``$CAPTURE_META_DIR/<source>.json``) that ``run_all.py`` folds into
``tests/captures/manifest.json``.
"""

from __future__ import annotations

import base64
import json
import os
import sys
import tempfile
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import metadata
from pathlib import Path
from typing import Any

from google.protobuf.json_format import MessageToDict
from google.protobuf.message import Message
from opentelemetry import _logs, trace
from opentelemetry.exporter.otlp.proto.http import Compression
from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import BatchLogRecordProcessor
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

sys.path.insert(0, str(Path(__file__).resolve().parent))
from fake_openai import FakeOpenAI
from otlp_sink import OtlpSink, merge

REPO = Path(__file__).resolve().parent.parent
OUT_ROOT = Path(os.environ.get("CAPTURE_OUT_DIR", REPO / "tests" / "captures"))
META_DIR = Path(os.environ.get("CAPTURE_META_DIR", Path(tempfile.gettempdir()) / "spanhouse-captures-meta"))

_ID_KEYS = {"traceId", "spanId", "parentSpanId"}


def _hex_ids(node: Any) -> Any:
    if isinstance(node, dict):
        return {
            k: (base64.b64decode(v).hex() if k in _ID_KEYS and isinstance(v, str) else _hex_ids(v))
            for k, v in node.items()
        }
    if isinstance(node, list):
        return [_hex_ids(v) for v in node]
    return node


def to_otlp_json(msg: Message) -> str:
    """OTLP/JSON rendering: protobuf JSON mapping with hex trace/span ids and integer enums."""
    as_dict = MessageToDict(msg, use_integers_for_enums=True)
    return json.dumps(_hex_ids(as_dict), indent=2, ensure_ascii=False) + "\n"


def versions(*dists: str) -> dict[str, str]:
    out = {}
    for d in dists:
        try:
            out[d] = metadata.version(d)
        except metadata.PackageNotFoundError:
            out[d] = "NOT INSTALLED"
    return out


def write_signal_files(out_dir: Path, scenario: str, bodies: dict[str, list[bytes]]) -> dict[str, Any]:
    files: dict[str, Any] = {}
    for signal in ("traces", "logs"):
        reqs = bodies.get(signal) or []
        if not reqs:
            continue
        merged = merge(signal, reqs)
        (out_dir / f"{scenario}.{signal}.binpb").write_bytes(merged.SerializeToString())
        (out_dir / f"{scenario}.{signal}.json").write_text(to_otlp_json(merged))
        files[signal] = {
            "binpb": f"{out_dir.name}/{scenario}.{signal}.binpb",
            "json": f"{out_dir.name}/{scenario}.{signal}.json",
            "export_requests_merged": len(reqs),
        }
    return files


class Capture:
    def __init__(
        self,
        source: str,
        *,
        libraries: dict[str, str],
        service_name: str,
        env: dict[str, str] | None = None,
        notes: list[str] | None = None,
        with_fake_openai: bool = True,
    ) -> None:
        self.source = source
        self.out_dir = OUT_ROOT / source
        self.out_dir.mkdir(parents=True, exist_ok=True)
        self.sink = OtlpSink().start()
        self.fake = FakeOpenAI().start() if with_fake_openai else None
        self.meta: dict[str, Any] = {
            "source": source,
            "libraries": libraries,
            "service_name": service_name,
            "env": env or {},
            "notes": notes or [],
            "scenarios": [],
        }
        resource = Resource.create({"service.name": service_name})
        self.tracer_provider = TracerProvider(resource=resource)
        self.tracer_provider.add_span_processor(
            BatchSpanProcessor(OTLPSpanExporter(endpoint=f"{self.sink.url}/v1/traces", compression=Compression.Gzip))
        )
        self.logger_provider = LoggerProvider(resource=resource)
        self.logger_provider.add_log_record_processor(
            BatchLogRecordProcessor(OTLPLogExporter(endpoint=f"{self.sink.url}/v1/logs", compression=Compression.Gzip))
        )
        trace.set_tracer_provider(self.tracer_provider)
        _logs.set_logger_provider(self.logger_provider)

    @property
    def openai_base_url(self) -> str:
        assert self.fake is not None
        return self.fake.base_url

    def flush(self) -> None:
        self.tracer_provider.force_flush()
        self.logger_provider.force_flush()

    @contextmanager
    def scenario(
        self,
        name: str,
        description: str,
        *,
        session_id: str | None = None,
        user_id: str | None = None,
        expect_error: type[BaseException] | tuple[type[BaseException], ...] | None = None,
        **extra: Any,
    ) -> Iterator[dict[str, Any]]:
        """Run one scenario; everything exported while inside goes into its files."""
        self.flush()
        self.sink.take()
        if self.fake:
            self.fake.take_calls()
        record: dict[str, Any] = {
            "scenario": name,
            "description": description,
            "session_id": session_id,
            "user_id": user_id,
            **extra,
        }
        try:
            yield record
        except BaseException as exc:
            if expect_error is not None and isinstance(exc, expect_error):
                record["client_raised"] = f"{type(exc).__module__}.{type(exc).__qualname__}: {exc}"
            else:
                record["generator_error"] = traceback.format_exc()
                self.flush()
                self.sink.take()
                self.meta["scenarios"].append(record)
                raise
        else:
            if expect_error is not None:
                record["generator_error"] = f"expected {expect_error} but nothing was raised"
        self.flush()
        bodies = self.sink.take()
        if self.fake:
            record["fake_server_calls"] = self.fake.take_calls()
        record["files"] = write_signal_files(self.out_dir, name, bodies)
        record["sink_content_types"] = sorted(self.sink.content_types)
        record["sink_content_encodings"] = sorted(self.sink.encodings)
        self.meta["scenarios"].append(record)
        print(f"  [{self.source}] {name}: {', '.join(record['files']) or 'NOTHING EXPORTED'}", flush=True)

    def finish(self) -> None:
        self.flush()
        self.tracer_provider.shutdown()
        self.logger_provider.shutdown()
        self.sink.stop()
        if self.fake:
            self.fake.stop()
        META_DIR.mkdir(parents=True, exist_ok=True)
        (META_DIR / f"{self.source}.json").write_text(json.dumps(self.meta, indent=2) + "\n")
