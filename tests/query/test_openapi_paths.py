"""The OpenAPI path items of the trace and thread endpoints describe what the routes serve: every
route, every accepted parameter (and no other), a JSON schema for every answer."""

from __future__ import annotations

import re

import pytest

from spanhouse.query import search, threads
from tests.query.schema_check import errors

MODULES = {"search": (search, search.PARAMETERS), "threads": (threads, threads.LIST_PARAMETERS)}


@pytest.mark.parametrize("name", sorted(MODULES))
def test_every_route_is_described_and_every_answer_has_a_schema(name):
    module, _ = MODULES[name]
    served = {re.sub(r":\w+}", "}", route.path) for route in module.routes(None, lambda request: "t")}
    assert served <= set(module.OPENAPI)
    for path, item in module.OPENAPI.items():
        operation = item["get"]
        assert operation["operationId"] and operation["summary"]
        in_path = set(re.findall(r"{(\w+)}", path))
        assert {p["name"] for p in operation["parameters"] if p["in"] == "path"} == in_path
        for parameter in operation["parameters"]:
            assert set(parameter) >= {"name", "in", "schema"} and parameter["in"] in ("path", "query")
            assert errors("", parameter["schema"]) is not None  # only keywords the checker knows
        for status, response in operation["responses"].items():
            assert status.isdigit() and response["description"]
            assert errors({}, response["content"]["application/json"]["schema"]) is not None


@pytest.mark.parametrize("name", sorted(MODULES))
def test_the_list_parameters_described_are_the_ones_accepted(name):
    module, accepted = MODULES[name]
    path = "/api/v1/traces" if name == "search" else "/api/v1/threads"
    assert {p["name"] for p in module.OPENAPI[path]["get"]["parameters"]} == set(accepted)
    detail = module.OPENAPI["/api/v1/threads/{thread_id}"]["get"] if name == "threads" else None
    if detail:
        assert {p["name"] for p in detail["parameters"] if p["in"] == "query"} == set(threads.THREAD_PARAMETERS)
