SELECT at, actor, from_status, to_status, note
FROM anomaly_history
WHERE tenant = {tenant:String} AND anomaly_id = {id:String}
ORDER BY at, to_status
