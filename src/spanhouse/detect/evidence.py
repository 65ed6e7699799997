"""Trace evidence for the rules that read the rollups: the threads and traces that show a finding.

The rollups say that an agent's error rate, latency, cost or traffic went wrong, not where to
look. For those rules the detector reads the raw spans once per rule run, only when the rule
found something, bounded by the finding's window (traffic drops: and the hour before it, where
the last calls were) and by the breached scopes, at most `LIMIT` threads per scope
(sql/evidence.sql says how each kind ranks them). Rules that already name their thread or trace
(slow_thread, token_spike, runaway_loop) bring their own evidence.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from clickhouse_connect.driver.client import Client

from spanhouse.detect import sql
from spanhouse.detect.lifecycle import Finding
from spanhouse.store.client import map_error

LIMIT = 5

Scope = tuple[str, str, str, str]  # tenant, agent, model, tool


@dataclass(frozen=True, slots=True)
class Kind:
    """How one rule type's evidence is found (see sql/evidence.sql)."""

    name: str
    by_model: bool  # the rule's scope has a model (else '' stands for every model)
    by_tool: bool
    lookback: timedelta = timedelta(0)  # also read this long before the window


KINDS: Mapping[str, Kind] = {
    "error_rate": Kind("errors", by_model=True, by_tool=True),
    "latency_regression": Kind("slowest", by_model=True, by_tool=False),
    "cost_spike": Kind("costliest", by_model=False, by_tool=False),
    "traffic_drop": Kind("recent", by_model=False, by_tool=False, lookback=timedelta(hours=1)),
}


def with_evidence(client: Client, rule_type: str, findings: Sequence[Finding], start: datetime,
                  end: datetime) -> list[Finding]:
    """`findings` (all of one rule run, so of one window) with their evidence thread and trace ids."""
    kind = KINDS.get(rule_type)
    if kind is None or not findings:
        return list(findings)
    scopes = sorted({_scope(finding) for finding in findings})
    parameters: dict[str, Any] = {
        "kind": kind.name, "match_model": int(kind.by_model), "match_tool": int(kind.by_tool),
        "start": start - kind.lookback, "end": end, "limit": LIMIT, "scopes": scopes,
        "tenants": sorted({scope[0] for scope in scopes}), "agents": sorted({scope[1] for scope in scopes}),
    }
    try:
        result = client.query(sql.load("evidence"), parameters=parameters)
    except Exception as exc:
        raise map_error(exc, f"read the evidence of {rule_type}") from exc
    threads: dict[Scope, list[str]] = {}
    traces: dict[Scope, list[str]] = {}
    for tenant, agent, model, tool, _key, thread, trace, _rank in result.result_rows:
        scope = (tenant, agent, model, tool)
        if thread:
            threads.setdefault(scope, []).append(thread)
        traces.setdefault(scope, []).append(trace)
    return [dataclasses.replace(finding, evidence_thread_ids=tuple(threads.get(_scope(finding), ())),
                                evidence_trace_ids=tuple(traces.get(_scope(finding), ())))
            for finding in findings]


def _scope(finding: Finding) -> Scope:
    return finding.tenant, finding.agent_name, finding.model, finding.tool_name
