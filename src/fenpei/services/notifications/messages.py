"""The words of each message, in the recipient's language (zh-CN or en): the subject and
text of an email or IM message, the line an in-app notification shows, and the daily
digest that lists those lines in one email."""

from __future__ import annotations

from html import escape
from typing import Any

from fenpei.domain.events import EventType, Message

LANGUAGES = ("zh-CN", "en")

# For the new owner ("to"), the previous one ("from") and anyone else told ("other").
_LINES: dict[str, dict[tuple[EventType, str], str]] = {
    "zh-CN": {
        (EventType.assigned, "to"): "新客户「{customer}」已分配给您",
        (EventType.assigned, "other"): "客户「{customer}」已分配给 {to_rep}",
        (EventType.reassigned, "to"): "客户「{customer}」已从 {from_rep} 转给您",
        (EventType.reassigned, "from"): "您的客户「{customer}」已转给 {to_rep}",
        (EventType.reassigned, "other"): "客户「{customer}」已从 {from_rep} 转给 {to_rep}",
        (EventType.pooled, "from"): "您的客户「{customer}」已放入公海 {pool}",
        (EventType.pooled, "other"): "客户「{customer}」已放入公海 {pool}",
        (EventType.test, "other"): "fenpei 测试事件",
    },
    "en": {
        (EventType.assigned, "to"): "New customer “{customer}” assigned to you",
        (EventType.assigned, "other"): "Customer “{customer}” assigned to {to_rep}",
        (EventType.reassigned, "to"): "Customer “{customer}” moved to you from {from_rep}",
        (EventType.reassigned, "from"): "Your customer “{customer}” moved to {to_rep}",
        (EventType.reassigned, "other"): "Customer “{customer}” moved from {from_rep} to {to_rep}",
        (EventType.pooled, "from"): "Your customer “{customer}” went to the pool {pool}",
        (EventType.pooled, "other"): "Customer “{customer}” went to the pool {pool}",
        (EventType.test, "other"): "A test event from fenpei",
    },
}
_REASON = {"zh-CN": "原因：{reason}", "en": "Why: {reason}"}
_OPEN = {"zh-CN": "查看客户", "en": "Open the customer"}
_DIGEST_SUBJECT = {"zh-CN": "fenpei：昨日 {n} 条通知", "en": "fenpei: {n} notifications"}
_DIGEST_ONE = {"zh-CN": "fenpei：昨日 1 条通知", "en": "fenpei: 1 notification"}
_DIGEST_INTRO = {
    "zh-CN": "自上一封摘要以来的通知（共 {n} 条）：",
    "en": "Your notifications since the last digest ({n}):",
}
_FOOTER = {
    "zh-CN": "此消息由 fenpei 客户分配系统发送。",
    "en": "Sent by fenpei, the customer assignment system.",
}


def role_of(payload: dict[str, Any], rep_id: int | None) -> str:
    """How a rep stands to the event: the new owner, the previous one, or someone else."""
    if rep_id is not None and rep_id == payload.get("to_rep_id"):
        return "to"
    if rep_id is not None and rep_id == payload.get("from_rep_id"):
        return "from"
    return "other"


def line(type: EventType, payload: dict[str, Any], *, language: str, role: str) -> str:
    """One line saying what happened, as this recipient should read it."""
    lines = _LINES[language if language in _LINES else "zh-CN"]
    template = lines.get((type, role)) or lines[(type, "other")]
    return template.format(
        customer=payload.get("customer_name") or f"#{payload.get('customer_id')}",
        to_rep=payload.get("to_rep_name") or "—",
        from_rep=payload.get("from_rep_name") or "—",
        pool=payload.get("pool") or "",
    ).strip()


def render(
    type: EventType,
    payload: dict[str, Any],
    *,
    language: str,
    role: str,
    key: str,
    base_url: str,
) -> Message:
    """The message for one recipient: subject, plain text and HTML, with the dedupe key."""
    language = language if language in _LINES else "zh-CN"
    subject = line(type, payload, language=language, role=role)
    link = f"{base_url.rstrip('/')}/customers/{payload.get('customer_id')}"
    reason = payload.get("reason")
    parts = [subject]
    if reason:
        parts.append(_REASON[language].format(reason=reason))
    parts += [f"{_OPEN[language]}: {link}", "", _FOOTER[language]]
    html_reason = f"<p>{escape(_REASON[language].format(reason=reason))}</p>" if reason else ""
    html = (
        f'<!doctype html><html lang="{language}"><body>'
        f"<p><strong>{escape(subject)}</strong></p>{html_reason}"
        f'<p><a href="{escape(link)}">{escape(_OPEN[language])}</a></p>'
        f'<p style="color:#888">{escape(_FOOTER[language])}</p></body></html>'
    )
    return Message(subject=subject, text="\n".join(parts), html=html, key=key, extra={"link": link})


def render_digest(
    items: list[dict[str, Any]], *, rep_id: int | None, language: str, key: str, base_url: str
) -> Message:
    """A daily digest: one line per notification (``items``: each its ``type`` and
    ``payload``, oldest first), as the rep ``rep_id`` should read them, with the links."""
    language = language if language in _LINES else "zh-CN"
    n = len(items)
    subject = (_DIGEST_ONE if n == 1 else _DIGEST_SUBJECT)[language].format(n=n)
    base = base_url.rstrip("/")
    entries = []
    for item in items:
        payload = item["payload"]
        text = line(
            EventType(item["type"]), payload, language=language, role=role_of(payload, rep_id)
        )
        entries.append((text, f"{base}/customers/{payload.get('customer_id')}"))
    intro = _DIGEST_INTRO[language].format(n=n)
    text = "\n".join(
        [intro, "", *(f"- {entry}\n  {link}" for entry, link in entries), "", _FOOTER[language]]
    )
    listed = "".join(f'<li><a href="{escape(link)}">{escape(e)}</a></li>' for e, link in entries)
    html = (
        f'<!doctype html><html lang="{language}"><body><p>{escape(intro)}</p><ul>{listed}</ul>'
        f'<p style="color:#888">{escape(_FOOTER[language])}</p></body></html>'
    )
    return Message(subject=subject, text=text, html=html, key=key, extra={"count": n})
