"""Senders for the channels beyond the in-app inbox: email over SMTP, and IM robots and SMS
gateways over HTTP; ``build_outlets`` wires them from the settings."""

from __future__ import annotations

from fenpei.adapters.notify.email import SmtpSender
from fenpei.adapters.notify.errors import SendFailed
from fenpei.adapters.notify.robots import RobotSender
from fenpei.adapters.notify.webhook import Loader, WebhookSender
from fenpei.config import RobotConfig, RobotKind, Settings
from fenpei.domain.events import Channel
from fenpei.services.notifications.dispatch import Outlets, Subscriber
from fenpei.services.notifications.ports import Sender

__all__ = ["RobotSender", "SendFailed", "SmtpSender", "WebhookSender", "build_outlets"]


def build_outlets(settings: Settings, *, subscriptions: Loader | None = None) -> Outlets:
    """A sender per configured channel (email when an SMTP host is set, one per robot kind
    in use, webhooks when ``subscriptions`` reads them by name) and every robot as a
    standing subscriber (webhook subscriptions are read by the dispatcher as it goes)."""
    senders: dict[Channel, Sender] = {}
    if subscriptions is not None:
        senders[Channel.webhook] = WebhookSender(subscriptions)
    if settings.smtp_host:
        senders[Channel.email] = SmtpSender.from_settings(settings)
    by_kind: dict[RobotKind, list[RobotConfig]] = {}
    for robot in settings.robots:
        by_kind.setdefault(robot.kind, []).append(robot)
    for kind, robots in by_kind.items():
        senders[Channel(kind.value)] = RobotSender(kind, robots)
    subscribers = tuple(
        Subscriber(
            channel=Channel(robot.kind.value),
            name=robot.name,
            events=frozenset(robot.events) if robot.events is not None else None,
        )
        for robot in settings.robots
    )
    return Outlets(
        senders=senders,
        subscribers=subscribers,
        base_url=settings.base_url,
        language=settings.language.value,
    )
