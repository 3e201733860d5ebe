"""Every channel type against a real peer on 127.0.0.1: Slack-like receiver, aiosmtpd, webhook,
Apprise; Block Kit limits; hostile page text escaped everywhere."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from rightswatch.config import AppriseChannel, EmailChannel, SlackChannel, WebhookChannel
from rightswatch.diff import diff_documents
from rightswatch.digest import Digest, build_digest
from rightswatch.document import Document, Section
from rightswatch.extract import extract
from rightswatch.notify import DeliveryError, channel_for
from rightswatch.notify.slack import fit, messages
from rightswatch.outbox import ChangeEvent
from rightswatch.render import digest_markdown
from tests.loopback import Loopback, Reply
from tests.peers import (
    PASSWORD,
    USER,
    Receiver,
    block_kit_problems,
    free_port,
    make_tls,
    smtp_server,
)

FIXTURES = Path(__file__).parent / "fixtures"
URL = "https://www.hrw.org/world-report/2021/country-chapters/kazakhstan"


def event_between(
    old: Document, new: Document, watch_id: str = "hrw-kz", title: str | None = None
) -> ChangeEvent:
    return ChangeEvent(
        id=f"change-{watch_id}",
        watch_id=watch_id,
        url=URL,
        title=title or new.title,
        detected_at=datetime(2021, 1, 14, 6, tzinfo=UTC),
        changes=diff_documents(old, new).alerts,
        channels=["c"],
    )


def fixture_digest(*pairs: str) -> Digest:
    base = extract((FIXTURES / "hrw_kazakhstan_2021.html").read_text(), URL)
    events = [
        event_between(base, extract((FIXTURES / "pairs" / f"{p}.html").read_text(), URL), f"w{i}")
        for i, p in enumerate(pairs)
    ]
    return build_digest("c", SlackChannel(type="slack", webhook_url=SecretStr("x")), events)


HOSTILE = (
    "Officials wrote <!channel> <script>alert('x')</script> and "
    '<a href="javascript:alert(1)">click</a> & <https://evil.example|forged link>\r\n'
    "Bcc: victim@example.org"
)


def hostile_digest() -> Digest:
    old = Document(
        url=URL,
        final_url=URL,
        title="Report",
        sections=[
            Section(key="torture", heading="Torture", level=2, paragraphs=["Nothing new here."])
        ],
    )
    new = Document(
        url=URL,
        final_url=URL,
        title="Report\r\nBcc: victim@example.org <!here>",
        sections=[
            Section(
                key="torture",
                heading="Torture <!everyone>",
                level=2,
                paragraphs=["Nothing new here. " + HOSTILE],
            )
        ],
    )
    event = event_between(old, new, title=new.title)
    return build_digest("c", SlackChannel(type="slack", webhook_url=SecretStr("x")), [event])


# Slack -------------------------------------------------------------------------------------


def test_slack_block_kit_message_for_a_real_change(loopback: Loopback) -> None:
    receiver = Receiver(loopback)
    digest = fixture_digest("torture_number", "expression_sentence")
    channel_for("team", SlackChannel(type="slack", webhook_url=SecretStr(receiver.url))).send(
        digest, "k1"
    )
    [payload] = receiver.accepted
    assert block_kit_problems(payload) == []
    blocks = payload["blocks"]
    assert blocks[0] == {
        "type": "header",
        "text": {
            "type": "plain_text",
            "text": "rightswatch: 2 watches changed: World Report 2021: Kazakhstan and 1 more",
        },
    }
    texts = [b["text"]["text"] for b in blocks if b["type"] == "section"]
    torture = next(t for t in texts if "|Torture>" in t)
    assert torture.startswith(f"*<{URL}#torture|Torture>* — modified")
    assert "• Fact changed: ~140 complaints~ → *152 complaints*" in torture
    assert "received ~140~ *152* complaints" in torture
    assert any("• Added: “In December, a court in Nur-Sultan" in t for t in texts)
    assert any(
        b["type"] == "context" and "detected 2021-01-14 06:00 UTC" in b["elements"][0]["text"]
        for b in blocks
    )
    assert payload["text"].startswith("rightswatch: 2 watches changed")


def test_long_digests_split_in_order_within_limits() -> None:
    digest = fixture_digest(
        *(["torture_number", "covid_paragraph_removed", "section_inserted"] * 12)
    )
    payloads = messages(digest)
    assert len(payloads) > 1
    for n, payload in enumerate(payloads, start=1):
        assert block_kit_problems(payload) == []
        assert payload["blocks"][0]["text"]["text"].endswith(f"({n}/{len(payloads)})")
    # In order: the watches' context lines across all messages follow the digest's order.
    contexts = [
        b["elements"][0]["text"] for p in payloads for b in p["blocks"] if b["type"] == "context"
    ]
    ids = [m.group(1) for c in contexts if (m := re.search(r"`(w\d+)`", c))]
    assert ids == [w.watch_id for w in digest.watches]
    assert len(ids) == 36


def test_a_long_section_is_cut_at_a_word_with_a_count_of_what_is_left() -> None:
    lines = [f"• Added: “{'word ' * 150}{n}”" for n in range(10)]
    text = fit("*Torture* — modified", lines)
    assert len(text) <= 3000
    assert text.endswith(tuple(f"…and {n} more" for n in range(1, 10)))
    kept = text.count("• Added:")
    assert f"…and {10 - kept} more" in text
    assert "wor\n" not in text
    assert " wo\n" not in text


def test_slack_escapes_hostile_page_text(loopback: Loopback) -> None:
    receiver = Receiver(loopback)
    channel_for("team", SlackChannel(type="slack", webhook_url=SecretStr(receiver.url))).send(
        hostile_digest(), "k"
    )
    raw = str(receiver.accepted[0])
    for bad in (
        "<!channel>",
        "<!here>",
        "<!everyone>",
        "<script>",
        "<https://evil.example|",
        "\r",
        "\n\nBcc",
    ):
        assert bad not in raw, bad
    assert "&lt;!channel&gt;" in raw
    assert "&amp;" in raw


def test_slack_429_waits_for_retry_after_then_delivers_once(loopback: Loopback) -> None:
    receiver = Receiver(loopback)
    receiver.failures.append(Reply(429, b"rate_limited", {"Retry-After": "1"}))
    channel_for("team", SlackChannel(type="slack", webhook_url=SecretStr(receiver.url))).send(
        fixture_digest("torture_number"), "k"
    )
    assert receiver.attempts == 2
    assert len(receiver.accepted) == 1
    first, second = loopback.requests_to("/services/T000/B000/XXXXSECRET")
    assert second.at - first.at >= 0.95


def test_slack_errors_name_the_host_never_the_webhook_url(loopback: Loopback) -> None:
    receiver = Receiver(loopback)
    receiver.failures.append(Reply(404, b"no_service", {"Content-Type": "text/plain"}))
    with pytest.raises(DeliveryError) as info:
        channel_for("team", SlackChannel(type="slack", webhook_url=SecretStr(receiver.url))).send(
            fixture_digest("torture_number"), "k"
        )
    assert str(info.value) == "slack channel 'team': 127.0.0.1 answered HTTP 404 no_service"
    assert "XXXXSECRET" not in str(info.value)
    assert not info.value.retryable


# Email -------------------------------------------------------------------------------------


def email_config(port: int, **overrides: Any) -> EmailChannel:
    base: dict[str, Any] = {
        "type": "email",
        "host": "127.0.0.1",
        "port": port,
        "security": "none",
        "sender": "rightswatch@example.org",
        "recipients": ["analyst@example.org"],
        "timeout": 10,
    }
    return EmailChannel.model_validate({**base, **overrides})


def test_email_plain_smtp_multipart_alternative() -> None:
    with smtp_server("none") as (inbox, port):
        channel_for("mail", email_config(port)).send(fixture_digest("torture_number"), "key-1")
    [message] = inbox.messages
    assert message["Subject"] == "rightswatch: 1 watch changed: World Report 2021: Kazakhstan"
    assert message["Message-ID"] == "<key-1@rightswatch>"
    assert message.get_content_type() == "multipart/alternative"
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert "Fact changed: 140 complaints -> 152 complaints" in text
    assert (
        '<del style="background:#fff1e5;color:#953800;text-decoration:line-through;">140</del>'
        in html
    )
    assert (
        '<ins style="background:#ddf4ff;color:#0550ae;text-decoration:underline;">152</ins>' in html
    )
    assert f'href="{URL}#torture"' in html
    assert inbox.envelopes == [("rightswatch@example.org", ["analyst@example.org"])]


def test_email_starttls_with_auth(tmp_path: Path) -> None:
    tls = make_tls(tmp_path)
    with smtp_server("starttls", auth=True, tls=tls) as (inbox, port):
        config = email_config(
            port, security="starttls", username=USER, password=PASSWORD, ca_file=str(tls.ca_file)
        )
        channel_for("mail", config).send(fixture_digest("expression_sentence"), "key-2")
    assert len(inbox.messages) == 1
    assert "Nur-Sultan" in inbox.messages[0].get_body(("plain",)).get_content()


def test_email_implicit_tls(tmp_path: Path) -> None:
    tls = make_tls(tmp_path)
    with smtp_server("ssl", auth=True, tls=tls) as (inbox, port):
        config = email_config(
            port, security="ssl", username=USER, password=PASSWORD, ca_file=str(tls.ca_file)
        )
        channel_for("mail", config).send(fixture_digest("torture_number"), "key-3")
    assert len(inbox.messages) == 1


def test_email_auth_rejected_is_a_clear_error_without_the_password(tmp_path: Path) -> None:
    tls = make_tls(tmp_path)
    with smtp_server("starttls", auth=True, tls=tls) as (inbox, port):
        config = email_config(
            port,
            security="starttls",
            username=USER,
            password="wrong-password-xyz",
            ca_file=str(tls.ca_file),
        )
        with pytest.raises(DeliveryError) as info:
            channel_for("mail", config).send(fixture_digest("torture_number"), "k")
    assert str(info.value) == (
        f"email channel 'mail': SMTP 535 authentication failed at 127.0.0.1:{port}; "
        "check the username and password"
    )
    assert "wrong-password" not in str(info.value)
    assert not info.value.retryable
    assert inbox.messages == []


def test_email_connection_refused_is_retryable() -> None:
    port = free_port()
    with pytest.raises(DeliveryError, match=f"SMTP connection refused at 127.0.0.1:{port}") as info:
        channel_for("mail", email_config(port)).send(fixture_digest("torture_number"), "k")
    assert info.value.retryable


def test_email_headers_and_html_are_safe_against_hostile_text() -> None:
    with smtp_server("none") as (inbox, port):
        channel_for("mail", email_config(port)).send(hostile_digest(), "k")
    [message] = inbox.messages
    assert message["Bcc"] is None
    assert "\n" not in message["Subject"]
    assert "\r" not in message["Subject"]
    assert inbox.envelopes[0][1] == ["analyst@example.org"]
    html = message.get_body(("html",)).get_content()
    assert "<script>" not in html
    assert 'href="javascript:' not in html
    assert "&lt;script&gt;" in html


# Webhook and Apprise -----------------------------------------------------------------------


def test_webhook_posts_the_digest_with_an_idempotency_key(loopback: Loopback) -> None:
    receiver = Receiver(loopback, "/hooks/rightswatch")
    config = WebhookChannel(
        type="webhook",
        url=SecretStr(receiver.url),
        headers={"Authorization": SecretStr("Bearer t0ken")},
    )
    channel_for("hook", config).send(fixture_digest("torture_number"), "idem-123")
    [body] = receiver.accepted
    assert body["idempotency_key"] == "idem-123"
    assert receiver.accepted_headers[0]["Idempotency-Key"] == "idem-123"
    assert receiver.accepted_headers[0]["Authorization"] == "Bearer t0ken"
    change = body["watches"][0]["events"][0]["changes"][0]
    assert (change["heading"], change["kind"]) == ("Torture", "modified")


def test_apprise_sends_markdown_through_its_json_service(loopback: Loopback) -> None:
    receiver = Receiver(loopback, "/apprise")
    port = loopback.base.rsplit(":", 1)[1]
    config = AppriseChannel(type="apprise", url=SecretStr(f"json://127.0.0.1:{port}/apprise"))
    channel_for("ntfy", config).send(fixture_digest("torture_number"), "k")
    [body] = receiver.accepted
    assert body["title"].startswith("rightswatch: 1 watch changed")
    assert "**152 complaints**" in body["message"]


def test_markdown_digest_escapes_hostile_text() -> None:
    markdown = digest_markdown(hostile_digest())
    assert "<script>" not in markdown
    assert "<!channel>" not in markdown
    assert "](javascript:" not in markdown
    assert "\r" not in markdown
