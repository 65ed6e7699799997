"""A tiny, deterministic OpenAI-compatible HTTP server for the capture generators.

Listens on 127.0.0.1 (ephemeral port by default) and answers:

* ``POST /v1/chat/completions``
    - header ``X-Fake-Error: 429`` (or ``500``)   -> OpenAI-style error JSON with that status
    - ``"stream": true``                          -> SSE chunks (fixture ``chat_stream``); with
      ``stream_options.include_usage`` a final usage-only chunk is sent
    - ``tools`` given and no ``role: tool`` message -> one tool call (fixture ``chat_tool_call``)
    - last message has ``role: tool``            -> final answer (fixture ``chat_after_tool``)
    - anything else                              -> plain answer (fixture ``chat``)
* ``POST /v1/embeddings``                        -> fixture ``embeddings`` (honours ``encoding_format``
  ``float`` and ``base64``; the openai client asks for base64 by default)

Every number the generators' tests may assert is in ``FIXTURES`` (copied into the manifest).
Each handled request is appended to ``FakeOpenAI.calls`` so the harness can record which fixture
every scenario hit.

Run standalone for debugging: ``python captures/fake_openai.py [--port N]``.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import json
import struct
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

CREATED = 1735689600  # 2025-01-01T00:00:00Z
SYSTEM_FINGERPRINT = "fp_spanhouse01"
REQUEST_ID = "req_spanhouse_fake_0001"

FIXTURES: dict[str, dict[str, Any]] = {
    "chat": {
        "id": "chatcmpl-spanhouse-chat-0001",
        "model": "gpt-4o-mini-2024-07-18",
        "finish_reason": "stop",
        "content": "Paris is the capital of France.",
        "usage": {
            "prompt_tokens": 31,
            "completion_tokens": 9,
            "total_tokens": 40,
            "prompt_tokens_details": {"cached_tokens": 8, "audio_tokens": 0},
            "completion_tokens_details": {
                "reasoning_tokens": 2,
                "audio_tokens": 0,
                "accepted_prediction_tokens": 0,
                "rejected_prediction_tokens": 0,
            },
        },
    },
    "chat_tool_call": {
        "id": "chatcmpl-spanhouse-tool-0001",
        "model": "gpt-4o-mini-2024-07-18",
        "finish_reason": "tool_calls",
        "tool_call": {
            "id": "call_weather_1",
            "name": "get_weather",
            "arguments": '{"city": "Paris", "unit": "celsius"}',
        },
        "usage": {
            "prompt_tokens": 57,
            "completion_tokens": 17,
            "total_tokens": 74,
            "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
            "completion_tokens_details": {
                "reasoning_tokens": 0,
                "audio_tokens": 0,
                "accepted_prediction_tokens": 0,
                "rejected_prediction_tokens": 0,
            },
        },
    },
    "chat_after_tool": {
        "id": "chatcmpl-spanhouse-tool-0002",
        "model": "gpt-4o-mini-2024-07-18",
        "finish_reason": "stop",
        "content": "It is 18 degrees Celsius and sunny in Paris.",
        "usage": {
            "prompt_tokens": 83,
            "completion_tokens": 12,
            "total_tokens": 95,
            "prompt_tokens_details": {"cached_tokens": 64, "audio_tokens": 0},
            "completion_tokens_details": {
                "reasoning_tokens": 0,
                "audio_tokens": 0,
                "accepted_prediction_tokens": 0,
                "rejected_prediction_tokens": 0,
            },
        },
    },
    "chat_stream": {
        "id": "chatcmpl-spanhouse-stream-0001",
        "model": "gpt-4o-mini-2024-07-18",
        "finish_reason": "stop",
        "deltas": ["The sky", " is blue", " today."],
        "content": "The sky is blue today.",
        "usage": {
            "prompt_tokens": 23,
            "completion_tokens": 7,
            "total_tokens": 30,
            "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
            "completion_tokens_details": {
                "reasoning_tokens": 0,
                "audio_tokens": 0,
                "accepted_prediction_tokens": 0,
                "rejected_prediction_tokens": 0,
            },
        },
    },
    "embeddings": {
        "model": "text-embedding-3-small",
        "vector": [0.125, -0.25, 0.5, -0.0625, 0.75, -0.5, 0.25, 0.0],
        "usage": {"prompt_tokens": 5, "total_tokens": 5},
    },
    "error_429": {
        "status": 429,
        "body": {
            "error": {
                "message": "Rate limit reached for gpt-4o-mini (fake server).",
                "type": "requests",
                "param": None,
                "code": "rate_limit_exceeded",
            }
        },
    },
    "error_500": {
        "status": 500,
        "body": {
            "error": {
                "message": "The server had an error while processing your request (fake server).",
                "type": "server_error",
                "param": None,
                "code": None,
            }
        },
    },
}


def _chat_body(fx: dict[str, Any], message: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": fx["id"],
        "object": "chat.completion",
        "created": CREATED,
        "model": fx["model"],
        "system_fingerprint": SYSTEM_FINGERPRINT,
        "service_tier": "default",
        "choices": [
            {
                "index": 0,
                "message": message,
                "logprobs": None,
                "finish_reason": fx["finish_reason"],
            }
        ],
        "usage": fx["usage"],
    }


def chat_response(kind: str) -> dict[str, Any]:
    fx = FIXTURES[kind]
    if kind == "chat_tool_call":
        tc = fx["tool_call"]
        message = {
            "role": "assistant",
            "content": None,
            "refusal": None,
            "tool_calls": [
                {
                    "id": tc["id"],
                    "type": "function",
                    "function": {"name": tc["name"], "arguments": tc["arguments"]},
                }
            ],
        }
    else:
        message = {"role": "assistant", "content": fx["content"], "refusal": None}
    return _chat_body(fx, message)


def stream_chunks(include_usage: bool) -> list[dict[str, Any]]:
    fx = FIXTURES["chat_stream"]

    def chunk(delta: dict[str, Any], finish: str | None) -> dict[str, Any]:
        body: dict[str, Any] = {
            "id": fx["id"],
            "object": "chat.completion.chunk",
            "created": CREATED,
            "model": fx["model"],
            "system_fingerprint": SYSTEM_FINGERPRINT,
            "service_tier": "default",
            "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}],
        }
        if include_usage:
            body["usage"] = None
        return body

    chunks = [chunk({"role": "assistant", "content": "", "refusal": None}, None)]
    chunks += [chunk({"content": d}, None) for d in fx["deltas"]]
    chunks.append(chunk({}, fx["finish_reason"]))
    if include_usage:
        last = chunk({}, None)
        last["choices"] = []
        last["usage"] = fx["usage"]
        chunks.append(last)
    return chunks


def embeddings_response(inputs: list[Any], encoding_format: str) -> dict[str, Any]:
    fx = FIXTURES["embeddings"]
    vec = fx["vector"]
    if encoding_format == "base64":
        emb: Any = base64.b64encode(struct.pack(f"<{len(vec)}f", *vec)).decode()
    else:
        emb = vec
    return {
        "object": "list",
        "data": [{"object": "embedding", "index": i, "embedding": emb} for i in range(len(inputs))],
        "model": fx["model"],
        "usage": fx["usage"],
    }


class FakeOpenAI:
    """Owns the HTTP server thread; ``calls`` records each request handled."""

    def __init__(self, port: int = 0) -> None:
        self.calls: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, fmt: str, *args: Any) -> None:  # quiet
                pass

            def _send_json(self, status: int, body: dict[str, Any]) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.send_header("x-request-id", REQUEST_ID)
                self.end_headers()
                self.wfile.write(data)

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                try:
                    req = json.loads(raw or b"{}")
                except ValueError:
                    req = {}
                path = self.path.split("?")[0].rstrip("/")
                forced = self.headers.get("X-Fake-Error")
                call: dict[str, Any] = {"path": path, "request_model": req.get("model")}
                if forced in ("429", "500"):
                    fixture = f"error_{forced}"
                    fx = FIXTURES[fixture]
                    call.update(fixture=fixture, status=fx["status"])
                    owner._record(call)
                    self._send_json(fx["status"], fx["body"])
                    return
                if path.endswith("/chat/completions"):
                    messages = req.get("messages") or []
                    if req.get("stream"):
                        include_usage = bool((req.get("stream_options") or {}).get("include_usage"))
                        call.update(fixture="chat_stream", status=200, include_usage=include_usage)
                        owner._record(call)
                        self._send_stream(stream_chunks(include_usage))
                        return
                    if messages and messages[-1].get("role") == "tool":
                        kind = "chat_after_tool"
                    elif req.get("tools"):
                        kind = "chat_tool_call"
                    else:
                        kind = "chat"
                    call.update(fixture=kind, status=200)
                    owner._record(call)
                    self._send_json(200, chat_response(kind))
                    return
                if path.endswith("/embeddings"):
                    inputs = req.get("input")
                    if not isinstance(inputs, list) or (inputs and isinstance(inputs[0], int)):
                        inputs = [inputs]
                    fmt = req.get("encoding_format") or "float"
                    call.update(fixture="embeddings", status=200, encoding_format=fmt)
                    owner._record(call)
                    self._send_json(200, embeddings_response(inputs, fmt))
                    return
                call.update(fixture=None, status=404)
                owner._record(call)
                self._send_json(
                    404,
                    {
                        "error": {
                            "message": f"no route {path}",
                            "type": "invalid_request_error",
                            "param": None,
                            "code": None,
                        }
                    },
                )

            def _send_stream(self, chunks: list[dict[str, Any]]) -> None:
                payload = b"".join(f"data: {json.dumps(c)}\n\n".encode() for c in chunks)
                payload += b"data: [DONE]\n\n"
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Content-Length", str(len(payload)))
                self.send_header("x-request-id", REQUEST_ID)
                self.end_headers()
                self.wfile.write(payload)

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.server.daemon_threads = True
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def _record(self, call: dict[str, Any]) -> None:
        with self._lock:
            self.calls.append(call)

    def take_calls(self) -> list[dict[str, Any]]:
        with self._lock:
            calls, self.calls = self.calls, []
        return calls

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    def start(self) -> FakeOpenAI:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--port", type=int, default=0)
    args = ap.parse_args()
    srv = FakeOpenAI(args.port)
    print(f"fake OpenAI listening on {srv.base_url}", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        srv.server.serve_forever()
