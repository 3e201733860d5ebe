"""The `email` channel: SMTP with none | starttls | ssl and optional auth.

multipart/alternative: plain text plus HTML with inline-styled insertions and deletions.
Headers are built by the email package from one-line values, so CR/LF in a page title can
never inject a header. The Message-ID is derived from the idempotency key, so a digest re-sent
after a crash carries the same id and mail clients that de-duplicate show it once.
"""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate

from rightswatch.config import EmailChannel as EmailConfig
from rightswatch.digest import Digest
from rightswatch.notify.base import DeliveryError
from rightswatch.render import digest_html, digest_text, one_line
from rightswatch.secrets import reveal

MAX_SUBJECT = 200


def build_message(config: EmailConfig, digest: Digest, idempotency_key: str) -> EmailMessage:
    message = EmailMessage()
    message["Subject"] = one_line(digest.subject())[:MAX_SUBJECT]
    message["From"] = config.sender
    message["To"] = ", ".join(config.recipients)
    message["Date"] = formatdate(usegmt=True)
    message["Message-ID"] = f"<{idempotency_key}@rightswatch>"
    message["X-Rightswatch-Idempotency-Key"] = idempotency_key
    message.set_content(digest_text(digest))
    message.add_alternative(digest_html(digest), subtype="html")
    return message


class EmailChannel:
    def __init__(self, name: str, config: EmailConfig) -> None:
        self.name = name
        self.config = config

    def _where(self) -> str:
        return f"{self.config.host}:{self.config.port}"

    def _tls(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=self.config.ca_file)

    def _connect(self) -> smtplib.SMTP:
        c = self.config
        if c.security == "ssl":
            return smtplib.SMTP_SSL(c.host, c.port, timeout=c.timeout, context=self._tls())
        client = smtplib.SMTP(c.host, c.port, timeout=c.timeout)
        if c.security == "starttls":
            client.starttls(context=self._tls())
        return client

    def send(self, digest: Digest, idempotency_key: str) -> None:
        message = build_message(self.config, digest, idempotency_key)
        try:
            with self._connect() as client:
                if self.config.username:
                    password = reveal(self.config.password) if self.config.password else ""
                    client.login(self.config.username, password)
                client.send_message(message)
        except (smtplib.SMTPException, ssl.SSLError, OSError) as exc:
            raise self._failure(exc) from None

    def _failure(self, exc: Exception) -> DeliveryError:
        """What an SMTP failure means to the user, and whether the next attempt may succeed."""
        label, where = f"email channel {self.name!r}", self._where()
        if isinstance(exc, smtplib.SMTPAuthenticationError):
            return DeliveryError(
                f"{label}: SMTP {exc.smtp_code} authentication failed at {where}; check the "
                "username and password",
                retryable=False,
            )
        if isinstance(exc, smtplib.SMTPRecipientsRefused):
            refused = ", ".join(sorted(exc.recipients))
            return DeliveryError(
                f"{label}: {where} refused every recipient ({refused})", retryable=False
            )
        if isinstance(exc, smtplib.SMTPResponseException):
            error = exc.smtp_error
            text = error.decode("utf-8", "replace") if isinstance(error, bytes) else str(error)
            return DeliveryError(
                f"{label}: SMTP {exc.smtp_code} {one_line(text)[:120]} at {where}",
                retryable=400 <= exc.smtp_code < 500,
            )
        if isinstance(exc, ssl.SSLError):
            return DeliveryError(
                f"{label}: TLS failed at {where}: {exc.reason or exc}; check `security` and "
                "`ca_file`",
                retryable=False,
            )
        if isinstance(exc, smtplib.SMTPNotSupportedError):
            return DeliveryError(
                f"{label}: {where} does not offer STARTTLS or AUTH; check `security`",
                retryable=False,
            )
        if isinstance(exc, ConnectionRefusedError | smtplib.SMTPConnectError):
            return DeliveryError(f"{label}: SMTP connection refused at {where}")
        if isinstance(exc, TimeoutError):
            timeout = self.config.timeout
            return DeliveryError(f"{label}: no answer from {where} within {timeout:g} s")
        return DeliveryError(
            f"{label}: SMTP failed at {where}: {type(exc).__name__}: {one_line(str(exc))[:160]}"
        )
