"""Capture the Vercel AI SDK (npm ``ai``) telemetry spans, exported by the official JS OTLP/proto exporter.

Output: tests/captures/vercel_ai/. Starts the OTLP sink in this process and runs
``node captures/node/capture_vercel.mjs <scenario>`` once per scenario (each run registers a
NodeTracerProvider + BatchSpanProcessor + OTLPTraceExporter (proto) pointed at the sink, runs the
scenario with ``experimental_telemetry`` enabled, then force-flushes and shuts down).

Usage: python captures/gen_vercel_ai.py   (needs captures/node/node_modules: npm ci there)
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

from _harness import Capture

SOURCE = "vercel_ai"
NODE_DIR = Path(__file__).resolve().parent / "node"
SCRIPT = NODE_DIR / "capture_vercel.mjs"
NODE_PACKAGES = [
    "ai",
    "@ai-sdk/provider",
    "@ai-sdk/provider-utils",
    "@opentelemetry/api",
    "@opentelemetry/sdk-trace-node",
    "@opentelemetry/sdk-trace-base",
    "@opentelemetry/exporter-trace-otlp-proto",
    "@opentelemetry/otlp-exporter-base",
    "@opentelemetry/otlp-transformer",
    "@opentelemetry/resources",
    "zod",
]

DESCRIPTIONS = {
    "generate_text": "generateText with MockLanguageModelV3 (system + prompt, temperature 0.2, "
    "maxOutputTokens 50); one step, text answer.",
    "tool_call": "generateText with tool get_weather (zod inputSchema, execute returns an object) and "
    "stopWhen stepCountIs(3): step 1 mock returns tool call call_vercel_weather_1, the SDK executes "
    "the tool, step 2 mock returns the final text. Two doGenerate calls plus one tool execution.",
    "stream_text": "streamText with a MockLanguageModelV3 doStream (simulateReadableStream, no delays): "
    "stream-start, response-metadata, text-start, 3 text-deltas, text-end, finish; result.text awaited.",
    "embed": "embed() one value with MockEmbeddingModelV3 (8-dim vector, usage.tokens 5).",
    "generate_text_error": "generateText whose mock doGenerate throws APICallError (statusCode 429, "
    "isRetryable false), maxRetries: 0; the error propagates to the caller.",
}


def node_versions() -> dict[str, str]:
    """Installed versions, read from node_modules/.package-lock.json (covers nested copies too)."""
    lock = json.loads((NODE_DIR / "node_modules" / ".package-lock.json").read_text())["packages"]
    out: dict[str, str] = {}
    for pkg in NODE_PACKAGES:  # "ai" first: the manifest reads the first entry as "the library"
        found = sorted({info["version"] for path, info in lock.items() if path.endswith(f"node_modules/{pkg}")})
        out[pkg] = " + ".join(found) if found else "NOT INSTALLED"
    out["node"] = subprocess.run(["node", "--version"], capture_output=True, text=True).stdout.strip()
    return out


def main() -> None:
    if not shutil.which("node"):
        raise SystemExit("node is not on PATH")
    if not (NODE_DIR / "node_modules" / "ai").exists():
        raise SystemExit("captures/node/node_modules is missing: run `npm ci` in captures/node")
    fixtures = json.loads(
        subprocess.run(
            ["node", str(SCRIPT), "--fixtures"], capture_output=True, text=True, check=True, cwd=NODE_DIR
        ).stdout
    )
    cap = Capture(
        SOURCE,
        libraries=node_versions(),
        service_name="capture-vercel-ai",
        notes=[
            "experimental_telemetry = { isEnabled: true, functionId: 'weather-agent', metadata: "
            "{ sessionId: 'sess-vercel-1', userId: 'user-vercel-1' } } on every call.",
            "Models are the SDK's mocks from 'ai/test' (provider 'mock-provider', model ids "
            "'mock-model-1' / 'mock-embedding-1'); no HTTP model calls (fake_server_calls absent).",
            "ai@6 is the newest major that supports Node 20: ai@7 declares engines node>=22 and the "
            "@opentelemetry 3.x / exporter 0.30x lines declare node>=22.15, so the 2.x SDK line with "
            "exporter-trace-otlp-proto 0.223.x is used.",
            "Node's exporter posts with Transfer-Encoding: chunked and no compression.",
        ],
        with_fake_openai=False,
    )
    cap.meta["fixtures"] = fixtures["fixtures"]
    env = {**os.environ, "OTLP_SINK_URL": cap.sink.url}
    try:
        for name in fixtures["scenarios"]:
            with cap.scenario(
                name,
                DESCRIPTIONS[name],
                session_id="sess-vercel-1",
                user_id="user-vercel-1",
                telemetry_metadata_keys=["sessionId", "userId"],
            ) as rec:
                proc = subprocess.run(
                    ["node", str(SCRIPT), name], env=env, cwd=NODE_DIR, capture_output=True, text=True
                )
                if proc.returncode != 0:
                    raise RuntimeError(f"node scenario {name} failed:\n{proc.stdout}\n{proc.stderr}")
                if proc.stderr.strip():
                    rec["node_stderr"] = proc.stderr.strip()
    finally:
        cap.finish()


if __name__ == "__main__":
    main()
