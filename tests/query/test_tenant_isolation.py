"""Tenant isolation across the whole query API: with tenant B's key, every GET operation in the
OpenAPI document (Jaeger and gRPC-backed ones included) shows nothing of tenant A's data, while
A's own key finds it. The operations are taken from /openapi.json, so a new endpoint is covered
as soon as it is described."""

from __future__ import annotations

import time

import httpx
import pytest

from tests.factories import export_request, hex_id, llm_span, make_span
from tests.test_auth import ACME_INGEST, ACME_READ, GLOBEX_INGEST, GLOBEX_READ, KEYS

SECRET_SERVICE = "acme-secret-service"
SECRET_THREAD = "acme-secret-thread"
SECRET_USER = "acme-secret-user"
SECRET_TRACE = hex_id(0xACAC)
PATH_VALUES = {"trace_id": SECRET_TRACE, "traceID": SECRET_TRACE, "thread_id": SECRET_THREAD,
               "service": SECRET_SERVICE, "anomaly_id": "00000000-0000-0000-0000-000000000000"}


@pytest.fixture
def two_tenants(server_factory, tmp_path):
    keys = tmp_path / "keys.toml"
    keys.write_text(KEYS)
    server = server_factory(api_keys_file=str(keys))
    now = time.time_ns() - 60 * 10**9
    acme = export_request(
        make_span(trace=0xACAC, span=1, name="invoke_agent secret", start_ns=now, duration_ns=10**9,
                  attributes={"gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": "acme-agent",
                              "gen_ai.conversation.id": SECRET_THREAD, "user.id": SECRET_USER}),
        llm_span(trace=0xACAC, span=2, parent=1, start_ns=now + 1000), service=SECRET_SERVICE)
    globex = export_request(llm_span(trace=0xB0B, span=1, parent=None, start_ns=now), service="globex-svc")
    for key, request in ((ACME_INGEST, acme), (GLOBEX_INGEST, globex)):
        assert httpx.post(server.http_endpoint + "/v1/traces", content=request.SerializeToString(),
                          headers={"Content-Type": "application/x-protobuf", "x-api-key": key}).status_code == 200
    return server


def get_operations(server) -> list[str]:
    document = httpx.get(f"{server.api}/openapi.json").json()
    paths = []
    for path, item in document["paths"].items():
        if "get" not in item or path in ("/healthz", "/openapi.json"):
            continue
        for name, value in PATH_VALUES.items():
            path = path.replace("{" + name + "}", value)
        assert "{" not in path, f"no value for a path parameter of {path}: add it to PATH_VALUES"
        paths.append(path)
    return paths


def test_another_tenants_key_sees_nothing_of_this_tenants_data_on_any_endpoint(two_tenants):
    server = two_tenants
    operations = get_operations(server)
    assert len(operations) >= 15
    leaks = []
    for path in operations:
        answer = httpx.get(server.api + path, headers={"x-api-key": GLOBEX_READ}, timeout=30)
        assert answer.status_code < 500, (path, answer.text[:300])
        text = answer.text
        # a 404 may echo the id it was asked for: only what the request did not carry is a leak
        found = [secret for secret in (SECRET_SERVICE, SECRET_THREAD, SECRET_USER, SECRET_TRACE, "acme-agent")
                 if secret in text and secret not in path]
        if found:
            leaks.append((path, found))
    assert leaks == []


def test_this_tenants_own_key_does_find_it(two_tenants):
    server = two_tenants
    seen = set()
    for path in get_operations(server):
        answer = httpx.get(server.api + path, headers={"x-api-key": ACME_READ}, timeout=30)
        seen.update(secret for secret in (SECRET_SERVICE, SECRET_THREAD, SECRET_TRACE) if secret in answer.text)
    assert seen == {SECRET_SERVICE, SECRET_THREAD, SECRET_TRACE}  # the sweep above could really have leaked


def test_every_operation_needs_a_key(two_tenants):
    for path in get_operations(two_tenants):
        assert httpx.get(two_tenants.api + path, timeout=30).status_code == 401, path
