"""A redaction pattern runs in linear time when its only unbounded repetition, if any, ends it."""

from __future__ import annotations

import re

import pytest

from spanhouse.normalise.regex_bounds import unbounded_before_the_end


@pytest.mark.parametrize("pattern", [
    r"ACCT-[0-9]{6}",
    r"sk-\w+",  # the run it masks ends the pattern
    r"sk-[A-Za-z0-9]{20,64}",
    r"(?:ghp|gho)_[A-Za-z0-9]{1,255}",
    r"Bearer {1,16}\S+",
    r"(?:secret|token)=[^&\s]+",
    r"EMP(?:[0-9]{4}|X+)",  # a branch ending the pattern may end unbounded
])
def test_bounded_patterns_and_trailing_runs_pass(pattern):
    assert unbounded_before_the_end(pattern) == []


@pytest.mark.parametrize(("pattern", "found"), [
    (r"\d+-key", ["+"]),
    (r"a*@corp\.io", ["*"]),
    (r"x{3,}y", ["{3,}"]),
    (r"(a+)+b", ["+", "+"]),  # nested: exponential
    (r"(a+)+", ["+"]),  # the outer run ends the pattern; the inner one backtracks inside it
    (r"secret-\w+$", ["+"]),  # an anchor after the run is still after it
    (r"(?:key|token)-\w+-end", ["+"]),
    (r"id(?=\w+x)", ["+"]),  # a lookahead scans ahead from every position
    (r"(\w+)=\1", ["+"]),
])
def test_unbounded_repetitions_before_the_end_are_named(pattern, found):
    assert unbounded_before_the_end(pattern) == found


def test_a_pattern_that_does_not_compile_raises_re_error():
    with pytest.raises(re.error):
        unbounded_before_the_end("ACCT-[")
