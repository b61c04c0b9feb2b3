"""Email through an SMTP server: plain, STARTTLS or implicit TLS, with a login when a
username is set. Each message is multipart/alternative (plain text and HTML), its
``Message-ID`` derived from the dedupe key, and the key itself in ``X-Fenpei-Dedupe-Key``."""

from __future__ import annotations

import base64
import hashlib
import smtplib
import ssl
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from email.utils import formatdate, parseaddr
from pathlib import Path

from fenpei.adapters.notify._dedupe import DEDUPE_HEADER, header_value
from fenpei.adapters.notify.errors import SendFailed
from fenpei.config import Settings, SmtpSecurity
from fenpei.domain.events import Message

# 7-bit: bodies are base64 or quoted-printable, so a relay without 8BITMIME passes them.
_POLICY = SMTP_POLICY.clone(cte_type="7bit")


def message_id(key: str, sender: str) -> str:
    """The same key always gives the same Message-ID, so a repeat can be recognised."""
    domain = parseaddr(sender)[1].rpartition("@")[2] or "fenpei.invalid"
    return f"<{hashlib.sha256(key.encode()).hexdigest()[:40]}@{domain}>"


def _tls_context(ca_file: str | Path | None, verify: bool) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=str(ca_file) if ca_file else None)
    if not verify:  # tests against a throwaway certificate only: never the default
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


def _text(reply: bytes | str) -> str:
    return reply.decode(errors="replace") if isinstance(reply, bytes) else reply


class SmtpSender:
    """Sends a message to an email address through one SMTP server."""

    def __init__(
        self,
        *,
        host: str,
        port: int,
        sender: str,
        security: SmtpSecurity = SmtpSecurity.none,
        username: str = "",
        password: str = "",
        timeout: float = 10.0,
        ca_file: str | Path | None = None,
        verify: bool = True,
    ) -> None:
        """``ca_file`` trusts that CA instead of the system's; ``verify=False`` skips
        certificate checks altogether and is meant for tests only."""
        self.host, self.port, self.security = host, port, security
        self.sender = sender
        self._username, self._password = username, password
        self._timeout = timeout
        self._tls = None if security is SmtpSecurity.none else _tls_context(ca_file, verify)

    @classmethod
    def from_settings(
        cls, settings: Settings, *, ca_file: str | Path | None = None, verify: bool = True
    ) -> SmtpSender:
        return cls(
            host=settings.smtp_host,
            port=settings.smtp_port,
            sender=settings.smtp_from,
            security=settings.smtp_security,
            username=settings.smtp_username,
            password=settings.smtp_password,
            timeout=settings.smtp_timeout_seconds,
            ca_file=ca_file,
            verify=verify,
        )

    def compose(self, recipient: str, message: Message) -> EmailMessage:
        """The email as it will be sent."""
        mail = EmailMessage(policy=_POLICY)
        mail["From"] = self.sender
        mail["To"] = recipient
        mail["Subject"] = message.subject
        mail["Date"] = formatdate(usegmt=True)
        mail["Message-ID"] = message_id(message.key, self.sender)
        mail[DEDUPE_HEADER] = header_value(message.key)
        mail.set_content(message.text)
        mail.add_alternative(message.html, subtype="html")
        return mail

    def send(self, recipient: str, message: Message) -> None:
        """Hand the email to the server; raise ``SendFailed`` unless it took it."""
        mail = self.compose(recipient, message)
        where = f"SMTP {self.host}:{self.port}"
        try:
            with self._connect() as smtp:
                if self.security is SmtpSecurity.starttls:
                    smtp.starttls(context=self._tls)
                if self._username:
                    self._login(smtp)
                # The bare address: smtplib turns to SMTPUTF8 (raw UTF-8 headers) when the
                # envelope sender holds non-ASCII, such as a Chinese display name.
                envelope_from = parseaddr(self.sender)[1] or self.sender
                refused = smtp.send_message(mail, from_addr=envelope_from, to_addrs=[recipient])
        except smtplib.SMTPRecipientsRefused as exc:
            reasons = "; ".join(f"{c} {_text(m)}" for c, m in exc.recipients.values())
            raise SendFailed(f"{where} refused the recipient {recipient}: {reasons}") from exc
        except smtplib.SMTPAuthenticationError as exc:
            reply = _text(exc.smtp_error)
            raise SendFailed(
                f"{where} refused the login of {self._username!r}: {exc.smtp_code} {reply}"
            ) from exc
        except (smtplib.SMTPException, OSError, UnicodeError) as exc:
            raise SendFailed(f"{where}: {type(exc).__name__}: {exc}") from exc
        if refused:  # only when some of several recipients were refused: never here
            raise SendFailed(f"{where} refused the recipient {recipient}")

    def _login(self, smtp: smtplib.SMTP) -> None:
        if f"{self._username}{self._password}".isascii():
            smtp.login(self._username, self._password)
            return
        # smtplib encodes credentials as ASCII (a Chinese password raises UnicodeEncodeError);
        # AUTH PLAIN carries UTF-8 (RFC 4616), so send that one by hand.
        smtp.ehlo_or_helo_if_needed()
        offered = smtp.esmtp_features.get("auth", "").upper().split()
        if "PLAIN" not in offered:
            raise smtplib.SMTPNotSupportedError(
                f"a non-ASCII username or password needs AUTH PLAIN; the server offers {offered}"
            )
        credentials = f"\0{self._username}\0{self._password}".encode()
        code, reply = smtp.docmd("AUTH", f"PLAIN {base64.b64encode(credentials).decode()}")
        if code != 235:
            raise smtplib.SMTPAuthenticationError(code, reply)

    def _connect(self) -> smtplib.SMTP:
        if self.security is SmtpSecurity.ssl:
            return smtplib.SMTP_SSL(self.host, self.port, timeout=self._timeout, context=self._tls)
        return smtplib.SMTP(self.host, self.port, timeout=self._timeout)
