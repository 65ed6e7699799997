"""POST /api/v1/sql: typed results, limits, read-only enforcement and error statuses, on a real server and chDB."""

from __future__ import annotations

import asyncio
import json
import re
import shlex
import threading
import time
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
from clickhouse_connect.driver.exceptions import OperationalError

from spanhouse.errors import ConfigError
from spanhouse.query import api
from spanhouse.query.adhoc import AdhocSql, Limits
from spanhouse.sql_client import parse_params
from spanhouse.store.client import connect
from tests.factories import BASE_NS, export_request, make_span

HEAVY = "SELECT count() FROM numbers(1000000000000)"  # about 15 minutes of work: only a time limit ends it


def sql(server, query, **fields):
    return httpx.post(f"{server.api}/api/v1/sql", json={"query": query, **fields}, timeout=60)


def without_timing(doc):
    """The document with elapsed_ms and bytes_read checked for shape and removed (they vary run to run)."""
    assert doc.pop("elapsed_ms") > 0
    assert doc.pop("bytes_read") > 0
    return doc


TYPED = """
SELECT toDecimal64(1.25, 4) AS dec, toDecimal128('12345678901234567890.123456789', 9) AS wide_dec,
       toDateTime64('2024-01-02 03:04:05.123456789', 9, 'UTC') AS ts, toDateTime(1704164645) AS dt,
       toDate('2024-01-02') AS day, toUUID('61f0c404-5cb3-11e7-907b-a6006ad3dba0') AS id,
       map('a', 1, 'b', 2) AS m, map(7, 'x') AS int_keys, CAST((1, 'a'), 'Tuple(x UInt8, y String)') AS named,
       (1, 'a') AS pair, CAST(NULL, 'Nullable(Int32)') AS nothing, [nan, inf, -inf] AS specials,
       unhex('ff61') AS binary, CAST([NULL, 1], 'Array(Nullable(UInt8))') AS holes,
       toUInt64(18446744073709551615) AS big,
       toInt128(5) AS i128, toIPv4('10.0.0.1') AS ip, true AS flag, toFloat32(1.5) AS f32
"""


def test_json_results_carry_clickhouse_types_and_json_safe_values(server):
    response = sql(server, TYPED)
    assert (response.status_code, response.headers["content-type"]) == (200, "application/json")
    doc = without_timing(json.loads(response.text, parse_float=Decimal))
    assert doc == {
        "columns": [
            {"name": "dec", "type": "Decimal(18, 4)"}, {"name": "wide_dec", "type": "Decimal(38, 9)"},
            {"name": "ts", "type": "DateTime64(9, 'UTC')"}, {"name": "dt", "type": "DateTime"},
            {"name": "day", "type": "Date"}, {"name": "id", "type": "UUID"},
            {"name": "m", "type": "Map(String, UInt8)"}, {"name": "int_keys", "type": "Map(UInt8, String)"},
            {"name": "named", "type": "Tuple(`x` UInt8, `y` String)"}, {"name": "pair", "type": "Tuple(UInt8, String)"},
            {"name": "nothing", "type": "Nullable(Int32)"}, {"name": "specials", "type": "Array(Float64)"},
            {"name": "binary", "type": "String"}, {"name": "holes", "type": "Array(Nullable(UInt8))"},
            {"name": "big", "type": "UInt64"}, {"name": "i128", "type": "Int128"}, {"name": "ip", "type": "IPv4"},
            {"name": "flag", "type": "Bool"}, {"name": "f32", "type": "Float32"},
        ],
        "rows": [[
            Decimal("1.2500"), Decimal("12345678901234567890.123456789"), "2024-01-02T03:04:05.123456789Z",
            "2024-01-02T03:04:05Z", "2024-01-02", "61f0c404-5cb3-11e7-907b-a6006ad3dba0", {"a": 1, "b": 2},
            {"7": "x"}, {"x": 1, "y": "a"}, [1, "a"], None, ["NaN", "Infinity", "-Infinity"], "\ufffda", [None, 1],
            18446744073709551615, "5", "10.0.0.1", True, Decimal("1.5"),
        ]],
        "row_count": 1, "truncated": False, "max_rows": 10_000, "rows_read": 1,
    }


def test_spans_sent_over_otlp_come_back_with_nanosecond_timestamps(server):
    spans = [make_span(trace=1, span=1, name="root", start_ns=BASE_NS + 123, duration_ns=5_000_000),
             make_span(trace=1, span=2, parent=1, name="child", start_ns=BASE_NS + 1_000_001)]
    httpx.post(server.http_endpoint + "/v1/traces", content=export_request(*spans).SerializeToString(),
               headers={"Content-Type": "application/x-protobuf"}, timeout=30).raise_for_status()
    doc = sql(server, "SELECT SpanName, Timestamp, Duration, ServiceName FROM otel_traces ORDER BY Timestamp").json()
    assert (doc["columns"], doc["rows"]) == (
        [{"name": "SpanName", "type": "LowCardinality(String)"}, {"name": "Timestamp", "type": "DateTime64(9)"},
         {"name": "Duration", "type": "UInt64"}, {"name": "ServiceName", "type": "LowCardinality(String)"}],
        [["root", "2025-11-22T08:26:40.000000123Z", 5_000_000, "agent-svc"],
         ["child", "2025-11-22T08:26:40.001000001Z", 1_000_000, "agent-svc"]],
    )


def test_csv_quotes_what_it_must_and_leaves_null_empty(server):
    response = sql(server, "SELECT number AS n, if(n = 1, NULL, 'a,\"b\"\nc') AS text, toDecimal32(n, 2) AS price, "
                           "[n, n] AS pair, toDateTime64('2024-01-02 03:04:05.5', 3, 'UTC') AS at FROM numbers(2)",
                   format="csv")
    assert (response.status_code, response.headers["content-type"]) == (200, "text/csv; charset=utf-8")
    assert response.text == ('n,text,price,pair,at\n'
                             '0,"a,""b""\nc",0.00,"[0,0]",2024-01-02T03:04:05.500Z\n'
                             '1,,1.00,"[1,1]",2024-01-02T03:04:05.500Z\n')
    assert {k: v for k, v in response.headers.items() if k.startswith("x-spanhouse-") and "bytes" not in k
            and "elapsed" not in k} == {"x-spanhouse-row-count": "2", "x-spanhouse-truncated": "false",
                                        "x-spanhouse-max-rows": "10000", "x-spanhouse-rows-read": "2"}


def test_tsv_escapes_tabs_newlines_and_backslashes_and_writes_null_as_backslash_n(server):
    response = sql(server, "SELECT 'a\tb\nc\\\\d' AS `odd\tname`, NULL AS nothing, '\\\\N' AS looks_null", format="tsv")
    assert response.headers["content-type"] == "text/tab-separated-values; charset=utf-8"
    assert response.text == "odd\\tname\tnothing\tlooks_null\na\\tb\\nc\\\\d\t\\N\t\\\\N\n"


def test_a_text_plain_body_is_the_query_and_the_url_carries_the_options(server):
    response = httpx.post(f"{server.api}/api/v1/sql?format=tsv&max_rows=2", content="SELECT number FROM numbers(5);\n",
                          headers={"Content-Type": "text/plain; charset=utf-8"}, timeout=30)
    assert (response.status_code, response.text, response.headers["x-spanhouse-truncated"]) == (200, "number\n0\n1\n",
                                                                                                "true")


def test_results_past_the_row_limit_are_cut_and_marked_truncated(server_factory):
    server = server_factory(sql_max_rows=1000)
    doc = sql(server, "SELECT number FROM numbers(100000)").json()
    assert (doc["row_count"], doc["rows"][-1], doc["truncated"], doc["max_rows"]) == (1000, [999], True, 1000)
    doc = sql(server, "SELECT number FROM numbers(100000)", max_rows=3).json()
    assert (doc["rows"], doc["truncated"], doc["max_rows"]) == ([[0], [1], [2]], True, 3)
    doc = sql(server, "SELECT number FROM numbers(3)", max_rows=3).json()
    assert (doc["rows"], doc["truncated"]) == ([[0], [1], [2]], False)
    doc = sql(server, "SELECT number FROM numbers(1000)", max_rows=5000).json()  # never above the setting
    assert (doc["row_count"], doc["truncated"], doc["max_rows"]) == (1000, False, 1000)


WRITES = [
    "INSERT INTO otel_traces (TraceId, SpanId) VALUES ('00', '00')",
    "INSERT INTO otel_traces SELECT * FROM otel_traces",
    "ALTER TABLE otel_traces DELETE WHERE 1",
    "ALTER TABLE otel_traces ADD COLUMN x UInt8",
    "DROP TABLE otel_traces",
    "CREATE TABLE evil (x UInt8) ENGINE = Memory",
    "CREATE TEMPORARY TABLE evil (x UInt8)",
    "TRUNCATE TABLE otel_traces",
    "RENAME TABLE otel_traces TO gone",
    "OPTIMIZE TABLE otel_traces FINAL",
    "SYSTEM DROP MARK CACHE",
    "KILL QUERY WHERE 1",
    "USE system",
    "SET readonly = 0",
    "SET max_result_rows = 0",
    "GRANT ALL ON *.* TO default",
]


def test_every_statement_but_a_read_is_refused_naming_readonly(server, query):
    answers = []
    for statement in WRITES:
        response = sql(server, f"  -- an analyst's attempt\n{statement.lower()};")
        error = response.json()["error"]
        answers.append((statement, response.status_code, error["code"], error["message"].split(":")[0]))
    assert answers == [(statement, 400, "statement_not_allowed", "ad-hoc SQL is read-only (readonly=1)")
                       for statement in WRITES]
    assert [name for (name,) in query("SHOW TABLES") if name in ("otel_traces", "evil", "gone")] == ["otel_traces"]


def test_settings_outfile_and_format_clauses_are_refused(server):
    attempts = {
        "SELECT 1 SETTINGS readonly = 0": "SETTINGS clauses are not allowed (SETTINGS readonly = ...)",
        # readonly=1 alone lets this one lift the row limit: 1,000,001 rows came back
        "SELECT * FROM (SELECT number FROM numbers(1000000) SETTINGS max_result_rows = 0) UNION ALL SELECT 1":
            "SETTINGS clauses are not allowed (SETTINGS max_result_rows = ...)",
        "SELECT * FROM view(select 1 settings max_execution_time = 1000)":
            "SETTINGS clauses are not allowed (SETTINGS max_execution_time = ...)",
        "SELECT 1 INTO OUTFILE '/tmp/spanhouse-sql-test.csv'": "INTO OUTFILE is not allowed",
        "SELECT 1 FORMAT JSON": "FORMAT clauses are not allowed",
    }
    answers = {}
    for statement in attempts:
        response = sql(server, statement)
        error = response.json()["error"]
        answers[statement] = (response.status_code, error["code"], error["message"].split(":")[0])
    assert answers == {statement: (400, "statement_not_allowed", message) for statement, message in attempts.items()}


def test_table_functions_that_reach_outside_are_refused_by_clickhouse_readonly(server):
    statements = ["SELECT * FROM file('/etc/passwd', 'LineAsString')",
                  "SELECT * FROM url('http://127.0.0.1:9/', 'LineAsString')",
                  "SELECT * FROM remote('127.0.0.1', system.one)"]
    answers = [(response.status_code, response.json()["error"])
               for response in (sql(server, statement) for statement in statements)]
    assert answers == [(400, {"code": "clickhouse_error", "message": "default: Cannot execute query in readonly mode.",
                              "clickhouse": {"code": 164, "name": "READONLY"}})] * len(statements)


def test_the_session_itself_refuses_writes_and_settings_changes(settings, store):
    """Behind the statement check, readonly=1 on the session refuses what ClickHouse knows to be a write."""
    limits = Limits(30, 100, 1 << 30)
    client = connect(settings.clickhouse_dsn, settings.clickhouse_database, **limits.client_settings())
    refused = []
    for statement in ("INSERT INTO otel_traces (TraceId) VALUES ('00')", "ALTER TABLE otel_traces DELETE WHERE 1",
                      "DROP TABLE otel_traces", "CREATE TABLE evil (x UInt8) ENGINE = Memory", "SET readonly = 0",
                      "SET max_result_rows = 0", "SELECT 1 SETTINGS max_execution_time = 1000"):
        try:
            client.query(statement)
        except Exception as exc:
            refused.append((getattr(exc, "code", None), "readonly mode" in str(exc)))
    client.close()
    assert refused == [(164, True)] * 7


def test_several_statements_are_refused_by_the_parser(server):
    response = sql(server, "SELECT 1; DROP TABLE otel_traces")
    assert (response.status_code, response.json()["error"]) == (400, {
        "code": "clickhouse_error",
        "message": "Syntax error (Multi-statements are not allowed): failed at position 9 (end of query): "
                   "; DROP TABLE otel_traces.",
        "clickhouse": {"code": 62, "name": "SYNTAX_ERROR"}})


def test_a_syntax_error_comes_back_with_clickhouses_message(server):
    response = sql(server, "SELEC 1")
    error = response.json()["error"]
    assert (response.status_code, error["code"], error["clickhouse"]) == (
        400, "clickhouse_error", {"code": 62, "name": "SYNTAX_ERROR"})
    assert error["message"].startswith("Syntax error: failed at position 7 (1): 1. Expected one of: ")


def test_a_column_the_driver_cannot_decode_is_400_with_a_way_out(server):
    response = sql(server, "SELECT sumState(1) AS state")
    assert (response.status_code, response.json()["error"]) == (400, {
        "code": "unsupported_type",
        "message": "AggregateFunction(sum, UInt8) deserialization not supported: convert the column in the query, "
                   "e.g. with finalizeAggregation() or toString()"})


def test_an_unknown_table_names_it(server):
    response = sql(server, "SELECT * FROM no_such_table")
    error = response.json()["error"]
    assert (response.status_code, error["clickhouse"]) == (400, {"code": 60, "name": "UNKNOWN_TABLE"})
    assert "'no_such_table'" in error["message"]


def test_a_query_past_the_time_limit_is_stopped_and_answered_504(server_factory):
    server = server_factory(sql_max_execution_s=0.3)
    started = time.monotonic()
    response = sql(server, HEAVY)
    assert time.monotonic() - started < 10
    error = response.json()["error"]
    assert (response.status_code, error["code"], error["clickhouse"]) == (
        504, "query_timeout", {"code": 159, "name": "TIMEOUT_EXCEEDED"})
    assert error["message"].startswith("Timeout exceeded: elapsed ")


def test_a_query_over_the_memory_limit_fails_with_400(server_factory):
    server = server_factory(sql_max_memory_bytes=10_000_000)
    response = sql(server, "SELECT groupArray(number) FROM numbers(10000000)")  # 80 MB of UInt64
    error = response.json()["error"]
    assert (response.status_code, error["code"], error["clickhouse"]) == (
        400, "clickhouse_error", {"code": 241, "name": "MEMORY_LIMIT_EXCEEDED"})
    assert error["message"].startswith("Query memory limit exceeded: ")


def test_trace_lookups_are_answered_while_an_analyst_query_runs(server_factory):
    server = server_factory(sql_max_execution_s=4)
    slow = threading.Thread(target=sql, args=(server, HEAVY))
    slow.start()
    time.sleep(0.5)
    assert httpx.get(f"{server.api}/api/v1/traces/{'ab' * 16}", timeout=30).status_code == 404
    assert httpx.get(f"{server.api}/healthz", timeout=30).status_code == 200
    assert slow.is_alive()  # the analyst query still runs: the lookups did not wait for it
    slow.join()


def running_heavy_queries(query):
    return query("SELECT count() FROM system.processes WHERE query LIKE '%numbers(1000000000000)%' "
                 "AND query NOT LIKE '%system.processes%'")[0][0]


def test_one_query_runs_at_a_time_and_a_request_waits_at_most_the_time_limit(server_factory, query):
    server = server_factory(sql_max_execution_s=2.5)
    answers: dict[str, httpx.Response] = {}

    def send(name):
        answers[name] = sql(server, HEAVY)

    threads = {name: threading.Thread(target=send, args=(name,)) for name in ("first", "second", "third")}
    threads["first"].start()
    deadline = time.monotonic() + 10
    while not running_heavy_queries(query) and time.monotonic() < deadline:
        time.sleep(0.02)
    threads["second"].start()  # waits for the first, then may run
    time.sleep(0.2)
    assert running_heavy_queries(query) == 1  # one at a time
    threads["third"].start()  # behind both: whichever of the two waits for two queries gives up first
    for thread in threads.values():
        thread.join()
    statuses = {name: response.status_code for name, response in answers.items()}
    assert (statuses["first"], sorted([statuses["second"], statuses["third"]])) == (504, [429, 504])
    busy = next(response for response in answers.values() if response.status_code == 429)
    assert (busy.json()["error"]["code"], busy.headers["retry-after"]) == ("sql_busy", "3")


BAD_REQUESTS = [
    (b"SELECT 1", "application/x-www-form-urlencoded", 415, "unsupported_media_type"),  # curl -d
    (b"SELECT 1", None, 415, "unsupported_media_type"),
    (b"{not json", "application/json", 400, "invalid_body"),
    (b'["SELECT 1"]', "application/json", 400, "invalid_body"),
    (b'{"query": ""}', "application/json", 400, "invalid_body"),
    (b'{"query": 1}', "application/json", 400, "invalid_body"),
    (b'{"query": "SELECT 1", "maxRows": 1}', "application/json", 400, "invalid_body"),
    (b'{"query": "SELECT 1", "format": "xml"}', "application/json", 400, "invalid_format"),
    (b'{"query": "SELECT 1", "max_rows": 0}', "application/json", 400, "invalid_max_rows"),
    (b'{"query": "SELECT 1", "max_rows": "ten"}', "application/json", 400, "invalid_max_rows"),
    (b'{"query": "SELECT 1", "max_rows": "\xd9\xa3"}', "application/json", 400, "invalid_max_rows"),  # Arabic 3
    (b'{"query": "SELECT 1", "max_rows": "' + b"9" * 5000 + b'"}', "application/json", 400, "invalid_max_rows"),
    (b"SELECT '\xff'", "text/plain", 400, "invalid_body"),
    (b"SELECT 1 " + b" " * (1 << 20), "text/plain", 413, "body_too_large"),
]


def test_a_bad_request_is_refused_with_a_reason(server):
    answers = []
    for content, content_type, _, _ in BAD_REQUESTS:
        headers = {"Content-Type": content_type} if content_type else {}
        response = httpx.post(f"{server.api}/api/v1/sql", content=content, headers=headers, timeout=30)
        answers.append((content[:40], content_type, response.status_code, response.json()["error"]["code"]))
    assert answers == [(content[:40], content_type, status, code)
                       for content, content_type, status, code in BAD_REQUESTS]


class _DownClient:
    """A client whose server went away after start-up (what a lost ClickHouse server looks like)."""

    def get_client_setting(self, key):
        return "1" if key == "readonly" else None

    def query(self, *args, **kwargs):
        raise OperationalError("Error HTTPConnectionPool(host='ch', port=8123): Connection refused")


def post_in_process(app, body):
    async def post():
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://api") as client:
            return await client.post("/api/v1/sql", json=body)

    return asyncio.run(post())


def test_a_store_that_went_away_is_503():
    app = api.create_app(reader=None, tenant_of=lambda request: "default",
                         sql=AdhocSql(_DownClient(), Limits(30, 100, 1 << 30)))
    response = post_in_process(app, {"query": "SELECT 1"})
    assert (response.status_code, response.json()["error"]["code"]) == (503, "store_unavailable")


def test_the_admin_check_runs_before_the_query():
    from starlette.exceptions import HTTPException

    def deny(request):
        raise HTTPException(403, "ad-hoc SQL needs an admin key")

    app = api.create_app(reader=None, tenant_of=lambda request: "default",
                         sql=AdhocSql(_DownClient(), Limits(30, 100, 1 << 30)), require_admin=deny)
    response = post_in_process(app, {"query": "SELECT 1"})
    assert (response.status_code, response.json()["error"]["message"]) == (403, "ad-hoc SQL needs an admin key")


def test_a_client_without_readonly_is_refused_at_start(settings, store):
    client = connect(settings.clickhouse_dsn, settings.clickhouse_database)
    try:
        with pytest.raises(ConfigError, match="readonly=1"):
            AdhocSql(client, Limits(30, 100, 1 << 30))
    finally:
        client.close()


# --- parameters ------------------------------------------------------------------------------------

def test_parameters_are_bound_by_clickhouse_to_the_placeholders_types(server):
    response = sql(server, "SELECT {tenant:String} AS tenant, {start:DateTime('UTC')} AS start, {day:Date} AS day, "
                           "{n:UInt32} AS n, {ratio:Float64} AS ratio, {flag:Bool} AS flag, {nothing:Nullable(String)} "
                           "AS nothing, {models:Array(String)} AS models, {written:Array(String)} AS written, "
                           "{counts:Map(String, UInt8)} AS counts, {odd:String} AS odd",
                   params={"tenant": "acme", "start": "2025-11-22 00:00:00", "day": "2025-11-22", "n": 7, "ratio": 0.5,
                           "flag": True, "nothing": None, "models": ["gpt-4o", "it's"], "written": "['o3','it\\'s']",
                           "counts": "{'a': 1}", "odd": "a\\b\tc\nd'`\\N"})
    assert response.status_code == 200, response.text
    doc = response.json()
    assert ([column["type"] for column in doc["columns"]], doc["rows"]) == (
        ["String", "DateTime", "Date", "UInt32", "Float64", "Bool", "Nullable(String)", "Array(String)",
         "Array(String)", "Map(String, UInt8)", "String"],
        [["acme", "2025-11-22T00:00:00Z", "2025-11-22", 7, 0.5, True, None, ["gpt-4o", "it's"], ["o3", "it's"],
          {"a": 1}, "a\\b\tc\nd'`\\N"]])


def test_a_parameter_is_a_value_and_never_sql(server, query):
    injections = ["'; DROP TABLE otel_traces; --", "x' OR 1 = 1 --", "1) SETTINGS max_result_rows = 0 --"]
    answers = [sql(server, "SELECT {s:String} AS s", params={"s": text}).json()["rows"] for text in injections]
    assert answers == [[[text]] for text in injections]
    # A parameter named like a setting is a parameter: the session's limit stays.
    doc = sql(server, "SELECT getSetting('max_result_rows') AS limit, {max_result_rows:UInt64} AS p",
              params={"max_result_rows": 0}).json()
    assert doc["rows"] == [[10_000, 0]]
    assert [name for (name,) in query("SHOW TABLES") if name == "otel_traces"] == ["otel_traces"]


def test_the_driver_never_pastes_parameters_into_a_query_without_placeholders(server):
    """clickhouse-connect formats %(name)s itself when a query has no {name:Type}: the text must run as written."""
    doc = sql(server, "SELECT '%(x)s' AS a, '{x:String}' AS b", params={"x": "') OR 1 --"}).json()
    assert doc["rows"] == [["%(x)s", "{x:String}"]]


def test_a_parameter_cannot_reach_a_settings_clause(server):
    answers = {}
    for statement in ("SELECT * FROM (SELECT number FROM numbers(100) SETTINGS max_result_rows = {v:UInt64})",
                      "SELECT * FROM (SELECT number FROM numbers(100) SETTINGS {name:Identifier} = 0)"):
        error = sql(server, statement, params={"v": 0, "name": "max_result_rows"}).json()["error"]
        answers[statement] = (error["code"], error["message"].split(":")[0])
    assert list(answers.values()) == [("statement_not_allowed", "SETTINGS clauses are not allowed (SETTINGS "
                                       "max_result_rows = ...)"), ("clickhouse_error", "Syntax error")]


def test_placeholders_without_a_value_are_400_naming_them(server):
    response = sql(server, "SELECT count() FROM otel_traces WHERE Tenant = {tenant:String} "
                           "AND Timestamp >= {start:DateTime('UTC')} LIMIT {limit:UInt32}", params={"limit": 5})
    assert (response.status_code, response.json()["error"]) == (400, {
        "code": "missing_parameter", "parameters": ["tenant", "start"],
        "message": "no value for the query's {tenant:String}, {start:DateTime('UTC')}: send them in \"params\" "
                   "(spanhouse sql --param tenant=VALUE --param start=VALUE)"})


def test_a_value_clickhouse_cannot_read_as_the_type_is_400_naming_the_parameter(server):
    response = sql(server, "SELECT {n:UInt8} AS n", params={"n": "many"})
    error = response.json()["error"]
    assert (response.status_code, error["code"], error["clickhouse"]) == (
        400, "clickhouse_error", {"code": 457, "name": "BAD_QUERY_PARAMETER"})
    assert error["message"].startswith("Value many cannot be parsed as UInt8 for query parameter 'n'")


BAD_PARAMETERS = [
    ({"params": ["acme"]}, "", "invalid_body", None),
    ({"params": {"m": {"a": 1}}}, "", "invalid_parameter", "m"),
    ({"params": {"no-dash": 1}}, "", "invalid_parameter", "no-dash"),
    ({"params": {"tenant": "a"}}, "?param_tenant=b", "invalid_parameter", "tenant"),
    ({}, "?param_tenant=a&param_tenant=b", "invalid_parameter", "tenant"),
]


def test_a_bad_parameter_is_refused_naming_it(server):
    answers = []
    for fields, url_query, _, _ in BAD_PARAMETERS:
        response = httpx.post(f"{server.api}/api/v1/sql{url_query}", json={"query": "SELECT {tenant:String}", **fields},
                              timeout=30)
        error = response.json()["error"]
        answers.append((response.status_code, error["code"], error.get("parameter")))
    assert answers == [(400, code, name) for _, _, code, name in BAD_PARAMETERS]


def test_parameters_in_the_url_go_with_a_text_body_or_a_json_one(server):
    text = httpx.post(f"{server.api}/api/v1/sql?format=csv&param_tenant=acme&param_models=['a','b']",
                      content="SELECT {tenant:String} AS tenant, {models:Array(String)} AS models",
                      headers={"Content-Type": "text/plain"}, timeout=30)
    assert (text.status_code, text.text) == (200, 'tenant,models\nacme,"[""a"",""b""]"\n')
    doc = httpx.post(f"{server.api}/api/v1/sql?param_tenant=acme", timeout=30,
                     json={"query": "SELECT {tenant:String} AS tenant, {n:UInt8} AS n", "params": {"n": 1}}).json()
    assert doc["rows"] == [["acme", 1]]


def test_the_urls_format_and_max_rows_serve_a_json_body_too(server):
    response = httpx.post(f"{server.api}/api/v1/sql?format=csv&max_rows=2", timeout=30,
                          json={"query": "SELECT number FROM numbers(5)"})
    assert (response.status_code, response.text, response.headers["x-spanhouse-truncated"]) == (
        200, "number\n0\n1\n", "true")


@pytest.mark.parametrize(("url", "body", "message"), [
    ("?format=csv", {"query": "SELECT 1", "format": "json"}, "format is given twice, in the body and in the URL"),
    ("?max_rows=1&max_rows=2", {"query": "SELECT 1"}, "max_rows is given twice in the URL"),
    ("?maxrows=1", {"query": "SELECT 1"}, "unknown URL field maxrows"),
    ("?query=SELECT%202", None, "unknown URL field query"),
])
def test_an_option_given_twice_or_unknown_in_the_url_is_refused_naming_it(server, url, body, message):
    if body is None:
        response = httpx.post(f"{server.api}/api/v1/sql{url}", content="SELECT 1",
                              headers={"Content-Type": "text/plain"}, timeout=30)
    else:
        response = httpx.post(f"{server.api}/api/v1/sql{url}", json=body, timeout=30)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_body"
    assert message in response.json()["error"]["message"]


# --- empty results ---------------------------------------------------------------------------------

def test_an_empty_result_keeps_its_columns_in_every_format(server):
    query = ("SELECT 1 AS a, {name:String} AS b, CAST((1, 'x'), 'Tuple(x UInt8, y String)') AS named, "
             "now64(9) AS at WHERE 0")
    doc = without_timing(sql(server, query, params={"name": "x"}).json())
    assert doc == {"columns": [{"name": "a", "type": "UInt8"}, {"name": "b", "type": "String"},
                               {"name": "named", "type": "Tuple(`x` UInt8, `y` String)"},
                               {"name": "at", "type": "DateTime64(9)"}],
                   "rows": [], "row_count": 0, "truncated": False, "max_rows": 10_000, "rows_read": 0}
    assert sql(server, query, params={"name": "x"}, format="csv").text == "a,b,named,at\n"
    assert sql(server, query, params={"name": "x"}, format="tsv").text == "a\tb\tnamed\tat\n"


def test_an_empty_result_of_a_statement_that_is_not_a_select_keeps_its_columns_too(server):
    doc = sql(server, "SHOW TABLES FROM system LIKE 'nothing%'").json()
    assert (doc["columns"], doc["rows"]) == ([{"name": "name", "type": "String"}], [])


# --- the README's examples -------------------------------------------------------------------------

README = Path(__file__).resolve().parents[2] / "README.md"


def readme_examples() -> list[tuple[str, dict[str, str]]]:
    """(query, parameters) of the README's examples with parameters: each `spanhouse sql "QUERY" --param ...`
    command, each curl body with "params", and each ```sql block whose `-- spanhouse sql --param ... - < file.sql`
    comment says how to run it."""
    text = README.read_text()
    examples = []
    for query, options in re.findall(r'^spanhouse sql "([^"]*)"((?:.*\\\n)*.*)$', text, flags=re.MULTILINE):
        words = shlex.split(options.replace("\\\n", " "))
        if "--param" in words:
            examples.append((query, parse_params(words[i + 1] for i, word in enumerate(words) if word == "--param")))
    for body in re.findall(r"^curl .*\\\n\s+-d '(\{.*?\})'$", text, flags=re.MULTILINE | re.DOTALL):
        fields = json.loads(body)
        if "params" in fields:
            examples.append((fields["query"], fields["params"]))
    for block in re.findall(r"^```sql\n(.*?)^```", text, flags=re.MULTILINE | re.DOTALL):
        if comment := re.search(r"^-- (spanhouse sql --param .*)$", block, flags=re.MULTILINE):
            words = shlex.split(comment.group(1))
            examples.append((block, parse_params(words[i + 1] for i, word in enumerate(words) if word == "--param")))
    return examples


def test_the_readmes_parameterised_queries_run_with_the_parameters_it_shows(server):
    examples = readme_examples()
    answers = [(response.status_code, response.json().get("error"), bool(response.json().get("columns")))
               for response in (sql(server, query, params=params) for query, params in examples)]
    assert answers == [(200, None, True)] * len(examples)
    assert len(examples) >= 3
