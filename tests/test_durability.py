"""Acknowledged means durable: spans survive kill -9 right after the ack, and a normal restart."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from tests.factories import export_request, hex_id, make_span

# Recent spans: the subprocess runs with the default retention, which drops spans a year old.
START_NS = time.time_ns() - 60 * 10**9

pytestmark = pytest.mark.slow


class Subprocess:
    """`spanhouse serve` in its own process (and so its own chDB engine) on `data_dir`."""

    def __init__(self, data_dir: Path, tmp: Path, **settings: str) -> None:
        ports_file = tmp / f"ports-{time.monotonic_ns()}.json"
        env = {**os.environ, "SPANHOUSE_CLICKHOUSE_DSN": f"chdb://{data_dir}", "SPANHOUSE_OTLP_GRPC_PORT": "0",
               "SPANHOUSE_OTLP_HTTP_PORT": "0", "SPANHOUSE_API_PORT": "0", "SPANHOUSE_FLUSH_INTERVAL_MS": "1",
               **{"SPANHOUSE_" + name.upper(): value for name, value in settings.items()}}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "spanhouse", "serve", "--ports-file", str(ports_file)],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + 60
        while not ports_file.exists():
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"spanhouse did not start: {self.process.stderr.read().decode()[-2000:]}")
            time.sleep(0.05)
        ports = json.loads(ports_file.read_text())
        self.ingest = f"http://127.0.0.1:{ports['otlp_http']}/v1/traces"
        self.api = f"http://127.0.0.1:{ports['api']}"

    def stop(self, sig: int = signal.SIGTERM) -> None:
        self.process.send_signal(sig)
        self.process.wait(60)
        self.process.stderr.close()


def send(server: Subprocess, trace: int, spans: int = 20) -> None:
    request = export_request(*(make_span(trace=trace, span=i + 1, start_ns=START_NS + i) for i in range(spans)))
    response = httpx.post(server.ingest, content=request.SerializeToString(),
                          headers={"Content-Type": "application/x-protobuf"}, timeout=30)
    assert response.status_code == 200


def span_count(server: Subprocess, trace: int) -> int:
    response = httpx.get(f"{server.api}/api/v1/traces/{hex_id(trace)}", timeout=30)
    return response.json()["span_count"] if response.status_code == 200 else 0


def test_every_acknowledged_span_survives_kill_9(tmp_path):
    server = Subprocess(tmp_path / "data", tmp_path)
    for trace in range(1, 31):
        send(server, trace)
    server.stop(signal.SIGKILL)  # right after the last acknowledgement

    restarted = Subprocess(tmp_path / "data", tmp_path)
    try:
        assert [span_count(restarted, trace) for trace in range(1, 31)] == [20] * 30
    finally:
        restarted.stop()


def test_spans_acknowledged_from_the_write_ahead_log_survive_kill_9(tmp_path):
    # A minute's flush interval: what arrives during an insert is logged, acknowledged, and not
    # inserted before the kill, so only the log can bring it back.
    server = Subprocess(tmp_path / "data", tmp_path, flush_interval_ms="60000")
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda trace: send(server, trace), range(1, 41)))
    logged = sum(p.stat().st_size for p in (tmp_path / "data" / "spanhouse-wal").rglob("*.wal"))
    server.stop(signal.SIGKILL)
    assert logged > 0, "no export was acknowledged from the log: this test would prove nothing"

    restarted = Subprocess(tmp_path / "data", tmp_path)
    try:
        assert [span_count(restarted, trace) for trace in range(1, 41)] == [20] * 40
    finally:
        restarted.stop()


def test_spans_persist_across_a_normal_restart(tmp_path):
    server = Subprocess(tmp_path / "data", tmp_path)
    send(server, 1, spans=5)
    server.stop()
    assert server.process.returncode == 0

    restarted = Subprocess(tmp_path / "data", tmp_path)
    try:
        assert span_count(restarted, 1) == 5
        send(restarted, 2, spans=3)
        assert (span_count(restarted, 1), span_count(restarted, 2)) == (5, 3)
    finally:
        restarted.stop()


def test_decode_workers_leave_when_the_server_is_killed(tmp_path):
    import psutil

    server = Subprocess(tmp_path / "data", tmp_path)
    send(server, 1)  # the workers have served a request
    workers = psutil.Process(server.process.pid).children()
    assert len(workers) >= 1
    server.stop(signal.SIGKILL)

    _gone, alive = psutil.wait_procs(workers, timeout=10)
    assert alive == []
