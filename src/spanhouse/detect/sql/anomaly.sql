-- The current version of one anomaly of one tenant.
SELECT * FROM anomalies
WHERE tenant = {tenant:String} AND id = {id:String}
ORDER BY version DESC
LIMIT 1
