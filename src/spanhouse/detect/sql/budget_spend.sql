-- Spend today and this month so far (UTC) per tenant, per tenant and agent, per tenant and model:
-- whole days from the daily rollup, today's hours from the hourly one, this hour's minutes from the
-- minute one, up to `now` (so a backfill sees what was spent by then). `level` says which of the
-- three groupings a row is.
WITH
    toDateTime({now:DateTime64(3, 'UTC')}, 'UTC') AS t_now,
    toDate(t_now, 'UTC') AS today,
    toStartOfMonth(today) AS month_start
SELECT level, tenant, scope_agent AS agent_name, scope_model AS model, sum(spend.today_cost) AS day_cost,
       sum(spend.today_cost) + sum(spend.before_cost) AS month_cost
FROM
(
    SELECT tenant, agent_name, model, 0. AS today_cost, sum(cost_sum) AS before_cost
    FROM daily_metrics_rollup WHERE day >= month_start AND day < today
    GROUP BY tenant, agent_name, model
    UNION ALL
    SELECT tenant, agent_name, model, sum(cost_sum) AS today_cost, 0. AS before_cost
    FROM hourly_metrics_rollup WHERE hour >= toDateTime(today, 'UTC') AND hour < toStartOfHour(t_now)
    GROUP BY tenant, agent_name, model
    UNION ALL
    SELECT tenant, agent_name, model, sum(cost_sum) AS today_cost, 0. AS before_cost
    FROM minute_metrics_rollup WHERE minute >= toStartOfHour(t_now) AND minute < t_now
    GROUP BY tenant, agent_name, model
) AS spend
ARRAY JOIN ['tenant', 'agent', 'model'] AS level
WHERE level = 'tenant' OR (level = 'agent' AND spend.agent_name != '') OR (level = 'model' AND spend.model != '')
GROUP BY level, tenant, if(level = 'agent', spend.agent_name, '') AS scope_agent,
         if(level = 'model', spend.model, '') AS scope_model
