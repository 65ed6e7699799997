"""OpenLIT: OTel GenAI names (genai.py) plus its own `gen_ai.*` extras.

Source: openlit 1.45 `openlit/semcov/__init__.py`, `openlit/__helpers.py` (reference §6d). OpenLIT
reports a cost it computes from a pricing file (`gen_ai.usage.cost`), the total token count
under a metric name (`gen_ai.client.token.usage`), server-side latencies, and legacy retrieval
and tool attributes. It repeats resource attributes (`service.name`, `telemetry.sdk.name`) on
every span, including non-AI ones, so those mark nothing. It also reports request defaults as
if they had been sent (`seed=0`, `top_p=1.0`, §9.15); only temperature and max tokens are read.
"""

from __future__ import annotations

from spanhouse.normalise import values
from spanhouse.normalise.fields import Fields
from spanhouse.normalise.table import Row, SpanView, Table

NAME = "openlit"

COST = "gen_ai.usage.cost"

TABLE = Table((
    Row(COST, "total_cost", values.amount, "USD, OpenLIT's own pricing; cost_source = span:gen_ai.usage.cost"),
    Row("gen_ai.client.token.usage", "total_tokens", values.count, "a metric name used as a span attribute"),
    Row("gen_ai.server.time_to_first_token", "time_to_first_token_ms", values.seconds_to_ms, "seconds -> ms"),
    Row("gen_ai.request.user", "user_id", values.text, "OpenAI `user` request parameter"),
    Row("gen_ai.retrieval.query", "retrieval_query", values.text, "legacy"),
    Row("gen_ai.retrieval.document_count", "document_count", values.count, "legacy"),
    Row("gen_ai.data_source_count", "document_count", values.count),
    Row("gen_ai.tool.args", "tool_arguments", values.text),
    Row("gen_ai.tool.input", "tool_arguments", values.text),
    Row("gen_ai.tool.output", "tool_result", values.text),
    Row("gen_ai.sdk.version", "", None, "marks the span"),
))


def extract(span: SpanView) -> Fields | None:
    """Canonical fields from OpenLIT's extra attributes, or None when the span has none."""
    if TABLE.markers.isdisjoint(span.keys):
        return None
    fields = TABLE.read(span)
    if "total_cost" in fields:
        fields["cost_source"] = "span:" + COST
    return fields
