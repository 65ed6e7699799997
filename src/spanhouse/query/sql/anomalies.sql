-- One page of a tenant's anomalies, newest activity first, filtered on their current version.
-- An empty array or string parameter means "any".
SELECT *, count() OVER () AS total
FROM
(
    SELECT * FROM anomalies
    WHERE tenant = {tenant:String} AND first_seen <= {end:DateTime64(3, 'UTC')}
    ORDER BY id, version DESC
    LIMIT 1 BY id
)
WHERE last_seen >= {start:DateTime64(3, 'UTC')}
  AND (empty({statuses:Array(String)}) OR has({statuses:Array(String)}, status))
  AND (empty({severities:Array(String)}) OR has({severities:Array(String)}, severity))
  AND (empty({types:Array(String)}) OR has({types:Array(String)}, type))
  AND ({agent:String} = '' OR agent_name = {agent:String})
  AND ({model:String} = '' OR model = {model:String})
ORDER BY last_seen DESC, id
LIMIT {limit:UInt32} OFFSET {offset:UInt32}
