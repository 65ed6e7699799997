"""GET /api/v1/alerts/deliveries takes the parameters it documents, each once, like every other list
(the routes' behaviour on deliveries is tested in tests/alert/test_api.py)."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize(("params", "parameter"), [
    ({"foo": "bar"}, "foo"),
    ({"outcomes": "failed"}, "outcomes"),  # misspelt: would have listed every outcome
    ([("outcome", "sent"), ("outcome", "failed")], "outcome"),
    ([("route", "a"), ("route", "b")], "route"),
])
def test_an_unknown_or_repeated_parameter_is_400_naming_it(seeded, params, parameter):
    response = seeded.get("/api/v1/alerts/deliveries", params)
    assert response.status_code == 400, response.text
    assert (response.json()["error"]["code"], response.json()["error"]["parameter"]) == ("invalid_parameter",
                                                                                        parameter)


def test_every_documented_parameter_is_taken(seeded):
    response = seeded.get("/api/v1/alerts/deliveries", {
        "route": "oncall", "outcome": "sent,failed", "event": "opened", "anomaly_id": "ab" * 16, "start": "-1d",
        "end": "now", "limit": "5", "offset": "0"})
    assert (response.status_code, response.json()["deliveries"]) == (200, [])
