-- One page of a tenant's alert deliveries, newest first. An empty array or string parameter means "any".
SELECT id, at, route, format, anomaly_id, event, outcome, attempts, http_status, detail, count() OVER () AS total
FROM alert_deliveries
WHERE tenant = {tenant:String}
  AND at >= {start:DateTime64(3, 'UTC')} AND at < {end:DateTime64(3, 'UTC')}
  AND ({route:String} = '' OR route = {route:String})
  AND ({anomaly_id:String} = '' OR anomaly_id = {anomaly_id:String})
  AND (empty({outcomes:Array(String)}) OR has({outcomes:Array(String)}, outcome))
  AND (empty({events:Array(String)}) OR has({events:Array(String)}, event))
ORDER BY at DESC, id
LIMIT {limit:UInt32} OFFSET {offset:UInt32}
