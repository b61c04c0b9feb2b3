"""IM group robots and SMS gateways: one ``RobotSender`` per kind, posting each message to
the robot named as its recipient.

- WeCom (企业微信) group robot: a markdown message; the URL's ``key`` is the only credential.
- DingTalk (钉钉) custom robot: a markdown message; with a secret ("加签"), ``timestamp`` (ms)
  and ``sign`` = urlencode(base64(HMAC-SHA256(key=secret, msg=f"{timestamp}\\n{secret}")))
  are added to the URL.
- Feishu / Lark (飞书) custom bot: a text message; with a secret ("签名校验"), the body carries
  ``timestamp`` (s) and ``sign`` = base64(HMAC-SHA256(key=f"{timestamp}\\n{secret}", msg=b"")).
- SMS: any gateway that takes ``{"to": [...], "text": ..., "key": ...}`` as JSON, with the
  secret as a bearer token; a 2xx answer means accepted.

WeCom and DingTalk answer HTTP 200 with ``errcode`` != 0 when they refuse a message, Feishu
with ``code`` != 0: those are failures too. Every request carries the dedupe key."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote_plus

from fenpei.adapters.notify._dedupe import DEDUPE_HEADER, header_value
from fenpei.adapters.notify._http import Reply, post_json
from fenpei.adapters.notify.errors import SendFailed
from fenpei.config import RobotConfig, RobotKind
from fenpei.domain.events import Message

TIMEOUT = 10.0


@dataclass(frozen=True)
class _Request:
    url: str
    payload: dict[str, Any]
    headers: Mapping[str, str]


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    """DingTalk's signature, not yet URL-encoded."""
    digest = hmac.new(
        secret.encode(), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256
    ).digest()
    return base64.b64encode(digest).decode()


def feishu_sign(secret: str, timestamp_s: int) -> str:
    """Feishu's signature: the timestamp and secret are the HMAC key, the message is empty."""
    digest = hmac.new(f"{timestamp_s}\n{secret}".encode(), b"", hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def _markdown(message: Message, newline: str) -> str:
    """The subject in bold, then the rest of the text, the link made clickable."""
    lines = message.text.split("\n")
    if lines and lines[0] == message.subject:
        lines = lines[1:]
    link = message.extra.get("link")
    body = [
        line.replace(link, f"[{link}]({link})") if isinstance(link, str) and link else line
        for line in lines
        if line.strip()
    ]
    return newline.join([f"**{message.subject}**", *body])


def _wecom(robot: RobotConfig, message: Message, now: float) -> _Request:
    content = _markdown(message, "\n")
    return _Request(robot.url, {"msgtype": "markdown", "markdown": {"content": content}}, {})


def _dingtalk(robot: RobotConfig, message: Message, now: float) -> _Request:
    url = robot.url
    if robot.secret:
        timestamp = int(now * 1000)
        sign = quote_plus(dingtalk_sign(robot.secret, timestamp))
        url += f"{'&' if '?' in url else '?'}timestamp={timestamp}&sign={sign}"
    # DingTalk's markdown needs a blank line to break a line.
    text = _markdown(message, "\n\n")
    payload = {"msgtype": "markdown", "markdown": {"title": message.subject, "text": text}}
    return _Request(url, payload, {})


def _feishu(robot: RobotConfig, message: Message, now: float) -> _Request:
    payload: dict[str, Any] = {"msg_type": "text", "content": {"text": message.text}}
    if robot.secret:
        timestamp = int(now)
        payload |= {"timestamp": str(timestamp), "sign": feishu_sign(robot.secret, timestamp)}
    return _Request(robot.url, payload, {})


def _sms(robot: RobotConfig, message: Message, now: float) -> _Request:
    # A text message is billed by length: the one line and the link, not the footer.
    link = message.extra.get("link")
    text = f"{message.subject} {link}" if link else message.subject
    payload = {"to": list(robot.to), "text": text, "key": message.key}
    headers = {"Authorization": f"Bearer {robot.secret}"} if robot.secret else {}
    return _Request(robot.url, payload, headers)


def _errcode_zero(reply: Reply, what: str) -> None:
    answer = reply.json(what)
    if answer.get("errcode") != 0:
        errmsg = str(answer.get("errmsg", ""))[:200]
        raise SendFailed(f"{what}: refused, errcode {answer.get('errcode')!r}: {errmsg}")


def _code_zero(reply: Reply, what: str) -> None:
    answer = reply.json(what)
    # Older Feishu hooks answer with StatusCode only; newer ones with code (and both).
    code = answer.get("code", answer.get("StatusCode"))
    if code != 0:
        msg = str(answer.get("msg", answer.get("StatusMessage", "")))[:200]
        raise SendFailed(f"{what}: refused, code {code!r}: {msg}")


def _any_2xx(reply: Reply, what: str) -> None:
    return None


_BUILD: dict[RobotKind, Callable[[RobotConfig, Message, float], _Request]] = {
    RobotKind.wecom: _wecom,
    RobotKind.dingtalk: _dingtalk,
    RobotKind.feishu: _feishu,
    RobotKind.sms: _sms,
}
_ACCEPTED: dict[RobotKind, Callable[[Reply, str], None]] = {
    RobotKind.wecom: _errcode_zero,
    RobotKind.dingtalk: _errcode_zero,
    RobotKind.feishu: _code_zero,
    RobotKind.sms: _any_2xx,
}


class RobotSender:
    """Sends messages to the robots of one kind; the recipient is the robot's name."""

    def __init__(
        self,
        kind: RobotKind,
        robots: Iterable[RobotConfig],
        *,
        timeout: float = TIMEOUT,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.kind = kind
        self._timeout = timeout
        self._clock = clock  # signatures carry the time; the receivers refuse stale ones
        self._robots: dict[str, RobotConfig] = {}
        for robot in robots:
            if robot.kind is not kind:
                raise ValueError(f"robot {robot.name!r} is a {robot.kind} robot, not {kind}")
            if robot.name in self._robots:
                raise ValueError(f"two {kind} robots are named {robot.name!r}: rename one")
            if kind is RobotKind.sms and not robot.to:
                raise ValueError(f"sms robot {robot.name!r} has no numbers in 'to'")
            self._robots[robot.name] = robot

    @property
    def names(self) -> list[str]:
        return list(self._robots)

    def send(self, recipient: str, message: Message) -> None:
        """Post ``message`` to the robot named ``recipient``; raise unless it accepted it."""
        robot = self._robots.get(recipient)
        if robot is None:
            raise SendFailed(f"no {self.kind} robot is named {recipient!r}")
        what = f"{self.kind} robot {robot.name!r}"
        request = _BUILD[self.kind](robot, message, self._clock())
        reply = post_json(
            request.url,
            request.payload,
            headers={DEDUPE_HEADER: header_value(message.key), **request.headers},
            timeout=self._timeout,
            what=what,
        )
        _ACCEPTED[self.kind](reply, what)
