"""Opening the store: the error a user gets when the embedded store is held by another process."""

from __future__ import annotations

import subprocess
import sys

import pytest

from spanhouse.errors import StoreError
from spanhouse.store.client import connect

HOLD = """
import sys
from spanhouse.store.client import connect
client = connect(sys.argv[1])  # held until stdin closes
client.query("SELECT 1")
print("open", flush=True)
sys.stdin.read()
"""


def test_a_store_held_by_another_process_is_named_with_its_pid_and_what_to_do(tmp_path):
    dsn = f"chdb://{tmp_path / 'data'}"
    holder = subprocess.Popen([sys.executable, "-c", HOLD, dsn], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              stderr=subprocess.DEVNULL, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "open\n"
        with pytest.raises(StoreError) as refused:
            connect(dsn)
    finally:
        holder.communicate("", timeout=60)
    message = str(refused.value)
    assert f"the embedded store {tmp_path / 'data'} is in use by another process (PID {holder.pid})" in message
    assert "Stop that process first" in message and "spanhouse sql" in message
    # free again once the holder has exited (checked in a process of its own: this one may hold another store)
    reopen = subprocess.run([sys.executable, "-c", HOLD, dsn], input="", capture_output=True, text=True, timeout=60)
    assert reopen.stdout == "open\n"
