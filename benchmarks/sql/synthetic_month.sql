-- AI-shaped spans over the last 30 days, generated inside ClickHouse (an ingest run would take
-- too long to reach these sizes), through the real materialized views: traces of 7 spans
-- (agent, 3 LLM calls, 2 tools, 1 retrieval), 20 services, 5 agents, 4 models, 2% errors.
INSERT INTO otel_traces (Tenant, Timestamp, TraceId, SpanId, ParentSpanId, SpanName, SpanKind, ServiceName,
                         ScopeName, Duration, StatusCode, Category, Operation, Provider, RequestModel,
                         InputTokens, OutputTokens, TotalTokens, TotalCost, ThreadId, UserId, AgentName, ToolName)
SELECT
    'default',
    now64(9) - toIntervalMillisecond(intDiv(number, 7) * 7919 % 2592000000) + toIntervalMillisecond(number % 7 * 300),
    lower(hex(MD5(concat('trace-', toString(intDiv(number, 7)))))),
    substring(lower(hex(MD5(concat('span-', toString(number))))), 1, 16),
    if(number % 7 = 0, '', substring(lower(hex(MD5(concat('span-', toString(number - number % 7))))), 1, 16)),
    ['invoke_agent', 'chat', 'execute_tool', 'chat', 'retrieval', 'execute_tool', 'chat'][number % 7 + 1],
    if(number % 7 IN (1, 3, 6), 'Client', 'Internal'),
    concat('service-', toString(intDiv(number, 7) % 20)),
    'bench',
    (number % 997 + 3) * 1000000,
    if(number % 50 = 0, 'Error', 'Unset'),
    ['AGENT', 'LLM', 'TOOL', 'LLM', 'RETRIEVAL', 'TOOL', 'LLM'][number % 7 + 1],
    ['invoke_agent', 'chat', 'execute_tool', 'chat', 'retrieval', 'execute_tool', 'chat'][number % 7 + 1],
    if(number % 7 IN (1, 3, 6), 'openai', ''),
    if(number % 7 IN (1, 3, 6), ['gpt-4o', 'gpt-4o-mini', 'o3-mini', 'gpt-4.1'][intDiv(number, 7) % 4 + 1], ''),
    if(number % 7 IN (1, 3, 6), 812, NULL),
    if(number % 7 IN (1, 3, 6), 64, NULL),
    if(number % 7 IN (1, 3, 6), 876, NULL),
    if(number % 7 IN (1, 3, 6), 0.0027, NULL),
    if(number % 7 = 0, concat('thread-', toString(intDiv(number, 35))), ''),
    if(number % 7 = 0, concat('user-', toString(intDiv(number, 70) % 5000)), ''),
    if(number % 7 = 0, ['planner', 'researcher', 'writer', 'critic', 'router'][intDiv(number, 7) % 5 + 1], ''),
    if(number % 7 IN (2, 5), ['search', 'lookup'][number % 2 + 1], '')
FROM numbers({first:UInt64}, {rows:UInt64})
