-- Normal agent traffic for the anomaly detector's test bench and benchmark, generated inside
-- ClickHouse through the real materialized views (so every rollup is filled as ingest fills it).
-- {agents} agents (agent-0 ...), a turn every 2 minutes per agent, kept with a daily pattern (busy
-- 08:00-20:00 UTC, a third of it at night) and a weekly one (70% on Saturday and Sunday, when the
-- LLM calls take 4 times as long: a weekend a day-of-week-unaware latency baseline would flag). A
-- turn is one trace of 4 spans: the agent span (naming the thread: three consecutive turns of an
-- agent form one thread), an LLM call, a `search` tool call, an LLM call; 1% of first LLM calls fail.
-- Agent {gap_agent} sends nothing in [gap_start, gap_end) (a traffic drop; -1 for none).
INSERT INTO otel_traces (Tenant, Timestamp, TraceId, SpanId, ParentSpanId, SpanName, SpanKind, ServiceName,
                         ScopeName, Duration, StatusCode, Category, Operation, Provider, RequestModel,
                         InputTokens, OutputTokens, TotalTokens, TotalCost, ThreadId, AgentName, ToolName)
SELECT
    {tenant:String},
    ts + toIntervalMillisecond(k * 1500),
    lower(hex(MD5(concat('turn-', toString(turn))))),
    substring(lower(hex(MD5(concat('span-', toString(turn), '-', toString(k))))), 1, 16),
    if(k = 0, '', substring(lower(hex(MD5(concat('span-', toString(turn), '-0')))), 1, 16)),
    ['invoke_agent', 'chat gpt-4o', 'execute_tool search', 'chat gpt-4o'][k + 1],
    if(k IN (1, 3), 'Client', 'Internal'),
    'bench-app',
    'bench',
    toUInt64(multiIf(k = 0, 6000, k = 2, 100 + cityHash64(turn, k) % 100,
                     (300 + cityHash64(turn, k) % 900) * if(toDayOfWeek(ts) >= 6, 4, 1))) * 1000000,
    if(k = 1 AND cityHash64(turn, 3) % 100 = 0, 'Error', 'Unset'),
    ['AGENT', 'LLM', 'TOOL', 'LLM'][k + 1],
    ['invoke_agent', 'chat', 'execute_tool', 'chat'][k + 1],
    if(k IN (1, 3), 'openai', ''),
    if(k IN (1, 3), 'gpt-4o', ''),
    if(k IN (1, 3), 800 + cityHash64(turn, k) % 200, NULL),
    if(k IN (1, 3), 100, NULL),
    if(k IN (1, 3), 900 + cityHash64(turn, k) % 200, NULL),
    if(k IN (1, 3), 0.003, NULL),
    if(k = 0, concat('thread-', toString(agent), '-', toString(intDiv(slot, 3))), ''),
    concat('agent-', toString(agent)),
    if(k = 2, 'search', '')
FROM
(
    SELECT
        number AS turn,
        intDiv(number, {agents:UInt32}) AS slot,
        number % {agents:UInt32} AS agent,
        {start:DateTime64(3, 'UTC')} + toIntervalSecond(slot * 120 + cityHash64(number, 1) % 60) AS ts
    FROM numbers({days:UInt32} * 720 * {agents:UInt32})
    WHERE cityHash64(number, 2) % 100 < if(toHour(ts) BETWEEN 8 AND 19, 100, 35) * if(toDayOfWeek(ts) >= 6, 0.7, 1)
      AND NOT (toInt64(agent) = {gap_agent:Int64} AND ts >= {gap_start:DateTime64(3, 'UTC')}
               AND ts < {gap_end:DateTime64(3, 'UTC')})
)
ARRAY JOIN range(4) AS k
