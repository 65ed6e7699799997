-- The alert attempts (sent or failed; not throttled ones, not test messages) since {since_ms}, oldest
-- first, with the fingerprint of the anomaly each was about: what alert/throttle.py needs to go on
-- with the cooldowns and hourly caps that a restart would otherwise forget. An anomaly no longer in
-- `anomalies` (expired) gives an empty fingerprint; the throttle then keys it by its id.
SELECT
    d.route AS route,
    d.event AS event,
    d.outcome = 'sent' AS sent,
    toUnixTimestamp64Milli(d.at) AS at_ms,
    d.anomaly_id AS anomaly_id,
    ifNull(a.fingerprint, '') AS fingerprint
FROM alert_deliveries AS d
LEFT JOIN
(
    SELECT id, any(fingerprint) AS fingerprint
    FROM anomalies
    WHERE id IN (SELECT anomaly_id FROM alert_deliveries WHERE at >= fromUnixTimestamp64Milli({since_ms:Int64}, 'UTC'))
    GROUP BY id
) AS a ON a.id = d.anomaly_id
WHERE d.at >= fromUnixTimestamp64Milli({since_ms:Int64}, 'UTC')
  AND d.outcome IN ('sent', 'failed')
  AND d.event != 'test'
ORDER BY d.at
SETTINGS join_use_nulls = 1
