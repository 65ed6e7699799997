"""Evidence of the rules over the rollups: the threads and traces of the raw spans that show a
finding, within its window and scope, at most five threads (a trace without a thread stands for
itself). Checked against the incidents the seeded bench injected (tests/detect/test_bench.py)."""

from __future__ import annotations

import pytest

from spanhouse.detect.evidence import LIMIT, with_evidence
from tests.detect.test_bench import EXPECTED, at, found, trace_id


@pytest.mark.parametrize("name", sorted(name for name, incident in EXPECTED.items() if incident.evidence))
def test_a_metric_findings_evidence_is_the_injected_traces(incident_store, name):
    [finding] = found(incident_store, name)
    assert finding.evidence_trace_ids and set(finding.evidence_trace_ids) <= EXPECTED[name].evidence
    assert len(finding.evidence_trace_ids) == len(set(finding.evidence_trace_ids)) <= LIMIT


def test_an_error_rates_evidence_is_its_most_recent_failures(incident_store):
    [finding] = found(incident_store, "error_rate")
    assert finding.evidence_trace_ids == tuple(trace_id(f"err{n}") for n in (59, 58, 57, 56, 55))
    assert finding.evidence_thread_ids == ()  # the failing calls name no thread


def test_a_failing_tools_evidence_names_the_threads_it_failed_in(incident_store):
    [finding] = found(incident_store, "tool_error_rate")
    assert sorted(finding.evidence_thread_ids) == [f"thread-search-{n}" for n in range(4)]
    # the most recent failure of each thread: the last four calls, one per thread
    assert set(finding.evidence_trace_ids) == {trace_id(f"toolerr{n}") for n in (36, 37, 38, 39)}


def test_a_traffic_drops_evidence_is_the_agents_last_threads_before_it(incident_store):
    [finding] = found(incident_store, "traffic_drop")
    last = incident_store.query(
        "SELECT ThreadId, argMax(TraceId, Timestamp) FROM otel_traces "
        "WHERE Tenant = 'default' AND AgentName = 'agent-0' AND ThreadId != '' "
        "AND Timestamp >= {start:DateTime64(3, 'UTC')} AND Timestamp < {end:DateTime64(3, 'UTC')} "
        "GROUP BY ThreadId ORDER BY max(Timestamp) DESC LIMIT 5",
        parameters={"start": at(16), "end": at(18)}).result_rows
    assert list(zip(finding.evidence_thread_ids, finding.evidence_trace_ids, strict=True)) == last
    assert len(last) == LIMIT


def test_rules_that_name_their_thread_keep_their_own_evidence(incident_store):
    [finding] = found(incident_store, "token_spike")
    assert finding.evidence_thread_ids == ("thread-tokens",) and finding.evidence_trace_ids == (trace_id("tok"),)
    assert with_evidence(incident_store, "token_spike", [finding], at(19), at(19, 10)) == [finding]
