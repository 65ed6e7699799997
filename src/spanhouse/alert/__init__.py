"""Alerting: anomalies opened, escalated or resolved -> webhooks (generic JSON or Slack).

Data flow, one module per step:
  routes.py      the routes file (SPANHOUSE_ALERT_ROUTES_FILE), validated once at start; which
                 anomalies go where
  payloads.py    pure: an anomaly change (or a test message) -> the bytes a route's format posts
  throttle.py    cooldown per anomaly and hourly cap per route, on an injected clock
  webhook.py     one POST over urllib, and the retry loop around it (backoff, Retry-After)
  deliveries.py  every outcome (sent, failed, throttled) -> the alert_deliveries table
  alerter.py     the context manager the app enters: the detector hands it changes, a thread of
                 its own delivers them from a bounded queue
A route's URL and headers can hold secrets (a Slack webhook URL is one): they are never logged,
stored or echoed; deliveries name the route.
"""

from __future__ import annotations
