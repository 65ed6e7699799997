"""Settings: defaults, TOML file, environment on top, and clear errors."""

from __future__ import annotations

import pytest

from spanhouse.errors import ConfigError
from spanhouse.settings import Settings, documented_settings


def test_defaults_are_the_documented_ones():
    settings = Settings.from_env({})
    assert (settings.clickhouse_dsn, settings.bind, settings.otlp_grpc_port, settings.otlp_http_port,
            settings.api_port) == ("chdb://./data", "127.0.0.1", 4317, 4318, 8318)


def test_environment_beats_the_toml_file(tmp_path):
    config = tmp_path / "spanhouse.toml"
    config.write_text('api_port = 9000\nbind = "0.0.0.0"\nflush_interval_ms = 10\n')
    settings = Settings.from_env({"SPANHOUSE_API_PORT": "9100"}, config)
    assert (settings.api_port, settings.bind, settings.flush_interval_ms) == (9100, "0.0.0.0", 10)


@pytest.mark.parametrize(("environ", "message"), [
    ({"SPANHOUSE_API_PORT": "eighty"}, "api_port (SPANHOUSE_API_PORT) must be an integer, got 'eighty'"),
    ({"SPANHOUSE_OTLP_HTTP_PORT": "70000"}, "otlp_http_port (SPANHOUSE_OTLP_HTTP_PORT) must be between 0 and 65535"),
    ({"SPANHOUSE_QUEUE_MAX_SPANS": "0"}, "queue_max_spans (SPANHOUSE_QUEUE_MAX_SPANS) must be positive"),
    ({"SPANHOUSE_LOG_LEVEL": "LOUD"},
     "log_level (SPANHOUSE_LOG_LEVEL) must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL, got 'LOUD'"),
])
def test_bad_values_name_the_setting(environ, message):
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        Settings.from_env(environ)


def test_a_fractional_number_for_an_integer_setting_is_refused_not_truncated(tmp_path):
    config = tmp_path / "spanhouse.toml"
    config.write_text("api_port = 9000.5\n")
    with pytest.raises(ConfigError, match=r"api_port \(SPANHOUSE_API_PORT\) must be an integer, got 9000\.5"):
        Settings.from_env({}, config)


def test_the_log_level_is_taken_in_any_case():
    assert Settings.from_env({"SPANHOUSE_LOG_LEVEL": "debug"}).log_level == "debug"


def test_secrets_are_masked_where_settings_are_shown():
    settings = Settings.from_env({"SPANHOUSE_API_KEY": "supersecret",
                                  "SPANHOUSE_CLICKHOUSE_DSN": "http://user:pa55@host:8123/?secure=0"})
    assert settings.shown("api_key") == "***"
    assert settings.shown("clickhouse_dsn") == "http://user:***@host:8123/?secure=0"
    assert Settings.from_env({}).shown("api_key") == ""  # nothing set: nothing to hide, and it shows
    assert Settings.from_env({"SPANHOUSE_CLICKHOUSE_DSN": "http://host:8123"}).shown("clickhouse_dsn") == (
        "http://host:8123")
    assert Settings.from_env({}).shown("clickhouse_dsn") == "chdb://./data"


def test_unknown_keys_in_the_file_are_refused(tmp_path):
    config = tmp_path / "bad.toml"
    config.write_text("api_prot = 1\n")
    with pytest.raises(ConfigError, match="unknown settings: api_prot"):
        Settings.from_env({}, config)


def test_every_setting_is_documented_in_the_readme():
    from pathlib import Path

    readme = (Path(__file__).parent.parent / "README.md").read_text()
    missing = [env for _, env, _, _ in documented_settings() if env not in readme]
    assert missing == []


def test_booleans_accept_the_usual_spellings_and_refuse_others():
    assert Settings.from_env({"SPANHOUSE_CONTENT_CAPTURE": "off"}).content_capture is False
    assert Settings.from_env({"SPANHOUSE_CONTENT_REDACTION": "Yes"}).content_redaction is True
    with pytest.raises(ConfigError, match=r"content_capture \(SPANHOUSE_CONTENT_CAPTURE\) must be true or false"):
        Settings.from_env({"SPANHOUSE_CONTENT_CAPTURE": "maybe"})


def test_a_redaction_pattern_that_is_not_a_regex_is_refused_at_start():
    with pytest.raises(ConfigError, match="content_redact_patterns: 'ACCT-\\[' is not a valid regex"):
        Settings.from_env({"SPANHOUSE_CONTENT_REDACT_PATTERNS": "ACCT-["})


def test_a_redaction_pattern_that_could_take_quadratic_time_is_refused_at_start():
    with pytest.raises(ConfigError, match=r"content_redact_patterns: '\\\\d\+-key' repeats without an upper bound "
                                          r"before its end \(\+\).*e\.g\. \{1,64\} instead of \+"):
        Settings.from_env({"SPANHOUSE_CONTENT_REDACT_PATTERNS": "ACCT-[0-9]{6}\n\\d+-key"})


def test_redaction_patterns_may_be_a_toml_list(tmp_path):
    config = tmp_path / "spanhouse.toml"
    config.write_text('content_redact_patterns = ["ACCT-[0-9]+", "EMP[0-9]{4}"]\n')
    assert Settings.from_env({}, config).content_redact_patterns == "ACCT-[0-9]+\nEMP[0-9]{4}"
