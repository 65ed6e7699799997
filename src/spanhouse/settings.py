"""Configuration: the only module that reads the environment or the TOML file.

Precedence, lowest to highest: the defaults below, the TOML file named by `--config`
(top-level keys, the setting names in lower case), then `SPANHOUSE_*` environment variables.
Every component receives the frozen `Settings` (or the values it needs) through its constructor.
"""

from __future__ import annotations

import dataclasses
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from spanhouse.errors import ConfigError
from spanhouse.normalise.regex_bounds import unbounded_before_the_end
from spanhouse.store.retention import Retention

ENV_PREFIX = "SPANHOUSE_"


def _setting(default: Any, doc: str) -> Any:
    return field(default=default, metadata={"doc": doc})


@dataclass(frozen=True, slots=True)
class Settings:
    clickhouse_dsn: str = _setting(
        "chdb://./data",
        "Where spans are stored. `chdb://PATH` is the embedded engine (a relative PATH is taken from the "
        "working directory); `http://user:pass@host:8123` or `https://...` is a ClickHouse server. The password is "
        "masked wherever spanhouse prints the DSN.",
    )
    clickhouse_database: str = _setting("spanhouse", "Database that holds spanhouse's tables; created if missing.")
    bind: str = _setting("127.0.0.1", "Address every listener binds to.")
    otlp_grpc_port: int = _setting(4317, "OTLP/gRPC port (TraceService/Export). 0 picks a free port.")
    otlp_http_port: int = _setting(4318, "OTLP/HTTP port (POST /v1/traces). 0 picks a free port.")
    api_port: int = _setting(8318, "Query API port (GET /api/v1/..., /healthz). 0 picks a free port.")
    query_connections: int = _setting(
        4,
        "ClickHouse clients the query API reads through: as many of its queries run at once (different users' "
        "requests, and the independent queries of one request). More than the cores rarely helps.",
    )
    batch_max_spans: int = _setting(50_000, "Most spans one ClickHouse insert carries.")
    flush_interval_ms: int = _setting(
        1000,
        "Longest time spans acknowledged from the write-ahead log wait for others to share their insert. An "
        "export is acknowledged once logged; at an idle server its insert starts at once, and exports that arrive "
        "during an insert wait until this long after the first of them arrived (or until batch_max_spans are "
        "waiting), so one insert, one part on disk, carries many requests. A query API request that must wait "
        "for acknowledged spans (read_wait_ms) ends the wait early. With wal_dir off, exports wait for their "
        "insert, linger included: lower it then (e.g. 50).",
    )
    read_wait_ms: int = _setting(
        1000,
        "How long a query API request waits, at most, for spans acknowledged before it arrived to become "
        "queryable, so a client that exported and then asks sees what it sent. Usually no wait at all; under load "
        "up to one insert. Past it the request reads what is inserted so far. 0: never wait.",
    )
    wal_dir: str = _setting(
        "",
        "Directory of the write-ahead log that makes exports durable before they are acknowledged (a folder "
        "per database and table below it). Empty: `spanhouse-wal` inside the embedded store's directory, or "
        "`./spanhouse-wal` with a ClickHouse server (give each spanhouse process its own). `off`: no log, every "
        "export waits for its insert (the only mode of `chdb://memory`).",
    )
    wal_fsync: bool = _setting(
        False,
        "fsync the write-ahead log before acknowledging. Without it, acknowledged spans survive the process "
        "being killed (the kernel holds the written pages), as ClickHouse's own inserts do by default; with it, "
        "spans waiting in the log survive a power cut too, at the cost of a disk flush per group of exports. "
        "Once inserted they are as safe as ClickHouse keeps its parts (fsynced only with its fsync_after_insert).",
    )
    queue_max_spans: int = _setting(
        100_000,
        "Spans accepted but not yet inserted into ClickHouse, at most. Past it, exports are refused with a "
        "retryable overload answer (HTTP 429 / gRPC RESOURCE_EXHAUSTED). With inflight_max_bytes, this bounds the "
        "memory ingest uses.",
    )
    max_request_bytes: int = _setting(
        16 * 1024 * 1024,
        "Largest export request accepted, checked on the bytes received and again once decompressed (HTTP 413).",
    )
    inflight_max_bytes: int = _setting(
        128 * 1024 * 1024,
        "Export bodies held at once (as received, once decompressed), from their first byte until they are answered. "
        "Past it, exports are refused with the retryable overload answer before they are decoded; a body alone "
        "is always taken. With queue_max_spans, this bounds the memory ingest uses however many clients send.",
    )
    body_timeout_s: float = _setting(
        60.0,
        "Seconds an OTLP/HTTP request body may take to arrive, from its headers to its last byte; a slower one is "
        "answered 408. Received bytes count against inflight_max_bytes until the export is answered, so without "
        "a deadline a few stalled uploads could hold the budget and have every export refused.",
    )
    write_timeout_s: float = _setting(
        30.0, "How long an export waits for its spans to become durable before answering 503 / UNAVAILABLE."
    )
    decode_processes: int = _setting(
        -1,
        "Worker processes that decode, normalise and encode export requests, so ingest uses every core "
        "(Python runs one thread at a time per process). -1 = one per CPU core; 0 = decode on threads inside "
        "the server process (no start-up cost, about half the throughput on two cores).",
    )
    prices_file: str = _setting(
        "",
        "A TOML price table, in the format of the shipped one (src/spanhouse/normalise/prices.toml), whose "
        "models override and extend the shipped prices. Empty: shipped prices only.",
    )
    content_capture: bool = _setting(
        True,
        "Store prompt and completion text. false: content attributes and events are removed before storage "
        "and the message columns stay empty.",
    )
    content_max_bytes: int = _setting(16_384, "Cap, in UTF-8 bytes, on each canonical content column (messages, "
                                              "tool arguments and results, error messages).")
    content_dedup: bool = _setting(
        True,
        "Store each distinct prompt / completion message (and long raw content attribute) once per tenant in "
        "message_content, referenced by hash from the span, so a conversation's history is not stored again "
        "with every call. false: keep the text in the span row (InputMessages, OutputMessages, SpanAttributes), "
        "where exporter-style SQL and Grafana's trace view see it.",
    )
    content_redaction: bool = _setting(
        True,
        "Mask e-mail addresses, API keys and bearer tokens (sk-, AKIA, ghp_, xox, Bearer), and card numbers "
        "(Luhn-checked) in content before it is stored.",
    )
    content_redact_patterns: str = _setting(
        "",
        "Extra regular expressions masked in content, one per line (in TOML, a multi-line string or a list); "
        "each match becomes [REDACTED]. A repetition without an upper bound (+, *, {n,}) may only end a pattern, "
        "so that redaction time stays linear in a value's length.",
    )
    retention_raw_days: int = _setting(
        30, "Days raw spans, log records and their prompt and completion text are kept (otel_traces, otel_logs, "
            "otel_traces_trace_id_ts, message_content); 0 keeps "
            "them forever. Changing it alters the tables' TTL at the next start. A span or log record already older "
            "than this when it arrives is refused (OTLP partial success naming it).",
    )
    retention_minute_days: int = _setting(7, "Days the per-minute rollups (minute_metrics) are kept; 0 = forever.")
    retention_hourly_days: int = _setting(90, "Days the hourly rollups (hourly_metrics) are kept; 0 = forever.")
    retention_daily_days: int = _setting(
        400, "Days the daily rollups (daily_metrics), per-trace rollups (thread_activity, thread_traces), anomalies, "
        "their history and alert deliveries are kept; 0 = forever.",
    )
    dedup_window_s: int = _setting(
        900,
        "A span whose (trace id, span id) was stored less than this many seconds ago is dropped as a retry, also "
        "across a restart; 0 turns dedup off. Memory: 8 bytes per span received in the window.",
    )
    sql_max_execution_s: float = _setting(
        30.0,
        "Time limit of one ad-hoc SQL query (`spanhouse sql`, POST /api/v1/sql), enforced by ClickHouse "
        "(max_execution_time); past it the query is stopped and answered 504. A query also waits at most this "
        "long for the one running before it.",
    )
    sql_max_rows: int = _setting(
        10_000,
        "Most rows an ad-hoc SQL query returns; beyond it the result is cut and marked truncated. A request may "
        "ask for fewer (max_rows), never more.",
    )
    sql_max_memory_bytes: int = _setting(
        1 << 30, "Memory one ad-hoc SQL query may use in ClickHouse (max_memory_usage); past it the query fails."
    )
    api_keys_file: str = _setting(
        "",
        "TOML file of API keys, each bound to a tenant and roles (ingest, read, admin); see README 'Tenants and "
        "API keys'. Empty: no keys, open access as the default tenant (warned about when not bound to loopback).",
    )
    api_key: str = _setting(
        "", "API key the client commands send (`spanhouse sql` needs an admin key, `spanhouse demo` an ingest key) "
            "when the server has API keys.",
    )
    default_tenant: str = _setting("default", "Tenant of every request when no API keys are configured.")
    detect_interval_s: float = _setting(
        60.0, "Seconds between two anomaly detection runs inside `spanhouse serve`; 0 turns the detector off.",
    )
    detect_rules_file: str = _setting(
        "",
        "TOML file of detection rules and cost budgets that replace, add to or disable the shipped ones "
        "(src/spanhouse/detect/rules.toml); see README 'Anomalies and alerts'. Empty: the shipped rules.",
    )
    alert_routes_file: str = _setting(
        "",
        "TOML file of alert routes: which anomalies (types, severities, tenants, events) go to which webhook, "
        "generic JSON or Slack, with cooldown, hourly cap and retries; checked at start. See README 'Anomalies and "
        "alerts'. It holds webhook URLs and headers, which are secrets: keep it readable by spanhouse only. Empty: "
        "no alerts are sent.",
    )
    log_level: str = _setting("INFO", "Logging level: DEBUG, INFO, WARNING, ERROR or CRITICAL.")

    def shown(self, name: str) -> str:
        """The value of setting `name` as it may be printed or logged: secrets masked.

        The API key is replaced whole and a DSN keeps everything but its password, so a
        `spanhouse settings` pasted into a bug report or a start-up banner in a shared log
        gives away no credential.
        """
        value = getattr(self, name)
        if name in _SECRETS and value:
            return "***"
        if name == "clickhouse_dsn":
            return _DSN_PASSWORD.sub(r"\1***@", str(value))
        return setting_text(value)

    @classmethod
    def from_env(cls, environ: Mapping[str, str], config_path: str | Path | None = None) -> Settings:
        """Build settings from defaults, an optional TOML file and the environment.

        Args:
            environ: usually `os.environ`; tests pass their own mapping.
            config_path: a TOML file whose top-level keys are setting names.
        """
        values: dict[str, Any] = {}
        if config_path is not None:
            values.update(_read_toml(Path(config_path)))
        for f in dataclasses.fields(cls):
            raw = environ.get(ENV_PREFIX + f.name.upper())
            if raw is not None:
                values[f.name] = raw
        return cls(**{name: _coerce(name, value) for name, value in values.items()})

    def __post_init__(self) -> None:
        for name in ("otlp_grpc_port", "otlp_http_port", "api_port"):
            port = getattr(self, name)
            if not 0 <= port <= 65535:
                raise ConfigError(f"{_named(name)} must be between 0 and 65535, got {port}")
        for name in ("batch_max_spans", "queue_max_spans", "max_request_bytes", "inflight_max_bytes",
                     "query_connections"):
            if getattr(self, name) <= 0:
                raise ConfigError(f"{_named(name)} must be positive, got {getattr(self, name)}")
        if self.flush_interval_ms < 0 or self.write_timeout_s <= 0:
            raise ConfigError("flush_interval_ms must be >= 0 and write_timeout_s > 0")
        if self.read_wait_ms < 0:
            raise ConfigError(f"{_named('read_wait_ms')} must be >= 0, got {self.read_wait_ms}")
        if self.body_timeout_s <= 0:
            raise ConfigError(f"{_named('body_timeout_s')} must be positive, got {self.body_timeout_s}")
        if self.content_max_bytes < 256:
            raise ConfigError(f"{_named('content_max_bytes')} must be at least 256, got {self.content_max_bytes}")
        for line in self.content_redact_patterns.splitlines():
            try:
                re.compile(line)
                unbounded = unbounded_before_the_end(line)
            except re.error as exc:
                raise ConfigError(f"content_redact_patterns: {line!r} is not a valid regex: {exc}") from exc
            if unbounded:
                raise ConfigError(
                    f"content_redact_patterns: {line!r} repeats without an upper bound before its end "
                    f"({', '.join(unbounded)}), so a value built for it would take time quadratic in its length "
                    "to redact (or worse). Bound each such repetition, e.g. {1,64} instead of +, or let it end "
                    "the pattern.")
        if self.decode_processes < -1:
            raise ConfigError(
                f"{_named('decode_processes')} must be -1, 0 or a positive count, got {self.decode_processes}")
        for name in ("retention_raw_days", "retention_minute_days", "retention_hourly_days", "retention_daily_days",
                     "dedup_window_s"):
            if getattr(self, name) < 0:
                raise ConfigError(f"{_named(name)} must be 0 or more, got {getattr(self, name)}")
        if self.sql_max_execution_s <= 0 or self.sql_max_rows <= 0 or self.sql_max_memory_bytes <= 0:
            raise ConfigError("sql_max_execution_s, sql_max_rows and sql_max_memory_bytes must be positive")
        if self.detect_interval_s < 0:
            raise ConfigError(f"{_named('detect_interval_s')} must be 0 or more, got {self.detect_interval_s}")
        if not self.default_tenant:
            raise ConfigError("default_tenant must not be empty")
        if self.log_level.upper() not in _LOG_LEVELS:
            raise ConfigError(f"{_named('log_level')} must be one of {', '.join(_LOG_LEVELS)}, got {self.log_level!r}")


def setting_text(value: object) -> str:
    """A value as it is written in the TOML file and the environment: true, not Python's True."""
    return str(value).lower() if isinstance(value, bool) else str(value)


def _named(name: str) -> str:
    """A setting's name with its environment variable, as error messages give it."""
    return f"{name} ({ENV_PREFIX}{name.upper()})"


_FIELD_TYPES = {f.name: f.type for f in dataclasses.fields(Settings)}
_LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
_SECRETS = frozenset({"api_key"})
_DSN_PASSWORD = re.compile(r"^([a-z]+://[^:/@]*:)[^@]*@")
_BOOLEANS = {"true": True, "1": True, "yes": True, "on": True, "false": False, "0": False, "no": False, "off": False}


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except OSError as exc:
        raise ConfigError(f"cannot read config file {path}: {exc}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config file {path} is not valid TOML: {exc}") from exc
    unknown = sorted(set(data) - set(_FIELD_TYPES))
    if unknown:
        raise ConfigError(f"config file {path} has unknown settings: {', '.join(unknown)}")
    return data


def _coerce(name: str, value: Any) -> Any:
    if name not in _FIELD_TYPES:
        raise ConfigError(f"unknown setting {name}")
    kind = _FIELD_TYPES[name]
    try:
        if kind == "bool":
            if isinstance(value, bool):
                return value
            text = str(value).strip().lower()
            if text not in _BOOLEANS:
                raise ValueError(value)
            return _BOOLEANS[text]
        if kind == "int":
            if isinstance(value, bool | float):  # a TOML 9000.5 must not become 9000 unnoticed
                raise ValueError(value)
            return int(value)
        if kind == "float":
            return float(value)
        if isinstance(value, list):  # TOML lists, e.g. content_redact_patterns = ["...", "..."]
            return "\n".join(str(item) for item in value)
        return str(value)
    except (TypeError, ValueError) as exc:
        expected = {"int": "an integer", "float": "a number", "bool": "true or false"}.get(str(kind), "a string")
        raise ConfigError(f"setting {_named(name)} must be {expected}, got {value!r}") from exc


def retention(settings: Settings) -> Retention:
    return Retention(settings.retention_raw_days, settings.retention_minute_days, settings.retention_hourly_days,
                     settings.retention_daily_days)


def documented_settings() -> list[tuple[str, str, Any, str]]:
    """(setting, environment variable, default, doc) rows, for `spanhouse config` and the README."""
    return [
        (f.name, ENV_PREFIX + f.name.upper(), f.default, f.metadata["doc"])
        for f in dataclasses.fields(Settings)
    ]
