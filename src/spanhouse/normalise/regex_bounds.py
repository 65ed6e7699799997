"""Which repetitions of a regular expression can make redaction time grow faster than a value.

Redaction scans every content value with every pattern, and values are as long as clients send
(raw attributes are not cut). A match attempt that may run to the end of the value from every
start position costs time quadratic in its length: `\\d+-key` over a megabyte of digits takes
minutes, and nested repetitions like `(a+)+b` exponential time. A repetition with an upper bound
(`{1,64}`) keeps each attempt to a bounded number of characters; one that ends the pattern is
harmless too, since it consumes what it masks and the scan resumes after it. So a pattern whose
only unbounded repetition, if any, is its last item runs in time linear in the value's length.
"""

from __future__ import annotations

# The parse tree of a pattern, stable since Python 3.11. Typeshed describes only the deprecated
# aliases (sre_parse, sre_constants), whose import warns.
from re import _constants as sre  # type: ignore[attr-defined]
from re import _parser as sre_parse  # type: ignore[attr-defined]

_REPEATS = (sre.MAX_REPEAT, sre.MIN_REPEAT, sre.POSSESSIVE_REPEAT)


def unbounded_before_the_end(pattern: str) -> list[str]:
    """The repetitions without an upper bound in `pattern` that do not end it, as written: `['+', '*', '{3,}']`.

    Raises re.error for a pattern that does not compile.
    """
    return _walk(sre_parse.parse(pattern), at_end=True)


def _walk(items: sre_parse.SubPattern, at_end: bool) -> list[str]:
    found = []
    for position, (op, argument) in enumerate(items):
        last = at_end and position == len(items) - 1
        if op in _REPEATS:
            low, high, inner = argument
            if high == sre.MAXREPEAT and not last:
                found.append({0: "*", 1: "+"}.get(low, f"{{{low},}}"))
            found += _walk(inner, False)
        elif op == sre.SUBPATTERN:
            found += _walk(argument[-1], last)
        elif op == sre.ATOMIC_GROUP:
            found += _walk(argument, last)
        elif op == sre.BRANCH:
            for branch in argument[1]:
                found += _walk(branch, last)
        elif op in (sre.ASSERT, sre.ASSERT_NOT):
            found += _walk(argument[1], False)
    return found
