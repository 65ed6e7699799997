"""spanhouse.v1.QueryService answers over gRPC with the HTTP API's documents, keys and errors;
the generated stubs match proto/."""

from __future__ import annotations

import logging
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import grpc
import httpx
import pytest
from google.protobuf import json_format

from spanhouse.v1 import query_pb2, query_pb2_grpc
from tests.factories import export_request, hex_id, llm_span, make_span
from tests.query.test_api import INTERNAL_ERROR, assert_logged_once

ROOT = Path(__file__).parents[2]


def test_the_generated_stubs_are_current(tmp_path):
    command = [sys.executable, "-m", "grpc_tools.protoc", f"-I{ROOT / 'proto'}", f"--python_out={tmp_path}",
               f"--grpc_python_out={tmp_path}", f"--pyi_out={tmp_path}", str(ROOT / "proto/spanhouse/v1/query.proto")]
    subprocess.run(command, check=True)
    for name in ("query_pb2.py", "query_pb2.pyi", "query_pb2_grpc.py"):
        fresh = (tmp_path / "spanhouse/v1" / name).read_text()
        assert fresh == (ROOT / "src/spanhouse/v1" / name).read_text(), f"{name} is stale: run `make grpc-stubs`"


@pytest.fixture
def stub(server):
    spans = [make_span(trace=3, span=1, name="invoke_agent", attributes={"gen_ai.operation.name": "invoke_agent",
                                                                         "gen_ai.conversation.id": "thread-9"}),
             llm_span(trace=3, span=2, parent=1)]
    assert httpx.post(server.http_endpoint + "/v1/traces", content=export_request(*spans).SerializeToString(),
                      headers={"Content-Type": "application/x-protobuf"}).status_code == 200
    with grpc.insecure_channel(server.grpc_endpoint) as channel:
        yield query_pb2_grpc.QueryServiceStub(channel)


def test_get_trace_returns_the_http_timeline(server, stub):
    answer = json_format.MessageToDict(stub.GetTrace(query_pb2.GetTraceRequest(trace_id=hex_id(3)), timeout=10))
    over_http = httpx.get(f"{server.api}/api/v1/traces/{hex_id(3)}").json()
    assert answer == over_http
    assert (answer["thread_id"], answer["span_count"]) == ("thread-9", 2)


@pytest.mark.parametrize(("trace_id", "code"), [(hex_id(99), grpc.StatusCode.NOT_FOUND),
                                                 ("not-a-trace", grpc.StatusCode.INVALID_ARGUMENT),
                                                 ("", grpc.StatusCode.INVALID_ARGUMENT)])
def test_http_errors_become_grpc_status_codes(stub, trace_id, code):
    with pytest.raises(grpc.RpcError) as raised:
        stub.GetTrace(query_pb2.GetTraceRequest(trace_id=trace_id), timeout=10)
    assert raised.value.code() == code


# ids that percent-encoding changes, or that mean something in a URL
ODD_THREAD_IDS = ["thread one", "a/b", "caf\u00e9 \u2615", "x+y", "#tag", "why?", "100%", "%20", "a%2Fb"]


def test_a_thread_id_is_the_same_thread_over_both_transports(server, stub):
    spans = [make_span(trace=100 + n, span=1, name="invoke_agent",
                       attributes={"gen_ai.operation.name": "invoke_agent", "gen_ai.conversation.id": thread_id})
             for n, thread_id in enumerate(ODD_THREAD_IDS)]
    assert httpx.post(server.http_endpoint + "/v1/traces", content=export_request(*spans).SerializeToString(),
                      headers={"Content-Type": "application/x-protobuf"}).status_code == 200
    for thread_id in ODD_THREAD_IDS:
        over_http = httpx.get(f"{server.api}/api/v1/threads/{quote(thread_id, safe='')}", timeout=30)
        assert (over_http.status_code, over_http.json()["thread"]["thread_id"]) == (200, thread_id)
        answer = stub.GetThread(query_pb2.GetThreadRequest(thread_id=thread_id), timeout=10)
        assert json_format.MessageToDict(answer) == over_http.json()


@pytest.mark.parametrize("start", ["\u00b2", "-\u0661h", "9" * 5000])
def test_a_bad_number_is_invalid_argument_naming_the_parameter(stub, start):
    with pytest.raises(grpc.RpcError) as raised:
        stub.SearchTraces(query_pb2.SearchTracesRequest(start=start), timeout=10)
    assert raised.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert raised.value.details().startswith("start: ")


def test_an_unexpected_error_is_internal_naming_an_incident_and_nothing_of_the_exception(failing_api, caplog):
    caplog.set_level(logging.ERROR)
    with grpc.insecure_channel(failing_api.grpc_endpoint) as channel, pytest.raises(grpc.RpcError) as raised:
        query_pb2_grpc.QueryServiceStub(channel).ListThreads(query_pb2.ListThreadsRequest(), timeout=10)
    assert raised.value.code() == grpc.StatusCode.INTERNAL
    match = INTERNAL_ERROR.fullmatch(raised.value.details())
    assert match, raised.value.details()
    assert_logged_once(caplog, match.group(1))
