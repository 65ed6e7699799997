"""Self time and the critical path: worked examples, and invariants over random span trees."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from spanhouse.query.critical_path import critical_path, self_time_ns


def path(spans: dict[str, tuple[str | None, int, int]]):
    """critical_path of {span id: (parent, start, end)}; the tree is the parent pointers."""
    children: dict[str, list[str]] = {span_id: [] for span_id in spans}
    roots = []
    for span_id, (parent, _, _) in spans.items():
        (children[parent] if parent else roots).append(span_id)
    order: list[str] = []
    stack = list(reversed(roots))
    while stack:
        span_id = stack.pop()
        order.append(span_id)
        stack.extend(reversed(children[span_id]))
    intervals = {span_id: (start, end) for span_id, (_, start, end) in spans.items()}
    return critical_path(intervals, children, roots, order)


def test_sequential_children_are_all_on_the_path_with_the_parent_owning_the_gaps():
    result = path({"root": (None, 0, 100), "a": ("root", 10, 30), "b": ("root", 30, 60), "c": ("root", 60, 90)})
    assert result.attributed_ns == {"root": 20, "a": 20, "b": 30, "c": 30}
    assert result.gaps_ns == 0


def test_of_parallel_children_only_the_one_ending_last_is_on_the_path():
    result = path({"root": (None, 0, 100), "slow": ("root", 10, 90), "fast": ("root", 10, 50)})
    assert result.attributed_ns == {"root": 20, "slow": 80}


def test_an_async_child_that_outlives_its_parent_determines_the_end():
    """The child started at 20 and ended at 120, after its parent (0-50): the trace waited for it.
    Before it started, the sibling running at the time (10-40) was on the path."""
    result = path({"root": (None, 0, 50), "sync": ("root", 10, 40), "async": ("root", 20, 120)})
    assert result.attributed_ns == {"root": 10, "sync": 10, "async": 100}
    assert sum(result.attributed_ns.values()) == 120


def test_a_grandchild_outliving_its_parent_extends_the_parents_reach():
    result = path({"root": (None, 0, 100), "a": ("root", 0, 50), "g": ("a", 40, 90), "b": ("root", 10, 60)})
    assert result.attributed_ns == {"root": 10, "a": 40, "g": 50}


def test_several_roots_and_the_gaps_between_them():
    result = path({"r1": (None, 0, 10), "r2": (None, 20, 30)})
    assert (result.attributed_ns, result.gaps_ns) == ({"r1": 10, "r2": 10}, 10)


def test_a_deep_chain_does_not_hit_the_recursion_limit():
    spans = {"s0": (None, 0, 10_000)} | {f"s{i}": (f"s{i - 1}", i, 10_000 - i) for i in range(1, 5000)}
    result = path(spans)
    assert len(result.attributed_ns) == 5000 and sum(result.attributed_ns.values()) == 10_000


def test_self_time_subtracts_the_union_of_children_clipped_to_the_span():
    assert self_time_ns((0, 100), [(10, 30), (20, 50), (90, 120)]) == 50  # [10, 50] and [90, 100] covered
    assert self_time_ns((0, 100), [(150, 160), (-20, -10)]) == 100  # wholly outside
    assert self_time_ns((0, 100), [(0, 100), (10, 20)]) == 0
    assert self_time_ns((5, 5), []) == 0


@st.composite
def trees(draw):
    size = draw(st.integers(1, 40))
    spans: dict[str, tuple[str | None, int, int]] = {}
    for n in range(size):
        parent = None if n == 0 or draw(st.integers(0, 9)) == 0 else f"s{draw(st.integers(0, n - 1))}"
        start = draw(st.integers(0, 1000))
        spans[f"s{n}"] = (parent, start, start + draw(st.integers(0, 300)))
    return spans


@settings(max_examples=300, deadline=None)
@given(trees())
def test_the_path_covers_the_wall_time_exactly_and_is_connected(spans):
    result = path(spans)
    start = min(s for _, s, _ in spans.values())
    reach = {span_id: end for span_id, (_, _, end) in spans.items()}
    for span_id in sorted(spans, key=lambda i: -int(i[1:])):  # children have higher numbers than parents
        parent = spans[span_id][0]
        if parent:
            reach[parent] = max(reach[parent], reach[span_id])
    assert sum(result.attributed_ns.values()) + result.gaps_ns == max(reach.values()) - start
    assert all(value >= 0 for value in result.attributed_ns.values()) and result.gaps_ns >= 0
    for span_id in result.attributed_ns:
        parent = spans[span_id][0]
        assert parent is None or parent in result.attributed_ns
    # the span that ends last (unless it has no duration: it has no time to give the path) is on it
    last = max(spans, key=lambda i: (spans[i][2], spans[i][2] - spans[i][1]))
    if spans[last][2] > spans[last][1]:
        assert any(spans[i][2] == spans[last][2] for i in result.attributed_ns)
