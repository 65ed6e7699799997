"""spanhouse: an OpenTelemetry collector and trace store for AI applications, on ClickHouse."""

__version__ = "0.1.0"
