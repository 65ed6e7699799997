"""Sums of tokens and costs past what JSON readers hold are shown saturated (query/responses.py):
at most 2^63-1 tokens, an overflowed cost (inf) as the largest float, on every endpoint that sums."""

from __future__ import annotations

import sys

import httpx

from spanhouse.query.responses import amount, count
from tests.factories import hex_id
from tests.query.seed import HUGE_WINDOW_NS, send_huge_sums

MAX_COUNT, MAX_AMOUNT = 2**63 - 1, sys.float_info.max


def test_sums_saturate():
    assert [count(n) for n in (0, 2**63 - 1, 2**63, 2**64 + 5)] == [0, MAX_COUNT, MAX_COUNT, MAX_COUNT]
    assert [amount(x) for x in (0.0, 1e300, float("inf"))] == [0.0, 1e300, MAX_AMOUNT]


def test_every_endpoint_that_sums_shows_huge_sums_saturated(server):
    send_huge_sums(server)
    window = {"start": str(HUGE_WINDOW_NS[0]), "end": str(HUGE_WINDOW_NS[1])}

    def get(path: str, **params: str) -> dict:
        response = httpx.get(server.api + path, params=params, timeout=30)
        assert response.status_code == 200, response.text
        return response.json()

    # one trace of 2^63-1 + 611 output tokens; all five together also cost more than a Float64 holds
    totals = get(f"/api/v1/traces/{hex_id(4)}")["totals"]
    assert (totals["output_tokens"], totals["total_tokens"], totals["cost_usd"]) == (MAX_COUNT, MAX_COUNT, 0.75)
    assert get(f"/api/v1/traces/{hex_id(1)}")["totals"]["cost_usd"] == MAX_AMOUNT
    [agent] = get("/api/v1/metrics/agents", **window)["agents"]
    assert (agent["output_tokens"], agent["total_tokens"], agent["cost_usd"]) == (MAX_COUNT, MAX_COUNT, MAX_AMOUNT)
    for group_by in ("model", "agent"):
        costs = get("/api/v1/costs", group_by=group_by, **window)
        assert (costs["total"]["output_tokens"], costs["total"]["cost_usd"]) == (MAX_COUNT, MAX_AMOUNT), group_by
        assert [(group["output_tokens"], group["cost_usd"], group["share"]) for group in costs["groups"]] == [
            (MAX_COUNT, MAX_AMOUNT, 1.0)], group_by
    series = get("/api/v1/metrics/timeseries", measure="output_tokens", bucket="hour", **window)["series"]
    assert [item["total"] for item in series] == [MAX_COUNT]
