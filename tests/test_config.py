"""Every config error gives one clear message with file, line and field, and exit code 2."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from rightswatch.cli import app
from rightswatch.config import ConfigError, config_path, load_config, parse_config

GOOD = """\
snapshots: snapshots
watches:
  - id: hrw-wr2021-kazakhstan
    url: https://www.hrw.org/world-report/2021/country-chapters/kazakhstan
    profile: hrw-world-report
channels:
  console: {type: console}
"""


def problem(text: str) -> str:
    with pytest.raises(ConfigError) as info:
        parse_config(text, "cfg.yaml")
    return str(info.value)


def test_shipped_config_is_valid_and_watches_real_report_pages() -> None:
    config = load_config(Path(__file__).parents[1] / "config" / "rightswatch.yaml")
    ids = [w.id for w in config.watches]
    assert "hrw-wr2021-kazakhstan" in ids
    assert "hrw-wr2021-kazakhstan-ru" in ids
    assert all(w.url.startswith("https://www.hrw.org/") for w in config.watches)
    assert all(w.channels == ["console"] for w in config.watches)
    kz = config.watch("hrw-wr2021-kazakhstan")
    assert kz.ignore == [r"\bShare this via\b"]
    assert kz.profile == "hrw-world-report"


def test_defaults_fill_watches_and_fetch_defaults_match_the_contract() -> None:
    config = parse_config(GOOD + "defaults: {schedule: '0 */6 * * *', channels: [console]}\n")
    watch = config.watches[0]
    assert watch.schedule == "0 */6 * * *"
    assert watch.sections == ["*"]
    assert watch.profile == "hrw-world-report"  # the watch's own value wins
    f = config.fetch
    assert (
        f.timeout,
        f.retries,
        f.per_host_concurrency,
        f.per_host_delay,
        f.max_bytes,
        f.respect_robots,
    ) == (30, 3, 2, 1.0, 10485760, True)
    assert f.user_agent == "rightswatch/0.1 (+https://example.org/contact)"


def test_env_interpolation_and_prefect_secret_references(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLACK_WEBHOOK_URL", "http://127.0.0.1:9/hook/T000/B000/XXXX")
    config = parse_config(
        GOOD
        + """\
  team-slack: {type: slack, webhook_url: "${SLACK_WEBHOOK_URL}"}
  other-slack: {type: slack, webhook_url: "prefect-secret:slack-webhook"}
"""
    )
    slack = config.channels["team-slack"]
    assert slack.type == "slack"
    assert slack.webhook_url.get_secret_value() == "http://127.0.0.1:9/hook/T000/B000/XXXX"
    assert "XXXX" not in repr(config)
    other = config.channels["other-slack"]
    assert other.type == "slack"
    assert other.webhook_url.get_secret_value() == "prefect-secret:slack-webhook"


def test_missing_environment_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SMTP_HOST", raising=False)
    msg = problem(
        GOOD
        + """\
  analysts-email:
    type: email
    host: "${SMTP_HOST}"
    sender: rightswatch@example.org
    recipients: [analyst@example.org]
"""
    )
    assert msg == (
        "cfg.yaml:10: channels.analysts-email.host: environment variable SMTP_HOST "
        "is not set; export it before running rightswatch (or use prefect-secret:NAME "
        "for a Prefect Secret block)"
    )


def test_unknown_key() -> None:
    msg = problem(GOOD.replace("    profile:", "    profil:"))
    assert msg == (
        "cfg.yaml:5: watches[0].profil: unknown key 'profil'; check its spelling "
        "against the schema in README.md"
    )


def test_bad_id() -> None:
    msg = problem(GOOD.replace("id: hrw-wr2021-kazakhstan", "id: HRW Kazakhstan"))
    assert msg.startswith("cfg.yaml:3: watches[0].id: 'HRW Kazakhstan' is not a valid watch id;")
    assert "lower-case letters, digits and hyphens" in msg
    # Ids name folders under snapshots/: none may escape it.
    assert "is not a valid watch id" in problem(GOOD.replace("hrw-wr2021-kazakhstan", "../etc"))


def test_duplicate_id() -> None:
    text = GOOD.replace(
        "channels:\n",
        """\
  - id: hrw-wr2021-kazakhstan
    url: https://www.hrw.org/ru/world-report/2021/country-chapters/377404
channels:
""",
    )
    assert problem(text) == (
        "cfg.yaml:6: watches[1].id: duplicate id 'hrw-wr2021-kazakhstan' "
        "(also watches[0]); ids must be unique"
    )


def test_unknown_channel() -> None:
    text = GOOD.replace(
        "    profile: hrw-world-report\n",
        "    profile: hrw-world-report\n    channels: [console, team-slak]\n",
    )
    assert problem(text) == (
        "cfg.yaml:6: watches[0].channels[1]: unknown channel 'team-slak'; defined channels: console"
    )


def test_unknown_channel_type() -> None:
    msg = problem(GOOD + "  pager: {type: pagerduty}\n")
    assert msg.startswith("cfg.yaml:8: channels.pager: unknown channel type; use one of console,")


def test_unknown_profile() -> None:
    msg = problem(GOOD.replace("profile: hrw-world-report", "profile: nonesuch"))
    assert msg == (
        "cfg.yaml:5: watches[0].profile: unknown profile 'nonesuch'; choose one of "
        "auto, hrw-world-report, amnesty, state-country-report, freedom-house, generic, css"
    )


def test_bad_cron() -> None:
    msg = problem(GOOD + "defaults: {schedule: 'every day at six'}\n")
    assert msg.startswith(
        "cfg.yaml:8: defaults.schedule: 'every day at six' is not a valid cron expression"
    )


def test_non_http_url() -> None:
    msg = problem(GOOD.replace("https://www.hrw.org", "file:///etc/passwd#"))
    assert msg.startswith("cfg.yaml:4: watches[0].url: 'file:///etc/passwd#")
    assert msg.endswith("is not an http(s) URL; only http:// and https:// pages can be watched")


def test_bad_regex_and_css_profile_without_selector() -> None:
    assert "is not a valid regular expression" in problem(
        GOOD.replace("    profile: hrw-world-report\n", "    ignore: ['(unclosed']\n")
    )
    assert "profile 'css' needs a `content` selector" in problem(
        GOOD.replace("profile: hrw-world-report", "profile: css")
    )


def test_yaml_syntax_error_has_a_line() -> None:
    msg = problem("watches:\n  - id: a\n    url: [unclosed\n")
    assert msg.startswith("cfg.yaml:4: invalid YAML")


def test_secret_values_never_appear_in_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SMTP_PASSWORD", "hunter2-very-secret")
    msg = problem(
        GOOD
        + """\
  analysts-email:
    type: email
    host: smtp.example.org
    port: 99999
    password: "${SMTP_PASSWORD}"
    sender: rightswatch@example.org
    recipients: []
"""
    )
    assert "hunter2" not in msg
    assert "channels.analysts-email.port" in msg
    assert "channels.analysts-email.recipients" in msg


def test_config_path_from_flag_env_or_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RIGHTSWATCH_CONFIG", raising=False)
    assert config_path(None) == Path("config/rightswatch.yaml")
    monkeypatch.setenv("RIGHTSWATCH_CONFIG", "/etc/rw.yaml")
    assert config_path(None) == Path("/etc/rw.yaml")
    assert config_path("mine.yaml") == Path("mine.yaml")


def test_validate_command_exit_codes(tmp_path: Path) -> None:
    good = tmp_path / "good.yaml"
    good.write_text(GOOD)
    bad = tmp_path / "bad.yaml"
    bad.write_text(GOOD.replace("https://", "ftp://"))
    runner = CliRunner()
    ok = runner.invoke(app, ["validate", "--config", str(good)])
    assert ok.exit_code == 0
    assert "1 watches" in ok.output
    broken = runner.invoke(app, ["validate", "--config", str(bad)])
    assert broken.exit_code == 2
    assert f"{bad}:4: watches[0].url: 'ftp://" in broken.output
    missing = runner.invoke(app, ["validate", "--config", str(tmp_path / "nope.yaml")])
    assert missing.exit_code == 2
    assert "config file not found" in missing.output


def test_a_yaml_error_names_the_character_with_or_without_libyaml() -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config("watches:\n\t- id: x\n", "rw.yaml")
    assert "rw.yaml:2: invalid YAML: found character '\\t' that cannot start any token" in str(
        caught.value
    )
