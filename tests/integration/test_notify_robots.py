"""The robot senders against a real HTTP server on 127.0.0.1 standing in for WeCom,
DingTalk and Feishu robots and an SMS gateway. The receiver checks the DingTalk and Feishu
signatures itself, as those services document them, and refuses bad or stale ones."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import unquote

import pytest

from fenpei.adapters.notify import RobotSender, SendFailed, SmtpSender, build_outlets
from fenpei.config import RobotConfig, RobotKind, Settings
from fenpei.domain.events import Channel, EventType, Message, delivery_key
from fenpei.services.notifications.dispatch import Subscriber
from fenpei.services.notifications.messages import render
from tests.integration._receivers import (
    WECOM_KEY,
    RobotReceiver,
    dingtalk_expected_sign,
    feishu_expected_sign,
    need_openssl,
    refusing_port,
)

DINGTALK_SECRET = "SEC0123456789abcdef-dingtalk"
FEISHU_SECRET = "feishu-secret-9876543210"
SMS_TOKEN = "sms-gateway-token-42"
NAMES = {
    RobotKind.wecom: "华东销售群",
    RobotKind.dingtalk: "east-sales",
    RobotKind.feishu: "飞书-大客户",
    RobotKind.sms: "duty-phone",
}
PATHS = {
    RobotKind.wecom: f"/wecom/send?key={WECOM_KEY}",
    RobotKind.dingtalk: "/dingtalk/send?access_token=dt-token",
    RobotKind.feishu: "/feishu/hook/fs-token",
    RobotKind.sms: "/sms/send",
}
SECRETS = {
    RobotKind.dingtalk: DINGTALK_SECRET,
    RobotKind.feishu: FEISHU_SECRET,
    RobotKind.sms: SMS_TOKEN,
}
LANGUAGES = ["zh-CN", "en"]


@pytest.fixture(scope="module")
def server() -> Iterator[RobotReceiver]:
    running = RobotReceiver(
        dingtalk_secret=DINGTALK_SECRET, feishu_secret=FEISHU_SECRET, sms_token=SMS_TOKEN
    )
    yield running
    running.close()


@pytest.fixture
def receiver(server: RobotReceiver) -> Iterator[RobotReceiver]:
    server.reset()
    yield server
    server.reset()  # also lets go of a request the timeout test left waiting


def _robot(receiver: RobotReceiver, kind: RobotKind, **overrides: Any) -> RobotConfig:
    fields: dict[str, Any] = {
        "name": NAMES[kind],
        "kind": kind,
        "url": receiver.url(PATHS[kind]),
        "secret": SECRETS.get(kind, ""),
        "to": ["+8613800138000", "+8613900139000"] if kind is RobotKind.sms else [],
    }
    return RobotConfig(**(fields | overrides))


def _sender(receiver: RobotReceiver, kind: RobotKind, **overrides: Any) -> RobotSender:
    timeout = overrides.pop("timeout", 5.0)
    clock = overrides.pop("clock", time.time)
    return RobotSender(kind, [_robot(receiver, kind, **overrides)], timeout=timeout, clock=clock)


def _message(kind: RobotKind, language: str = "zh-CN") -> Message:
    customer = "上海张江科技有限公司" if language == "zh-CN" else "Acme Shanghai"
    return render(
        EventType.assigned,
        {"customer_id": 42, "customer_name": customer, "to_rep_id": 7, "to_rep_name": "王芳"},
        language=language,
        role="other",
        key=delivery_key("evt_0123456789abcdef", Channel(kind.value), NAMES[kind]),
        base_url="https://crm.example.cn",
    )


def _send(receiver: RobotReceiver, kind: RobotKind, **overrides: Any) -> Message:
    message = _message(kind)
    _sender(receiver, kind, **overrides).send(NAMES[kind], message)
    return message


# --- what each kind receives ---------------------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
def test_wecom_gets_a_markdown_message(receiver: RobotReceiver, language: str) -> None:
    message = _message(RobotKind.wecom, language)

    _sender(receiver, RobotKind.wecom).send(NAMES[RobotKind.wecom], message)

    [hit] = receiver.hits
    assert list(hit.body) == ["msgtype", "markdown"] and hit.body["msgtype"] == "markdown"
    content = hit.body["markdown"]["content"]
    assert list(hit.body["markdown"]) == ["content"]
    assert content.startswith(f"**{message.subject}**\n")
    link = "https://crm.example.cn/customers/42"
    assert f"[{link}]({link})" in content


@pytest.mark.parametrize("language", LANGUAGES)
def test_dingtalk_is_signed_so_that_a_checking_receiver_accepts_it(
    receiver: RobotReceiver, language: str
) -> None:
    message = _message(RobotKind.dingtalk, language)

    _sender(receiver, RobotKind.dingtalk).send(NAMES[RobotKind.dingtalk], message)

    [hit] = receiver.hits  # accepted: the receiver answered errcode 0 to a valid signature
    assert hit.query["access_token"] == ["dt-token"]
    assert set(hit.query) == {"access_token", "timestamp", "sign"}
    assert hit.body == {
        "msgtype": "markdown",
        "markdown": {"title": message.subject, "text": hit.body["markdown"]["text"]},
    }
    assert hit.body["markdown"]["text"].startswith(f"**{message.subject}**\n\n")


def test_a_dingtalk_signature_with_plus_and_slash_is_url_encoded(
    receiver: RobotReceiver,
) -> None:
    # '+' left raw in a query string reads as a space: find a moment whose signature has one.
    start = int(time.time() * 1000)
    moment = next(
        ms
        for ms in range(start, start + 10_000)
        if {"+", "/"} <= set(dingtalk_expected_sign(DINGTALK_SECRET, str(ms)))
    )

    _send(receiver, RobotKind.dingtalk, clock=lambda: moment / 1000)

    [hit] = receiver.hits
    assert hit.query["timestamp"] == [str(moment)]


@pytest.mark.parametrize("language", LANGUAGES)
def test_feishu_is_signed_so_that_a_checking_receiver_accepts_it(
    receiver: RobotReceiver, language: str
) -> None:
    message = _message(RobotKind.feishu, language)

    _sender(receiver, RobotKind.feishu).send(NAMES[RobotKind.feishu], message)

    [hit] = receiver.hits  # accepted: the receiver answered code 0 to a valid signature
    assert hit.body == {
        "msg_type": "text",
        "content": {"text": message.text},
        "timestamp": hit.body["timestamp"],
        "sign": hit.body["sign"],
    }
    assert hit.body["timestamp"].isdigit()


@pytest.mark.parametrize("kind", [RobotKind.dingtalk, RobotKind.feishu])
def test_a_wrong_secret_is_refused_by_the_receiver_and_raises_without_the_secret(
    receiver: RobotReceiver, kind: RobotKind
) -> None:
    with pytest.raises(SendFailed, match=f"{kind} robot '{NAMES[kind]}': refused") as failure:
        _send(receiver, kind, secret="not-the-secret-1234")
    assert "not-the-secret-1234" not in str(failure.value)
    assert len(receiver.hits) == 1


@pytest.mark.parametrize("kind", [RobotKind.dingtalk, RobotKind.feishu])
def test_a_signature_two_hours_old_is_refused(receiver: RobotReceiver, kind: RobotKind) -> None:
    two_hours_ago = time.time() - 7200

    with pytest.raises(SendFailed, match="refused"):
        _send(receiver, kind, clock=lambda: two_hours_ago)


def test_the_receivers_signature_checks_agree_with_openssl() -> None:
    """The receiver's recomputation, checked against OpenSSL's HMAC with the constructions
    the two services document: DingTalk keys by the secret over "timestamp\\nsecret";
    Feishu keys by "timestamp\\nsecret" over an empty message."""
    openssl = need_openssl()
    secret, timestamp = "SECabc+/=密钥", "1700000000123"
    to_sign = f"{timestamp}\n{secret}".encode()

    def openssl_hmac(key: bytes, data: bytes) -> str:
        mac = subprocess.run(
            [openssl, "dgst", "-sha256", "-mac", "HMAC", "-macopt", f"hexkey:{key.hex()}",
             "-binary"],
            input=data, capture_output=True, check=True,
        ).stdout  # fmt: skip
        return subprocess.run(
            [openssl, "base64", "-A"], input=mac, capture_output=True, check=True
        ).stdout.decode()

    assert dingtalk_expected_sign(secret, timestamp) == openssl_hmac(secret.encode(), to_sign)
    assert feishu_expected_sign(secret, timestamp) == openssl_hmac(to_sign, b"")


def test_sms_posts_the_numbers_the_text_and_the_key_with_the_token(
    receiver: RobotReceiver,
) -> None:
    message = _send(receiver, RobotKind.sms)  # the gateway answers 202 with no body

    [hit] = receiver.hits
    assert hit.headers["Authorization"] == f"Bearer {SMS_TOKEN}"
    assert hit.body == {
        "to": ["+8613800138000", "+8613900139000"],
        "text": f"{message.subject} https://crm.example.cn/customers/42",
        "key": message.key,
    }


def test_sms_with_a_wrong_token_raises_without_the_token(receiver: RobotReceiver) -> None:
    with pytest.raises(SendFailed, match="sms robot 'duty-phone': HTTP 401") as failure:
        _send(receiver, RobotKind.sms, secret="bad-token-777")
    assert "bad-token-777" not in str(failure.value)


@pytest.mark.parametrize("kind", list(RobotKind))
def test_every_request_carries_the_dedupe_key_even_for_a_chinese_robot_name(
    receiver: RobotReceiver, kind: RobotKind
) -> None:
    message = _send(receiver, kind)

    [hit] = receiver.hits
    assert hit.headers["Content-Type"].startswith("application/json")
    assert unquote(hit.headers["X-Fenpei-Dedupe-Key"]) == message.key


# --- failures ------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", list(RobotKind))
def test_a_server_error_raises(receiver: RobotReceiver, kind: RobotKind) -> None:
    receiver.forced = (500, {"errcode": 0, "code": 0})

    with pytest.raises(SendFailed, match=f"{kind} robot '{NAMES[kind]}': HTTP 500"):
        _send(receiver, kind)


@pytest.mark.parametrize(
    ("kind", "answer", "expected"),
    [
        (RobotKind.wecom, {"errcode": 93000, "errmsg": "invalid webhook url"}, "errcode 93000"),
        (RobotKind.dingtalk, {"errcode": 130101, "errmsg": "send too fast"}, "errcode 130101"),
        (RobotKind.feishu, {"code": 9499, "msg": "Bad Request"}, "code 9499"),
        (RobotKind.wecom, {"ok": True}, "errcode None"),
        (RobotKind.feishu, {"data": {}}, "code None"),
    ],
)
def test_a_refusal_in_a_200_answer_raises(
    receiver: RobotReceiver, kind: RobotKind, answer: dict[str, Any], expected: str
) -> None:
    receiver.forced = (200, answer)

    with pytest.raises(SendFailed, match=expected):
        _send(receiver, kind)


def test_an_answer_that_is_not_json_raises(receiver: RobotReceiver) -> None:
    receiver.forced = (200, b"<html>gateway</html>")

    with pytest.raises(SendFailed, match="not JSON"):
        _send(receiver, RobotKind.wecom)


def test_a_redirect_is_not_followed(receiver: RobotReceiver) -> None:
    receiver.redirect = PATHS[RobotKind.wecom]  # a client that followed it would succeed

    with pytest.raises(SendFailed, match="HTTP 302"):
        _send(receiver, RobotKind.wecom)
    assert len(receiver.hits) == 1


def test_a_refused_connection_raises() -> None:
    with refusing_port() as port:
        robot = RobotConfig(name="gone", kind=RobotKind.wecom, url=f"http://127.0.0.1:{port}/x")
        with pytest.raises(SendFailed, match="wecom robot 'gone': cannot connect"):
            RobotSender(RobotKind.wecom, [robot]).send("gone", _message(RobotKind.wecom))


def test_a_receiver_that_does_not_answer_raises_at_the_timeout(receiver: RobotReceiver) -> None:
    receiver.hold()

    with pytest.raises(SendFailed, match=r"feishu robot '飞书-大客户': no answer within 0.2 s"):
        _send(receiver, RobotKind.feishu, timeout=0.2)


def test_an_unknown_robot_name_raises(receiver: RobotReceiver) -> None:
    with pytest.raises(SendFailed, match="no wecom robot is named 'nobody'"):
        _sender(receiver, RobotKind.wecom).send("nobody", _message(RobotKind.wecom))
    assert receiver.hits == []


def test_misconfigured_robots_are_refused_when_the_sender_is_built() -> None:
    one = RobotConfig(name="a", kind=RobotKind.wecom, url="http://127.0.0.1:9/a")
    with pytest.raises(ValueError, match="two wecom robots are named 'a'"):
        RobotSender(RobotKind.wecom, [one, one])
    with pytest.raises(ValueError, match="is a wecom robot, not feishu"):
        RobotSender(RobotKind.feishu, [one])
    no_numbers = RobotConfig(name="s", kind=RobotKind.sms, url="http://127.0.0.1:9/s")
    with pytest.raises(ValueError, match="sms robot 's' has no numbers"):
        RobotSender(RobotKind.sms, [no_numbers])


# --- wiring --------------------------------------------------------------------------------


def test_build_outlets_wires_a_sender_per_kind_and_a_subscriber_per_robot(
    receiver: RobotReceiver,
) -> None:
    second = _robot(receiver, RobotKind.dingtalk, name="north-sales", events=["customer.pooled"])
    settings = Settings(
        smtp_host="127.0.0.1",
        base_url="https://crm.example.cn",
        language="en",
        robots=[_robot(receiver, RobotKind.dingtalk), second, _robot(receiver, RobotKind.sms)],
    )

    outlets = build_outlets(settings)

    assert set(outlets.senders) == {Channel.email, Channel.dingtalk, Channel.sms}
    assert isinstance(outlets.senders[Channel.email], SmtpSender)
    assert list(outlets.subscribers) == [
        Subscriber(Channel.dingtalk, "east-sales", None),
        Subscriber(Channel.dingtalk, "north-sales", frozenset({"customer.pooled"})),
        Subscriber(Channel.sms, "duty-phone", None),
    ]
    assert (outlets.base_url, outlets.language) == ("https://crm.example.cn", "en")
    outlets.senders[Channel.dingtalk].send("north-sales", _message(RobotKind.dingtalk))
    assert receiver.hits[0].query["access_token"] == ["dt-token"]


def test_build_outlets_without_smtp_or_robots_has_no_senders() -> None:
    outlets = build_outlets(Settings(smtp_host="", robots=[]))
    assert outlets.senders == {} and outlets.subscribers == ()
