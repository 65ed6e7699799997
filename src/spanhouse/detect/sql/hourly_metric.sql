-- One metric per agent (and model, when {by_model:UInt8}) over the last complete hour, against
-- the same hour of day on each day of the baseline (so daily patterns cancel out), and the hour
-- before (for rate of change). {metric:String} picks the metric: p95_latency_ms (LLM spans),
-- cost_usd, or calls (spans of the agent). Agents absent from the observed hour count as 0,
-- which is what a traffic drop looks like.
-- Day of week: when the baseline holds at least {weekday_min:UInt32} (> 0) hours on the same
-- weekday and hour as the observed one, each with at least {min_samples:UInt32} spans, those
-- hours alone are the baseline (so a weekend that always differs from the week does not look
-- like an anomaly); otherwise every day's same hour is. `baseline_kind` says which was used.
-- An agent with no baseline hour yet (a new store, a new agent) answers baseline_points 0 with
-- mean, std and (for calls) samples 0: avg and stddev of no rows would be NaN, which toUInt64
-- refuses (ClickHouse computes both branches of if()), and the rule would not be judged anyway.
WITH
    toStartOfHour(toDateTime({now:DateTime64(3, 'UTC')}, 'UTC')) AS t_end,
    t_end - INTERVAL 1 HOUR AS t_start,
    t_start - INTERVAL 1 HOUR AS t_previous,
    t_start - toIntervalSecond({baseline_s:UInt32}) AS b_start
SELECT
    tenant, agent_name, model, '' AS tool_name, '' AS thread_id, '' AS trace_id,
    sumIf(value, hour = t_start) AS observed,
    countIf(is_weekday) AS weekday_points,
    {weekday_min:UInt32} > 0 AND weekday_points >= {weekday_min:UInt32} AS by_weekday,
    if(by_weekday, 'weekday_hour', 'hour_of_day') AS baseline_kind,
    if(by_weekday, avgOrDefaultIf(value, is_weekday), avgOrDefaultIf(value, is_base)) AS mean,
    if(by_weekday, stddevPopOrDefaultIf(value, is_weekday), stddevPopOrDefaultIf(value, is_base)) AS std,
    toUInt64(if({metric:String} = 'calls', mean, sumIf(spans, hour = t_start))) AS samples,
    sumIf(value, hour = t_previous) AS previous,
    if(by_weekday, weekday_points, countIf(is_base)) AS baseline_points,
    CAST([] AS Array(String)) AS evidence_threads,
    CAST([] AS Array(String)) AS evidence_traces
FROM
(
    SELECT
        r.tenant AS tenant, r.hour AS hour, r.agent_name AS agent_name,
        if({by_model:UInt8}, r.model, '') AS model,
        sum(r.span_count) AS spans,
        multiIf({metric:String} = 'p95_latency_ms', quantilesBFloat16Merge(0.5, 0.95, 0.99)(r.duration_ms_quantiles)[2],
                {metric:String} = 'cost_usd', sum(r.cost_sum),
                toFloat64(sum(r.span_count))) AS value,
        r.hour < t_previous AS is_base,
        is_base AND toDayOfWeek(r.hour) = toDayOfWeek(t_start) AND spans >= {min_samples:UInt32} AS is_weekday
    FROM hourly_metrics_rollup AS r
    WHERE (r.hour IN (t_start, t_previous) OR (r.hour >= b_start AND r.hour < t_previous AND toHour(r.hour) = toHour(t_start)))
      AND r.agent_name != ''
      AND ({metric:String} != 'p95_latency_ms' OR r.category = 'LLM')
    GROUP BY tenant, hour, agent_name, model
)
GROUP BY tenant, agent_name, model
