"""The canonical fields against the otel_traces schema: every numeric column's range is its ClickHouse type's."""

from __future__ import annotations

import re
import sys

from spanhouse.normalise.fields import CANONICAL, NUMERIC_RANGES

TYPE_RANGES = {
    "Nullable(UInt32)": (0, 2**32 - 1),
    "Nullable(UInt64)": (0, 2**64 - 1),
    "Nullable(Float64)": (-sys.float_info.max, sys.float_info.max),  # finite only: see fields.NUMERIC_RANGES
}


def test_every_numeric_canonical_column_is_range_checked_against_its_type(query):
    types = dict(query("SELECT name, type FROM system.columns WHERE database = currentDatabase() "
                       "AND table = 'otel_traces'"))
    # scalar numbers only: the UInt128 arrays hold 128-bit digests, in range by construction
    numeric = {field: types[column] for field, (column, _) in CANONICAL.items()
               if re.fullmatch(r"(Nullable\()?(U?Int|Float|Decimal)[0-9(), ]*", types[column])}
    assert {field: TYPE_RANGES.get(kind, kind) for field, kind in numeric.items()} == NUMERIC_RANGES
