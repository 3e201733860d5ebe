"""The config: its schema (schema.py) and how a file becomes a Config (load.py)."""

from __future__ import annotations

from rightswatch.config.load import (
    DEFAULT_CONFIG_PATH,
    ConfigError,
    config_path,
    load_config,
    parse_config,
)
from rightswatch.config.schema import (
    CHANGE_KINDS,
    CHANNEL_TYPES,
    WATCH_ID,
    AppriseChannel,
    ChannelConfig,
    Config,
    ConsoleChannel,
    Defaults,
    EditionSettings,
    EmailChannel,
    FetchSettings,
    GuardSettings,
    HealthSettings,
    RunSettings,
    SlackChannel,
    Watch,
    WebhookChannel,
    is_remote,
)

__all__ = [
    "CHANGE_KINDS",
    "CHANNEL_TYPES",
    "DEFAULT_CONFIG_PATH",
    "WATCH_ID",
    "AppriseChannel",
    "ChannelConfig",
    "Config",
    "ConfigError",
    "ConsoleChannel",
    "Defaults",
    "EditionSettings",
    "EmailChannel",
    "FetchSettings",
    "GuardSettings",
    "HealthSettings",
    "RunSettings",
    "SlackChannel",
    "Watch",
    "WebhookChannel",
    "config_path",
    "is_remote",
    "load_config",
    "parse_config",
]
