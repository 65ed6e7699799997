"""Store-side steps of the benchmark, run in their own process (chDB allows one engine per process)."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from spanhouse.store.client import connect

SQL = Path(__file__).parent / "sql"


def generate(path: str, database: str, rows: int) -> dict[str, float]:
    client = connect(f"chdb://{path}", database)
    text = (SQL / "synthetic_spans.sql").read_text()
    started = time.perf_counter()
    step = 2_100_000  # whole traces per insert keeps memory modest
    for first in range(0, rows, step):
        client.command(text, parameters={"first": first, "rows": min(step, rows - first)})
    return {"seconds": time.perf_counter() - started}


def disk(path: str, database: str) -> dict[str, float]:
    """Spans stored, and bytes on disk of the span table and of the prompt and completion text beside it."""
    client = connect(f"chdb://{path}", database)
    sizes = dict(client.query(
        "SELECT table, sum(bytes_on_disk) FROM system.parts WHERE database = {db:String} "
        "AND table IN ('otel_traces', 'message_content') AND active GROUP BY table",
        parameters={"db": database}).result_rows)
    rows = client.query("SELECT sum(rows) FROM system.parts WHERE database = {db:String} "
                        "AND table = 'otel_traces' AND active", parameters={"db": database}).result_rows[0][0]
    return {"rows": int(rows or 0), "bytes": int(sizes.get("otel_traces", 0)),
            "content_bytes": int(sizes.get("message_content", 0))}


if __name__ == "__main__":
    task, path, database, *rest = sys.argv[1:]
    result = generate(path, database, int(rest[0])) if task == "generate" else disk(path, database)
    print(json.dumps(result))
