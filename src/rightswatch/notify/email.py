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
        label = f"email channel {self.name!r}"
        message = build_message(self.config, digest, idempotency_key)
        try:
            with self._connect() as client:
                if self.config.username:
                    password = reveal(self.config.password) if self.config.password else ""
                    client.login(self.config.username, password)
                client.send_message(message)
        except smtplib.SMTPAuthenticationError as exc:
            raise DeliveryError(
                f"{label}: SMTP {exc.smtp_code} authentication failed at "
                f"{self._where()}; check the username and password",
                retryable=False,
            ) from None
        except smtplib.SMTPRecipientsRefused as exc:
            refused = ", ".join(sorted(exc.recipients))
            raise DeliveryError(
                f"{label}: {self._where()} refused every recipient ({refused})", retryable=False
            ) from None
        except smtplib.SMTPResponseException as exc:
            text = (
                exc.smtp_error.decode("utf-8", "replace")
                if isinstance(exc.smtp_error, bytes)
                else str(exc.smtp_error)
            )
            raise DeliveryError(
                f"{label}: SMTP {exc.smtp_code} {one_line(text)[:120]} at {self._where()}",
                retryable=exc.smtp_code >= 400 and exc.smtp_code < 500,
            ) from None
        except ssl.SSLError as exc:
            raise DeliveryError(
                f"{label}: TLS failed at {self._where()}: {exc.reason or exc}; check "
                "`security` and `ca_file`",
                retryable=False,
            ) from None
        except smtplib.SMTPNotSupportedError:
            raise DeliveryError(
                f"{label}: {self._where()} does not offer STARTTLS or AUTH; check `security`",
                retryable=False,
            ) from None
        except (ConnectionRefusedError, smtplib.SMTPConnectError):
            raise DeliveryError(f"{label}: SMTP connection refused at {self._where()}") from None
        except TimeoutError:
            raise DeliveryError(
                f"{label}: no answer from {self._where()} within {self.config.timeout:g} s"
            ) from None
        except (smtplib.SMTPException, OSError) as exc:
            raise DeliveryError(
                f"{label}: SMTP failed at {self._where()}: "
                f"{type(exc).__name__}: {one_line(str(exc))[:160]}"
            ) from None
