-- AI-shaped synthetic spans generated inside ClickHouse, for lookup benchmarks at sizes an
-- ingest run would take minutes to reach: traces of 7 spans (agent, 3 LLM calls with ~500 bytes
-- of prompt text, 2 tools, 1 retrieval) spread over the last 7 days.
INSERT INTO otel_traces (Tenant, Timestamp, TraceId, SpanId, ParentSpanId, SpanName, SpanKind, ServiceName,
                         ResourceAttributes, ScopeName, SpanAttributes, SpanAttributeTypes, Duration, StatusCode,
                         Category, Operation, Provider, RequestModel, InputTokens, OutputTokens, TotalTokens, ThreadId)
SELECT
    'default',
    now64(9) - toIntervalMillisecond(intDiv(number, 7) * 61 % 604800000) + toIntervalMillisecond(number % 7 * 300),
    lower(hex(MD5(concat('trace-', toString(intDiv(number, 7)))))),
    substring(lower(hex(MD5(concat('span-', toString(number))))), 1, 16),
    if(number % 7 = 0, '', substring(lower(hex(MD5(concat('span-', toString(number - number % 7))))), 1, 16)),
    ['invoke_agent planner', 'chat gpt-4o', 'execute_tool search', 'chat gpt-4o', 'retrieval kb',
     'execute_tool lookup', 'chat gpt-4o'][number % 7 + 1],
    if(number % 7 IN (1, 3, 6), 'Client', 'Internal'),
    concat('agent-', toString(intDiv(number, 7) % 20)),
    map('service.name', concat('agent-', toString(intDiv(number, 7) % 20)), 'service.version', '1.0.0'),
    'bench',
    if(number % 7 IN (1, 3, 6),
       map('gen_ai.operation.name', 'chat', 'gen_ai.request.model', 'gpt-4o', 'gen_ai.usage.input_tokens', '812',
           'gen_ai.usage.output_tokens', '64', 'gen_ai.input.messages', randomPrintableASCII(500)),
       map('gen_ai.operation.name', 'execute_tool', 'gen_ai.tool.name', 'search')),
    if(number % 7 IN (1, 3, 6), map('gen_ai.usage.input_tokens', 'int', 'gen_ai.usage.output_tokens', 'int'), map()),
    (number % 997 + 3) * 1000000,
    if(number % 53 = 0, 'Error', 'Unset'),
    if(number % 7 IN (1, 3, 6), 'LLM', if(number % 7 = 0, 'AGENT', 'TOOL')),
    if(number % 7 IN (1, 3, 6), 'chat', 'execute_tool'),
    if(number % 7 IN (1, 3, 6), 'openai', ''),
    if(number % 7 IN (1, 3, 6), 'gpt-4o', ''),
    if(number % 7 IN (1, 3, 6), 812, NULL),
    if(number % 7 IN (1, 3, 6), 64, NULL),
    if(number % 7 IN (1, 3, 6), 876, NULL),
    concat('thread-', toString(intDiv(number, 35)))
FROM numbers({first:UInt64}, {rows:UInt64})
