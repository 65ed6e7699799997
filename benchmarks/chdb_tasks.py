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
    client = connect(f"chdb://{path}", database)
    rows, size = client.query(
        "SELECT sum(rows), sum(bytes_on_disk) FROM system.parts WHERE database = {db:String} "
        "AND table = 'otel_traces' AND active", parameters={"db": database}).result_rows[0]
    return {"rows": int(rows or 0), "bytes": int(size or 0)}


if __name__ == "__main__":
    task, path, database, *rest = sys.argv[1:]
    result = generate(path, database, int(rest[0])) if task == "generate" else disk(path, database)
    print(json.dumps(result))
