-- Models that reported token usage but have no price (neither from the span nor from the price
-- table), so their cost is NULL rather than a misleading 0. Add them to a prices file
-- (SPANHOUSE_PRICES_FILE) and new spans get a cost. Filter on LastSeen for a recent window.
-- Replaces the view of 0008 with the same query and a commented column list, so DESCRIBE
-- explains it (OR REPLACE: re-running it is harmless).
CREATE OR REPLACE VIEW unpriced_models
(
    Tenant LowCardinality(String) COMMENT 'Tenant',
    Provider LowCardinality(String) COMMENT 'Provider of the model',
    Model String COMMENT 'ResponseModel, else RequestModel',
    Spans UInt64 COMMENT 'Spans with token usage and no cost',
    InputTokens UInt64 COMMENT 'Their input tokens',
    OutputTokens UInt64 COMMENT 'Their output tokens',
    FirstSeen DateTime64(9) COMMENT 'Earliest such span start',
    LastSeen DateTime64(9) COMMENT 'Latest such span start'
)
AS SELECT
    Tenant,
    Provider,
    if(span.ResponseModel != '', span.ResponseModel, span.RequestModel) AS Model,
    count() AS Spans,
    sum(ifNull(span.InputTokens, 0)) AS InputTokens,
    sum(ifNull(span.OutputTokens, 0)) AS OutputTokens,
    min(span.Timestamp) AS FirstSeen,
    max(span.Timestamp) AS LastSeen
FROM otel_traces AS span
WHERE span.TotalCost IS NULL
  AND (span.InputTokens IS NOT NULL OR span.OutputTokens IS NOT NULL)
  AND (span.ResponseModel != '' OR span.RequestModel != '')
GROUP BY Tenant, Provider, Model
COMMENT 'Models with token usage but no price: their spans have NULL cost'
