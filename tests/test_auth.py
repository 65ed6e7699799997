"""API keys: the tenant of every span comes from its ingest key, every query sees its key's tenant
only, roles are enforced (401 missing / unknown key, 403 wrong role), and open access is loud."""

from __future__ import annotations

import logging

import grpc
import httpx
import pytest
from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor

from spanhouse.app import _warn_if_open
from spanhouse.auth import AuthError, KeyRing, credentials, digest
from spanhouse.errors import ConfigError
from tests.factories import export_request, hex_id, llm_span

ACME_INGEST = "acme-ingest-key-0123456789"
ACME_READ = "acme-reader-key-0123456789"
GLOBEX_INGEST = "globex-ingest-key-0123456789"
GLOBEX_READ = "globex-reader-key-0123456789"
ADMIN = "the-admin-key-0123456789"
KEYS = f"""
[[keys]]
key = "{ACME_INGEST}"
tenant = "acme"
roles = ["ingest"]

[[keys]]
sha256 = "{digest(ACME_READ)}"
tenant = "acme"
roles = ["read"]
name = "acme dashboards"

[[keys]]
key = "{GLOBEX_INGEST}"
tenant = "globex"
roles = ["ingest"]

[[keys]]
key = "{GLOBEX_READ}"
tenant = "globex"
roles = ["read"]

[[keys]]
key = "{ADMIN}"
tenant = "acme"
roles = ["admin"]
"""
PROTOBUF = {"Content-Type": "application/x-protobuf"}


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


@pytest.fixture
def keys_file(tmp_path):
    path = tmp_path / "keys.toml"
    path.write_text(KEYS)
    return path


@pytest.fixture
def secured(server_factory, keys_file):
    return server_factory(api_keys_file=str(keys_file))


# -- the key ring ------------------------------------------------------------------------------

def test_keys_resolve_to_their_tenant_and_roles_and_admin_can_read(keys_file):
    ring = KeyRing.load(keys_file, "default")
    assert ring.authenticate(ACME_INGEST, "ingest").tenant == "acme"
    assert ring.authenticate(ACME_READ, "read").name == "acme dashboards"
    assert ring.authenticate(ADMIN, "read").tenant == "acme"
    for key, role, status in [(None, "read", 401), ("wrong-key-0123456789", "read", 401),
                              (ACME_INGEST, "read", 403), (ACME_READ, "ingest", 403), (ACME_READ, "admin", 403)]:
        with pytest.raises(AuthError) as raised:
            ring.authenticate(key, role)
        assert raised.value.status == status


def test_without_keys_every_request_is_the_default_tenant():
    ring = KeyRing.load(None, "default")
    assert ring.open and ring.authenticate(None, "admin").tenant == "default"


@pytest.mark.parametrize(("entry", "problem"), [
    ('key = "short"\ntenant = "a"\nroles = ["read"]', "at least 16 characters"),
    ('key = "long-enough-key-0123"\ntenant = "a b"\nroles = ["read"]', "tenant must be"),
    ('key = "long-enough-key-0123"\ntenant = "a\\n"\nroles = ["read"]', "tenant must be"),
    ('key = "long-enough-key-0123"\ntenant = "a"\nroles = ["write"]', "roles must be"),
    ('key = "long-enough-key-0123"\nsha256 = "00"\ntenant = "a"\nroles = ["read"]', "exactly one of key or sha256"),
    ('key = "long-enough-key-0123"\ntenant = "a"\nroles = ["read"]\ncolour = "red"', "unknown fields colour"),
])
def test_a_bad_keys_file_is_refused_naming_the_problem(tmp_path, entry, problem):
    path = tmp_path / "keys.toml"
    path.write_text("[[keys]]\n" + entry)
    with pytest.raises(ConfigError, match=problem):
        KeyRing.load(path, "default")


def test_the_key_is_read_from_bearer_or_x_api_key_headers_and_grpc_metadata():
    assert credentials({"authorization": "Bearer abc"}) == "abc"
    assert credentials({"x-api-key": "xyz"}) == "xyz"
    assert credentials((("user-agent", "grpc"), ("authorization", "bearer tok"))) == "tok"
    assert credentials({"authorization": "Basic dXNlcg=="}) is None


def test_open_access_on_a_public_address_is_warned_about(caplog):
    with caplog.at_level(logging.INFO, logger="spanhouse.app"):
        _warn_if_open("127.0.0.1", "default")
        assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
        assert "open access as tenant 'default'" in caplog.records[0].getMessage()
        _warn_if_open("0.0.0.0", "default")
    assert any("NO API KEYS CONFIGURED" in r.getMessage() for r in caplog.records if r.levelno == logging.WARNING)


# -- end to end --------------------------------------------------------------------------------

def test_spans_are_stored_under_the_tenant_of_their_ingest_key(secured, query):
    for key, trace in ((ACME_INGEST, 1), (GLOBEX_INGEST, 2)):
        response = httpx.post(secured.http_endpoint + "/v1/traces", headers={**PROTOBUF, "x-api-key": key},
                              content=export_request(llm_span(trace=trace)).SerializeToString())
        assert response.status_code == 200

    provider = TracerProvider(resource=Resource.create({"service.name": "grpc-client"}))
    exporter = OTLPSpanExporter(endpoint=secured.grpc_endpoint, insecure=True,
                                headers={"authorization": f"Bearer {GLOBEX_INGEST}"})
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    provider.get_tracer("tests").start_span("over grpc").end()
    provider.shutdown()

    assert query("SELECT Tenant, ServiceName, count() FROM otel_traces GROUP BY Tenant, ServiceName ORDER BY 1, 2") \
        == [("acme", "agent-svc", 1), ("globex", "agent-svc", 1), ("globex", "grpc-client", 1)]


def test_ingest_without_a_valid_key_or_with_a_read_key_is_refused(secured, query):
    body = export_request(llm_span()).SerializeToString()
    missing = httpx.post(secured.http_endpoint + "/v1/traces", headers=PROTOBUF, content=body)
    unknown = httpx.post(secured.http_endpoint + "/v1/traces", headers={**PROTOBUF, **bearer("nope-nope-nope-nope")},
                         content=body)
    reader = httpx.post(secured.http_endpoint + "/v1/traces", headers={**PROTOBUF, **bearer(ACME_READ)}, content=body)
    assert (missing.status_code, missing.headers.get("www-authenticate")) == (401, "Bearer")
    assert (unknown.status_code, reader.status_code) == (401, 403)

    with grpc.insecure_channel(secured.grpc_endpoint) as channel:
        export = channel.unary_unary("/opentelemetry.proto.collector.trace.v1.TraceService/Export")
        for metadata, code in [((), grpc.StatusCode.UNAUTHENTICATED),
                               ((("x-api-key", ACME_READ),), grpc.StatusCode.PERMISSION_DENIED)]:
            with pytest.raises(grpc.RpcError) as raised:
                export(body, metadata=metadata, timeout=10)
            assert raised.value.code() == code
    assert query("SELECT count() FROM otel_traces") == [(0,)]


def test_queries_see_only_their_keys_tenant(secured):
    body = export_request(llm_span(trace=7)).SerializeToString()
    assert httpx.post(secured.http_endpoint + "/v1/traces", headers={**PROTOBUF, **bearer(ACME_INGEST)},
                      content=body).status_code == 200
    url = f"{secured.api}/api/v1/traces/{hex_id(7)}"

    assert httpx.get(url, headers=bearer(ACME_READ)).status_code == 200
    assert httpx.get(url, headers=bearer(ADMIN)).status_code == 200
    assert httpx.get(url, headers=bearer(GLOBEX_READ)).status_code == 404
    assert httpx.get(url).status_code == 401
    assert httpx.get(url, headers=bearer(ACME_INGEST)).status_code == 403
    assert httpx.get(f"{secured.api}/healthz").status_code == 200  # health checks need no key


def test_ad_hoc_sql_needs_an_admin_key(secured):
    sql = f"{secured.api}/api/v1/sql"
    assert httpx.post(sql, json={"query": "SELECT 1"}).status_code == 401
    assert httpx.post(sql, json={"query": "SELECT 1"}, headers=bearer(ACME_READ)).status_code == 403
    response = httpx.post(sql, json={"query": "SELECT 1 AS one"}, headers=bearer(ADMIN))
    assert (response.status_code, response.json()["rows"]) == (200, [[1]])


def test_the_grpc_query_service_applies_the_same_keys(secured):
    from spanhouse.v1 import query_pb2, query_pb2_grpc

    body = export_request(llm_span(trace=8)).SerializeToString()
    assert httpx.post(secured.http_endpoint + "/v1/traces", headers={**PROTOBUF, **bearer(ACME_INGEST)},
                      content=body).status_code == 200
    request = query_pb2.GetTraceRequest(trace_id=hex_id(8))
    with grpc.insecure_channel(secured.grpc_endpoint) as channel:
        stub = query_pb2_grpc.QueryServiceStub(channel)
        answer = stub.GetTrace(request, metadata=(("authorization", f"Bearer {ACME_READ}"),), timeout=10)
        assert answer["span_count"] == 1
        for metadata, code in [((), grpc.StatusCode.UNAUTHENTICATED),
                               ((("x-api-key", GLOBEX_READ),), grpc.StatusCode.NOT_FOUND),
                               ((("x-api-key", ACME_INGEST),), grpc.StatusCode.PERMISSION_DENIED)]:
            with pytest.raises(grpc.RpcError) as raised:
                stub.GetTrace(request, metadata=metadata, timeout=10)
            assert raised.value.code() == code
