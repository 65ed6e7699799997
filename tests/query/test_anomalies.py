"""GET /api/v1/anomalies takes the parameters it documents, each once, like every other list
(the routes' behaviour on anomalies is tested in tests/detect/test_api.py)."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize(("params", "parameter"), [
    ({"foo": "bar"}, "foo"),
    ({"severities": "critical"}, "severities"),  # misspelt: would have listed every severity
    ([("status", "OPEN"), ("status", "RESOLVED")], "status"),
    ([("limit", "5"), ("limit", "500")], "limit"),
])
def test_an_unknown_or_repeated_parameter_is_400_naming_it(seeded, params, parameter):
    response = seeded.get("/api/v1/anomalies", params)
    assert response.status_code == 400, response.text
    assert (response.json()["error"]["code"], response.json()["error"]["parameter"]) == ("invalid_parameter",
                                                                                        parameter)


def test_every_documented_parameter_is_taken(seeded):
    response = seeded.get("/api/v1/anomalies", {
        "status": "OPEN,RESOLVED", "severity": "critical", "type": "error_rate", "agent": "a", "model": "m",
        "start": "-1d", "end": "now", "limit": "5", "offset": "0"})
    assert (response.status_code, response.json()["anomalies"]) == (200, [])


def test_nothing_found_is_a_total_of_0_and_a_page_past_the_end_an_unknown_total(seeded):
    empty = seeded.get("/api/v1/anomalies", {"type": "error_rate"}).json()
    assert (empty["anomalies"], empty["total"], empty["next_offset"]) == ([], 0, None)
    past = seeded.get("/api/v1/anomalies", {"offset": "100"}).json()
    assert (past["anomalies"], past["total"]) == ([], None)
