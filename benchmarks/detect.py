"""`make bench`: one detection pass of every shipped rule over 30 days of rollups for 100 agents.

Generates `--days` days of normal agent traffic for `--agents` agents inside ClickHouse through
the real materialized views (benchmarks/sql/detect_traffic.sql), then times `detect()` at the
end of the range: each rule's query, and the whole pass (best of `--repeat`).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from benchmarks.stores import fresh_database
from spanhouse.detect.detectors import detect, run_rule
from spanhouse.detect.rules import Budget, RuleSet, load_rules

SQL = Path(__file__).parent / "sql" / "detect_traffic.sql"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--agents", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=3)
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
        client.close()


if __name__ == "__main__":
    main()
