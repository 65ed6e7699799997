-- Models that reported token usage but have no price (neither from the span nor from the price
-- table), so their cost is NULL rather than a misleading 0. Add them to a prices file
-- (SPANHOUSE_PRICES_FILE) and new spans get a cost. Filter on LastSeen for a recent window.
CREATE VIEW IF NOT EXISTS unpriced_models
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
