"""`make bench`: one detection pass of every shipped rule over 30 days of rollups for 100 agents.

Generates `--days` days of normal agent traffic for `--agents` agents inside ClickHouse through
the real materialized views (benchmarks/sql/detect_traffic.sql), then times `detect()` at the
end of the range: each rule's query, and the whole pass (best of `--repeat`). The clean traffic
raises (almost) nothing, so the raw-span evidence of the rollup rules is timed apart: one read per
rule type for `--evidence-scopes` agents' findings over the last hour.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from benchmarks.stores import fresh_database
from spanhouse.detect.detectors import detect, run_rule
from spanhouse.detect.evidence import KINDS, with_evidence
from spanhouse.detect.lifecycle import Finding
from spanhouse.detect.rules import Budget, RuleSet, load_rules

SQL = Path(__file__).parent / "sql" / "detect_traffic.sql"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--agents", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--evidence-scopes", type=int, default=10)
    args = parser.parse_args()
    end = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    start = end - timedelta(days=args.days)
    with tempfile.TemporaryDirectory() as scratch:
        client = fresh_database(f"chdb://{scratch}", "detect_bench")
        began = time.perf_counter()
        client.command(SQL.read_text(), parameters={"tenant": "default", "start": start, "days": args.days,
                                                    "agents": args.agents, "gap_agent": -1, "gap_start": start,
                                                    "gap_end": start})
        spans = client.query("SELECT count() FROM otel_traces").result_rows[0][0]
        print(f"generated {spans:,} spans ({args.days} days, {args.agents} agents) in "
              f"{time.perf_counter() - began:.1f} s")
        rules = load_rules()
        rules = RuleSet(rules.rules, (Budget("tenant-monthly", "monthly", 1000.0),
                                      Budget("agent-daily", "daily", 10.0, agent="agent-7")))
        now = end + timedelta(minutes=5)
        for rule in rules.enabled:
            began = time.perf_counter()
            found = run_rule(client, rule, now)
            print(f"  {rule.name:<20} {time.perf_counter() - began:6.3f} s  {len(found)} findings")
        best = float("inf")
        for _ in range(args.repeat):
            began = time.perf_counter()
            findings, _ = detect(client, rules, now)
            best = min(best, time.perf_counter() - began)
        print(f"detection pass, all {len(rules.enabled)} rules + {len(rules.budgets)} budgets: {best:.2f} s "
              f"(best of {args.repeat}), {len(findings)} findings")
        for rule_type, kind in KINDS.items():
            found = [Finding(tenant="default", rule=rule_type, type=rule_type, severity="warning", metric="",
                             method="ratio", observed=0.0, expected=0.0, deviation=0.0, samples=0,
                             window_start=end - timedelta(hours=1), window_end=end, summary="",
                             agent_name=f"agent-{n}", model="gpt-4o" if kind.by_model else "")
                     for n in range(args.evidence_scopes)]
            began = time.perf_counter()
            shown = with_evidence(client, rule_type, found, end - timedelta(hours=1), end)
            print(f"  evidence {rule_type:<20} {time.perf_counter() - began:6.3f} s  "
                  f"{sum(len(f.evidence_trace_ids) for f in shown)} traces for {len(found)} findings")
        client.close()


if __name__ == "__main__":
    main()
