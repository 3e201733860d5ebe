"""Each registry is one explicit dict, and the light name lists the config validates against
agree with the registries behind them."""

from __future__ import annotations

from typing import get_args

from pydantic import SecretStr

from rightswatch.config import CHANNEL_TYPES
from rightswatch.config.schema import ConsoleChannel, SlackChannel
from rightswatch.extract import PROFILES
from rightswatch.notify import SENDERS, PartedChannel, channel_for
from rightswatch.profile_names import PROFILE_NAMES


def test_the_profile_names_a_config_accepts_are_the_registered_profiles() -> None:
    assert set(PROFILE_NAMES) == {"auto", *PROFILES}


def test_every_channel_type_a_config_accepts_has_a_sender() -> None:
    assert list(SENDERS) == list(CHANNEL_TYPES)
    for name, settings in CHANNEL_TYPES.items():  # each key is the `type:` its settings take
        assert get_args(settings.model_fields["type"].annotation) == (name,)


def test_only_a_multi_message_channel_resumes_after_sent_parts() -> None:
    slack = channel_for("s", SlackChannel(type="slack", webhook_url=SecretStr("http://127.0.0.1/")))
    console = channel_for("c", ConsoleChannel(type="console"))
    assert isinstance(slack, PartedChannel)
    assert not isinstance(console, PartedChannel)


def test_the_command_registry_names_every_command_and_the_module_that_defines_it() -> None:
    from typer.main import get_command_name

    from rightswatch.cli import COMMANDS, app

    registered = {
        info.name or get_command_name(info.callback.__name__): info.callback.__module__
        for info in app.registered_commands
        if info.callback is not None
    }
    assert {name: f"rightswatch.cli.{module}" for name, module in COMMANDS.items()} == registered
