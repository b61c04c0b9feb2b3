"""The words of each message, in the recipient's language (zh-CN or en): the subject and
text of an email or IM message, the line an in-app notification shows, and the daily
digest that lists those lines in one email."""

from __future__ import annotations

from datetime import UTC, datetime
from html import escape
from typing import Any

from fenpei.domain.events import EventType, Message, ReminderKind, TaskReminderKind

LANGUAGES = ("zh-CN", "en")

# For the new owner ("to"), the previous one ("from") and anyone else told ("other").
_LINES: dict[str, dict[tuple[EventType, str], str]] = {
    "zh-CN": {
        (EventType.assigned, "to"): "新客户「{customer}」已分配给您",
        (EventType.merged, "other"): "重复客户已合并到「{customer}」（{actor}）",
        (EventType.assigned, "other"): "客户「{customer}」已分配给 {to_rep}",
        (EventType.reassigned, "to"): "客户「{customer}」已从 {from_rep} 转给您",
        (EventType.reassigned, "from"): "您的客户「{customer}」已转给 {to_rep}",
        (EventType.reassigned, "other"): "客户「{customer}」已从 {from_rep} 转给 {to_rep}",
        (EventType.pooled, "from"): "您的客户「{customer}」已放入公海 {pool}",
        (EventType.pooled, "other"): "客户「{customer}」已放入公海 {pool}",
        (EventType.test, "other"): "fenpei 测试事件",
        (EventType.task_assigned, "to"): "任务「{task}」已分配给您",
        (EventType.task_assigned, "from"): "任务「{task}」已从您转给 {to_rep}",
        (EventType.task_assigned, "other"): "任务「{task}」已分配给 {to_rep}",
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
        (EventType.task_assigned, "to"): "Task “{task}” assigned to you",
        (EventType.task_assigned, "from"): "Task “{task}” moved from you to {to_rep}",
        (EventType.task_assigned, "other"): "Task “{task}” assigned to {to_rep}",
        (EventType.merged, "other"): "A duplicate was merged into “{customer}” by {actor}",
    },
}
# Reminders (EventType.reminder), by kind, for the owner ("to") or anyone else told.
_REMINDERS: dict[str, dict[tuple[ReminderKind, str], str]] = {
    "zh-CN": {
        (ReminderKind.follow_up_due, "other"): "客户「{customer}」今天该跟进了",
        (ReminderKind.sla_due_soon, "other"): "客户「{customer}」须在 {due} 前首次联系",
        (ReminderKind.sla_breached, "other"): "客户「{customer}」首次联系已超时（应于 {due}）",
        (ReminderKind.sla_escalated, "other"): (
            "{to_rep} 的客户「{customer}」首次联系已超时（应于 {due}）"
        ),
        (ReminderKind.reclaim_warning, "other"): "客户「{customer}」将于 {due} 被收回公海",
        (ReminderKind.sla_next_due_soon, "other"): "客户「{customer}」须在 {due} 前再次联系",
        (ReminderKind.sla_next_breached, "other"): "客户「{customer}」下次联系已超时（应于 {due}）",
        (ReminderKind.sla_next_escalated, "other"): (
            "{to_rep} 的客户「{customer}」下次联系已超时（应于 {due}）"
        ),
    },
    "en": {
        (ReminderKind.follow_up_due, "other"): "Follow up with “{customer}” today",
        (ReminderKind.sla_due_soon, "other"): "First contact with “{customer}” is due by {due}",
        (ReminderKind.sla_breached, "other"): (
            "First contact with “{customer}” is overdue (due {due})"
        ),
        (ReminderKind.sla_escalated, "other"): (
            "{to_rep}'s customer “{customer}” missed first contact (due {due})"
        ),
        (ReminderKind.reclaim_warning, "other"): (
            "“{customer}” goes back to the pool on {due} unless followed up"
        ),
        (ReminderKind.sla_next_due_soon, "other"): (
            "Next contact with “{customer}” is due by {due}"
        ),
        (ReminderKind.sla_next_breached, "other"): (
            "Next contact with “{customer}” is overdue (due {due})"
        ),
        (ReminderKind.sla_next_escalated, "other"): (
            "{to_rep}'s customer “{customer}” missed the next contact (due {due})"
        ),
    },
}
# Task messages (EventType.task_reminder), by kind; {actor} is who chased, mentioned, …
_TASK_LINES: dict[str, dict[TaskReminderKind, str]] = {
    "zh-CN": {
        TaskReminderKind.starting: "任务「{task}」已到开始时间",
        TaskReminderKind.due_soon: "任务「{task}」将于 {due} 到期",
        TaskReminderKind.due: "任务「{task}」现在到期（{due}）",
        TaskReminderKind.overdue: "任务「{task}」已逾期（应于 {due} 完成）",
        TaskReminderKind.escalated: "{to_rep} 的任务「{task}」已逾期（应于 {due} 完成）",
        TaskReminderKind.chased: "{actor} 催办任务「{task}」",
        TaskReminderKind.mentioned: "{actor} 在任务「{task}」中提到了您",
        TaskReminderKind.completed: "{actor} 完成了任务「{task}」，请评价",
        TaskReminderKind.rated: "{actor} 评价了您的任务「{task}」",
    },
    "en": {
        TaskReminderKind.starting: "Task “{task}” starts now",
        TaskReminderKind.due_soon: "Task “{task}” is due by {due}",
        TaskReminderKind.due: "Task “{task}” is due now ({due})",
        TaskReminderKind.overdue: "Task “{task}” is overdue (due {due})",
        TaskReminderKind.escalated: "{to_rep}'s task “{task}” is overdue (due {due})",
        TaskReminderKind.chased: "{actor} is chasing task “{task}”",
        TaskReminderKind.mentioned: "{actor} mentioned you in task “{task}”",
        TaskReminderKind.completed: "{actor} finished task “{task}”: please rate it",
        TaskReminderKind.rated: "{actor} rated your task “{task}”",
    },
}
_REASON = {"zh-CN": "原因：{reason}", "en": "Why: {reason}"}
_OPEN = {"zh-CN": "查看客户", "en": "Open the customer"}
_OPEN_TASK = {"zh-CN": "查看任务", "en": "Open the task"}
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
    language = language if language in _LINES else "zh-CN"
    if type is EventType.reminder:
        kind = ReminderKind(str(payload.get("kind")))
        template = _REMINDERS[language].get((kind, role)) or _REMINDERS[language][kind, "other"]
    elif type is EventType.task_reminder:
        template = _TASK_LINES[language][TaskReminderKind(str(payload.get("kind")))]
    else:
        lines = _LINES[language]
        template = lines.get((type, role)) or lines[(type, "other")]
    return template.format(
        customer=payload.get("customer_name") or f"#{payload.get('customer_id')}",
        to_rep=payload.get("to_rep_name") or "—",
        from_rep=payload.get("from_rep_name") or "—",
        pool=payload.get("pool") or "",
        due=payload.get("due_text") or _when(payload.get("due")),
        task=payload.get("task_title") or f"#{payload.get('task_id')}",
        actor=payload.get("actor") or "—",
    ).strip()


def link_path(payload: dict[str, Any]) -> str:
    """Where a message about ``payload`` leads: its task, else its customer."""
    if isinstance(payload.get("task_id"), int):
        return f"/tasks/{payload['task_id']}"
    return f"/customers/{payload.get('customer_id')}"


def _when(iso: object) -> str:
    """A due time as a message shows it: ``2026-12-07 14:30 UTC``."""
    if not isinstance(iso, str):
        return "—"
    try:
        return datetime.fromisoformat(iso).astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    except ValueError:
        return iso


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
    link = f"{base_url.rstrip('/')}{link_path(payload)}"
    opens = (_OPEN_TASK if "task_id" in payload else _OPEN)[language]
    reason = payload.get("reason")
    parts = [subject]
    if reason:
        parts.append(_REASON[language].format(reason=reason))
    parts += [f"{opens}: {link}", "", _FOOTER[language]]
    html_reason = f"<p>{escape(_REASON[language].format(reason=reason))}</p>" if reason else ""
    html = (
        f'<!doctype html><html lang="{language}"><body>'
        f"<p><strong>{escape(subject)}</strong></p>{html_reason}"
        f'<p><a href="{escape(link)}">{escape(opens)}</a></p>'
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
        entries.append((text, f"{base}{link_path(payload)}"))
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
