"""Subscriptions across watches: by section heading and by keyword, in every channel kind.

Two watches of the seed chapter change; one channel subscribes to "Torture" in any watch,
one to the keyword "editor". Delivery goes to real peers: a Slack-like receiver, a webhook
receiver, an SMTP server, and the console.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rightswatch.check import check_watches
from rightswatch.config import load_config
from rightswatch.deliver import deliver_channel
from rightswatch.tasks import open_context
from tests.loopback import Loopback
from tests.peers import Receiver, free_port, smtp_server

FIXTURES = Path(__file__).parent / "fixtures"
BASE = (FIXTURES / "hrw_kazakhstan_2021.html").read_text(encoding="utf-8")
TORTURE = (FIXTURES / "pairs" / "torture_number.html").read_text(encoding="utf-8")
EXPRESSION = (FIXTURES / "pairs" / "expression_sentence.html").read_text(encoding="utf-8")
SENTENCE = "In December, a court in Nur-Sultan fined the editor of an independent news site"


def _config(tmp_path: Path, loopback: Loopback, smtp_port: int) -> Path:
    slack, hook = Receiver(loopback, "/slack"), Receiver(loopback, "/hook")
    loopback.page("/a", BASE)
    loopback.page("/b", BASE)
    path = tmp_path / "rw.yaml"
    path.write_text(
        f"""\
snapshots: {tmp_path / "snapshots"}
fetch: {{per_host_delay: 0, retries: 0, timeout: 5, respect_robots: false}}
defaults: {{channels: [torture-slack, torture-hook, editors-email, editors-console]}}
watches:
  - {{id: kz-a, url: "{loopback.url("/a")}", profile: hrw-world-report}}
  - {{id: kz-b, url: "{loopback.url("/b")}", profile: hrw-world-report}}
channels:
  torture-slack: {{type: slack, webhook_url: "{slack.url}", sections: [Torture]}}
  torture-hook: {{type: webhook, url: "{hook.url}", sections: ["Tort*"]}}
  editors-email:
    type: email
    host: 127.0.0.1
    port: {smtp_port}
    security: none
    sender: rightswatch@example.org
    recipients: [desk@example.org]
    timeout: 5
    keywords: [editor]
  editors-console: {{type: console, patterns: ["(?i)\\\\beditors?\\\\b"]}}
""",
        encoding="utf-8",
    )
    return path


def test_section_and_keyword_subscriptions_across_two_watches(
    tmp_path: Path, loopback: Loopback, capsys: pytest.CaptureFixture[str]
) -> None:
    with smtp_server("none") as (inbox, port):
        config = load_config(_config(tmp_path, loopback, port))
        ctx = open_context(config)
        check_watches(config.watches, ctx)  # baselines
        loopback.page("/a", TORTURE)  # Torture: 140 → 152 complaints
        loopback.page("/b", EXPRESSION.replace("140 complaints", "160 complaints"))
        results = {r.id: r for r in check_watches(config.watches, ctx)}
        assert results["kz-a"].status == results["kz-b"].status == "changed"

        reports = {n: deliver_channel(n, config, ctx.outbox) for n in config.channels}
        assert {n: r.status for n, r in reports.items()} == {
            "torture-slack": "sent",
            "torture-hook": "sent",
            "editors-email": "sent",
            "editors-console": "sent",
            "console": "nothing",
        }

    # Slack and webhook: Torture from both watches, nothing from Freedom of Expression.
    slack_posts = [s.body for s in loopback.seen if s.path == "/slack"]
    hook_posts = [s.body for s in loopback.seen if s.path == "/hook"]
    assert len(slack_posts) == 1
    assert len(hook_posts) == 1
    slack_text = slack_posts[0].decode()
    assert "152 complaints" in slack_text
    assert "160 complaints" in slack_text
    assert "Freedom of Expression" not in slack_text
    assert SENTENCE not in slack_text
    hook = json.loads(hook_posts[0])
    assert sorted(w["watch_id"] for w in hook["watches"]) == ["kz-a", "kz-b"]
    headings = {c["heading"] for w in hook["watches"] for e in w["events"] for c in e["changes"]}
    assert headings == {"Torture"}
    assert hook["mentions"] == []

    # Email: only kz-b, only the section where "editor" appeared, with the sentence.
    assert len(inbox.messages) == 1
    message = inbox.messages[0]
    text = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    html = message.get_body(("html",)).get_content()  # type: ignore[union-attr]
    assert "'editor' appeared in World Report 2021: Kazakhstan › Freedom of Expression" in text
    assert SENTENCE in text
    assert SENTENCE in html
    assert "152 complaints" not in text
    assert "160 complaints" not in text
    assert "keyword" in str(message["Subject"]) or "changed" in str(message["Subject"])

    # Console (a regex subscription): the same mention.
    printed = capsys.readouterr().out
    assert "appeared in World Report 2021: Kazakhstan › Freedom of Expression" in printed
    assert SENTENCE in " ".join(printed.split())


def test_a_keyword_that_disappears_is_reported_with_the_removed_sentence(
    tmp_path: Path, loopback: Loopback, capsys: pytest.CaptureFixture[str]
) -> None:
    config = load_config(_config(tmp_path, loopback, free_port()))  # only the console sends
    ctx = open_context(config)
    loopback.page("/b", EXPRESSION)
    check_watches(config.watches, ctx)
    loopback.page("/b", BASE)  # the sentence naming the editor is deleted
    check_watches(config.watches, ctx)
    assert deliver_channel("editors-console", config, ctx.outbox).status == "sent"
    printed = " ".join(capsys.readouterr().out.split())
    assert "disappeared in World Report 2021: Kazakhstan › Freedom of Expression" in printed
    assert SENTENCE in printed
