"""The SMTP sender against a real SMTP server (aiosmtpd) on 127.0.0.1: plain, STARTTLS and
implicit TLS, each with a login; what arrives, and what makes a send fail."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest

from fenpei.adapters.notify import SendFailed, SmtpSender
from fenpei.config import Settings, SmtpSecurity
from fenpei.domain.events import Channel, EventType, Message, delivery_key
from fenpei.services.notifications.messages import render
from tests.integration._receivers import TlsFiles, make_tls_files, refusing_port, smtp_server

USERS = {"fenpei-mailer": "s3cret-pass", "通知机器人": "口令-s3cret"}
FROM = "分配系统 <fenpei@crm.example.cn>"
TO = "wang.fang@example.cn"
PAYLOADS: dict[str, dict[str, Any]] = {
    "zh-CN": {"customer_name": "上海张江科技有限公司", "to_rep_name": "王芳", "reason": "区域调整"},
    "en": {
        "customer_name": "Acme & Sons <Shanghai>",
        "to_rep_name": "Wang Fang",
        "reason": "Region",
    },
}


def _message(language: str, *, event: str = "evt_0123456789abcdef") -> Message:
    payload = {"customer_id": 42, "to_rep_id": 7, "from_rep_id": 3, "from_rep_name": "李雷"}
    return render(
        EventType.reassigned,
        payload | PAYLOADS[language],
        language=language,
        role="to",
        key=delivery_key(event, Channel.email, "rep:7"),
        base_url="https://crm.example.cn",
    )


@pytest.fixture(scope="module")
def tls(tmp_path_factory: pytest.TempPathFactory) -> TlsFiles:
    return make_tls_files(tmp_path_factory.mktemp("tls"))


def _sender(port: int, security: SmtpSecurity, **overrides: Any) -> SmtpSender:
    settings = Settings(
        smtp_host="127.0.0.1",
        smtp_port=port,
        smtp_security=security,
        smtp_username="fenpei-mailer",
        smtp_password=USERS["fenpei-mailer"],
        smtp_from=FROM,
        smtp_timeout_seconds=5,
    )
    ca_file: Path | None = overrides.pop("ca_file", None)
    verify: bool = overrides.pop("verify", True)
    return SmtpSender.from_settings(
        settings.model_copy(update=overrides), ca_file=ca_file, verify=verify
    )


@pytest.fixture
def plain_server() -> Iterator[tuple[int, Any]]:
    with smtp_server(security="none", users=USERS, refuse=frozenset({"nobody@example.cn"})) as s:
        yield s


@pytest.mark.parametrize("language", ["zh-CN", "en"])
def test_an_email_arrives_with_both_parts_its_subject_intact_and_the_dedupe_key(
    plain_server: tuple[int, Any], language: str
) -> None:
    port, mailbox = plain_server
    message = _message(language)

    _sender(port, SmtpSecurity.none).send(TO, message)

    [received] = mailbox.received
    assert received.rcpt_tos == [TO]
    assert received.mail_from == "fenpei@crm.example.cn"
    assert received.login == b"fenpei-mailer"
    assert received.content.isascii()  # 7-bit on the wire: encoded words, base64 or QP
    mail = received.parsed()
    assert mail.get_content_type() == "multipart/alternative"
    assert mail["Subject"] == message.subject
    assert mail["From"].addresses[0].display_name == "分配系统"
    assert unquote(mail["X-Fenpei-Dedupe-Key"]) == message.key
    plain, html = mail.get_body(("plain",)), mail.get_body(("html",))
    assert plain is not None and html is not None
    assert plain.get_content_charset() == html.get_content_charset() == "utf-8"
    assert plain.get_content().replace("\r\n", "\n").strip() == message.text.strip()
    assert html.get_content().replace("\r\n", "\n").strip() == message.html
    assert PAYLOADS[language]["customer_name"] in plain.get_content()


def test_the_message_id_is_the_same_for_a_repeat_and_differs_for_another_key(
    plain_server: tuple[int, Any],
) -> None:
    port, mailbox = plain_server
    sender = _sender(port, SmtpSecurity.none)
    message = _message("zh-CN")

    sender.send(TO, message)
    sender.send(TO, message)
    sender.send(TO, _message("zh-CN", event="evt_fedcba9876543210"))

    first, repeat, other = (mail.parsed()["Message-ID"] for mail in mailbox.received)
    assert first == repeat != other
    assert first.endswith("@crm.example.cn>")


def test_starttls_is_used_before_the_login_and_the_mail(tls: TlsFiles) -> None:
    # The server refuses AUTH and MAIL until STARTTLS, and requires a login.
    with smtp_server(security="starttls", users=USERS, tls=tls) as (port, mailbox):
        _sender(port, SmtpSecurity.starttls, ca_file=tls.cert).send(TO, _message("zh-CN"))

    [received] = mailbox.received
    assert received.tls and received.login == b"fenpei-mailer"
    assert received.parsed()["Subject"] == _message("zh-CN").subject


def test_implicit_tls_sends_with_a_login(tls: TlsFiles) -> None:
    with smtp_server(security="ssl", users=USERS, tls=tls) as (port, mailbox):
        _sender(port, SmtpSecurity.ssl, ca_file=tls.cert).send(TO, _message("en"))

    [received] = mailbox.received
    assert received.tls and received.login == b"fenpei-mailer"


@pytest.mark.parametrize("security", [SmtpSecurity.ssl, SmtpSecurity.starttls])
def test_an_untrusted_certificate_is_refused_unless_verification_is_turned_off(
    tls: TlsFiles, security: SmtpSecurity
) -> None:
    with smtp_server(security=security.value, users=USERS, tls=tls) as (port, mailbox):
        with pytest.raises(SendFailed, match="CERTIFICATE_VERIFY_FAILED"):
            _sender(port, security).send(TO, _message("zh-CN"))
        assert mailbox.received == []

        _sender(port, security, verify=False).send(TO, _message("zh-CN"))
    assert len(mailbox.received) == 1


def test_a_refused_recipient_raises_and_nothing_is_delivered(
    plain_server: tuple[int, Any],
) -> None:
    port, mailbox = plain_server

    with pytest.raises(SendFailed, match=r"refused the recipient nobody@example.cn: 550"):
        _sender(port, SmtpSecurity.none).send("nobody@example.cn", _message("zh-CN"))
    assert mailbox.received == []


def test_a_wrong_password_raises_without_showing_the_password(
    plain_server: tuple[int, Any],
) -> None:
    port, mailbox = plain_server
    sender = _sender(port, SmtpSecurity.none, smtp_password="wrong-口令-xyz")

    with pytest.raises(SendFailed, match="refused the login of 'fenpei-mailer'") as failure:
        sender.send(TO, _message("zh-CN"))
    assert "wrong-口令-xyz" not in str(failure.value)
    assert mailbox.received == []


def test_a_server_that_is_down_raises() -> None:
    with refusing_port() as port, pytest.raises(SendFailed, match=r"127.0.0.1:\d+: Connection"):
        _sender(port, SmtpSecurity.none).send(TO, _message("zh-CN"))


def test_a_chinese_username_and_password_log_in(plain_server: tuple[int, Any]) -> None:
    port, mailbox = plain_server
    sender = _sender(
        port, SmtpSecurity.none, smtp_username="通知机器人", smtp_password="口令-s3cret"
    )

    sender.send(TO, _message("zh-CN"))

    [received] = mailbox.received
    assert received.login == "通知机器人".encode()


def test_without_a_username_no_login_is_attempted(plain_server: tuple[int, Any]) -> None:
    port, mailbox = plain_server

    _sender(port, SmtpSecurity.none, smtp_username="").send(TO, _message("en"))

    [received] = mailbox.received
    assert received.login is None
