-- The current version of every anomaly whose condition the detector still sees, all tenants.
SELECT *
FROM
(
    SELECT * FROM anomalies ORDER BY id, version DESC LIMIT 1 BY id
)
WHERE condition_active
