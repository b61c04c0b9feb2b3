"""Task messages in both languages: every TaskReminderKind and the assignment have a line
naming the task (never a placeholder left), and a message links to the task's page."""

from __future__ import annotations

import re

import pytest

from fenpei.domain.events import EventType, TaskReminderKind
from fenpei.services.notifications.messages import LANGUAGES, line, render, render_digest

PAYLOAD = {
    "task_id": 7, "task_title": "寄送样品", "customer_id": 3, "to_rep_id": 5,
    "to_rep_name": "Wang", "from_rep_id": 4, "from_rep_name": "Zhao", "actor": "boss",
    "due": "2026-12-07T06:00:00+00:00", "due_text": "2026-12-07 14:00 Asia/Shanghai",
}  # fmt: skip
CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.mark.parametrize("kind", list(TaskReminderKind))
@pytest.mark.parametrize("language", LANGUAGES)
def test_every_task_reminder_has_its_line_in_both_languages(
    kind: TaskReminderKind, language: str
) -> None:
    text = line(EventType.task_reminder, PAYLOAD | {"kind": kind.value}, language=language,
                role="to")  # fmt: skip
    assert "寄送样品" in text and "{" not in text
    without_title = text.replace("寄送样品", "")
    assert bool(CJK.search(without_title)) is (language == "zh-CN")


@pytest.mark.parametrize(
    ("role", "zh", "en"),
    [
        ("to", "任务「寄送样品」已分配给您", "Task “寄送样品” assigned to you"),
        ("from", "任务「寄送样品」已从您转给 Wang", "Task “寄送样品” moved from you to Wang"),
        ("other", "任务「寄送样品」已分配给 Wang", "Task “寄送样品” assigned to Wang"),
    ],
)
def test_an_assigned_task_reads_as_its_reader_stands_to_it(role: str, zh: str, en: str) -> None:
    assert line(EventType.task_assigned, PAYLOAD, language="zh-CN", role=role) == zh
    assert line(EventType.task_assigned, PAYLOAD, language="en", role=role) == en


def test_a_task_message_links_to_the_task_and_a_customer_message_to_the_customer() -> None:
    overdue = PAYLOAD | {"kind": "overdue"}
    message = render(EventType.task_reminder, overdue, language="zh-CN", role="to", key="k",
                     base_url="https://fenpei.example/")  # fmt: skip
    assert message.subject == "任务「寄送样品」已逾期（应于 2026-12-07 14:00 Asia/Shanghai 完成）"
    assert message.extra["link"] == "https://fenpei.example/tasks/7"
    assert "查看任务" in message.text and 'href="https://fenpei.example/tasks/7"' in message.html
    customer = {"customer_id": 3, "customer_name": "Acme", "to_rep_id": 5}
    other = render(EventType.assigned, customer, language="en", role="to", key="k",
                   base_url="https://fenpei.example")  # fmt: skip
    assert other.extra["link"] == "https://fenpei.example/customers/3"
    digest = render_digest(
        [{"type": "task.reminder", "payload": overdue}, {"type": "customer.assigned",
                                                         "payload": customer}],
        rep_id=5, language="en", key="d", base_url="https://fenpei.example",
    )  # fmt: skip
    assert "https://fenpei.example/tasks/7" in digest.text
    assert "https://fenpei.example/customers/3" in digest.text
