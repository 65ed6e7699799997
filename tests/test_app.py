"""Composition root details that change what clients see."""

from __future__ import annotations

import socket

from spanhouse.app import _listen


def test_listeners_disable_nagle_so_keep_alive_responses_are_not_held_for_a_delayed_ack():
    sock = _listen("127.0.0.1", 0)
    try:
        assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 1
    finally:
        sock.close()
