"""Linger: an idle writer inserts at once; blocks that arrive during an insert wait for company only
while their oldest is young; a full batch never waits."""

from __future__ import annotations

import pytest

from spanhouse.store.linger import Linger

LINGER = Linger(interval_s=0.1, full_spans=1000)


def test_a_block_reaching_an_idle_writer_is_inserted_at_once():
    assert LINGER.remaining_s(now=5.0, pending_spans=3, oldest_arrival=5.0, last_insert_end=float("-inf")) == 0
    assert LINGER.remaining_s(now=5.0, pending_spans=3, oldest_arrival=5.0, last_insert_end=4.9) == 0


def test_a_lone_block_after_an_insert_is_written_within_one_interval_of_its_arrival():
    waits = [LINGER.remaining_s(now=now, pending_spans=3, oldest_arrival=5.01, last_insert_end=5.0)
             for now in (5.01, 5.06, 5.11, 7.0)]
    assert waits[:2] == pytest.approx([0.1, 0.05])
    assert [wait > 0 for wait in waits] == [True, True, False, False]


def test_blocks_arriving_during_an_insert_wait_for_company_only_while_their_oldest_is_young():
    # The previous insert ran 5.00-5.03 and the oldest pending block came at 5.01.
    assert LINGER.remaining_s(now=5.03, pending_spans=300, oldest_arrival=5.01, last_insert_end=5.03) == (
        pytest.approx(0.08))
    # Under saturation an insert outlasts the interval: what queued meanwhile goes at once.
    assert LINGER.remaining_s(now=5.2, pending_spans=300, oldest_arrival=5.01, last_insert_end=5.2) < 0


def test_a_full_batch_does_not_wait():
    assert LINGER.remaining_s(now=5.03, pending_spans=1000, oldest_arrival=5.03, last_insert_end=5.02) == 0
    assert LINGER.remaining_s(now=5.03, pending_spans=4000, oldest_arrival=5.03, last_insert_end=5.02) == 0


def test_no_interval_means_no_linger():
    assert Linger(0.0, 1000).remaining_s(now=5.03, pending_spans=1, oldest_arrival=5.03, last_insert_end=5.03) == 0
