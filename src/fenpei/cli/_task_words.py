"""How ``fenpei tasks`` says a task: its status and priority in the output's language, one
task with its history and why it was assigned, the statistics table."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from rich.console import Console
from rich.table import Table
from rich.text import Text

from fenpei.cli._words import Words
from fenpei.domain.tasks import TaskEvent, TaskPriority, TaskStatus
from fenpei.services.tasks.queries import TaskDetail
from fenpei.services.tasks.stats import TaskStatsReport
from fenpei.web._explain import reason_words


@dataclass(frozen=True)
class TaskWords:
    words: Words

    def t(self, key: str, **values: object) -> str:
        return self.words.t(key, **values)

    def when(self, value: datetime) -> str:
        return self.words.when(value)

    def status(self, status: TaskStatus | str) -> str:
        return self.t(f"cli.tasks.status.{TaskStatus(status).value}")

    def priority(self, priority: TaskPriority | str) -> str:
        return self.t(f"cli.tasks.priority.{TaskPriority(priority).value}")


def _event_line(said: TaskWords, event: TaskEvent, names: Mapping[int | None, str]) -> str:
    """One history line: when, who, what (and the details that matter)."""
    d = event.detail
    what = said.t(f"cli.tasks.event.{event.kind.value}")
    if event.kind.value in ("assigned", "reassigned"):
        what += f" → {names.get(d.get('to_rep_id'), '?')}"
        if d.get("reason") and d.get("method") == "manual":  # a person's words; the
            what += f" ({d['reason']})"  # engine's are the task's "why", in words
    elif event.kind.value == "status":
        what += f": {said.status(d['from_status'])} → {said.status(d['to_status'])}"
    elif event.kind.value == "progress":
        what += f": {d.get('to_progress')}%"
    elif event.kind.value == "edited":
        what += ": " + ", ".join(d.get("fields", []))
    elif d.get("note"):
        what += f": {d['note']}"
    return f"{said.when(event.at)}  {event.actor}  {what}"


def show_task(
    console: Console, said: TaskWords, found: TaskDetail, names: Mapping[int | None, str]
) -> None:
    task = found.task
    t = said.t
    console.print(Text(f"#{task.id} {task.title}", style="bold"))
    rows = [
        ("status", said.status(task.status)),
        ("priority", said.priority(task.priority)),
        ("assignee", names.get(task.assignee_id, "")),
        ("due", said.when(task.due_at) if task.due_at else ""),
        ("progress", f"{task.progress}%"),
        ("customers", ", ".join(str(c) for c in found.customer_ids)),
        ("why", reason_words(said.t, task.decision) if task.decision else ""),
    ]
    for key, value in rows:
        if value:
            console.print(f"{t(f'cli.tasks.{key}')}: {value}", highlight=False)
    if task.description:
        console.print(task.description, highlight=False)
    for item in found.checklist:
        console.print(f"  [{'x' if item.done else ' '}] {item.text}", highlight=False)
    console.print(t("cli.tasks.history"))
    for event in found.history:
        console.print("  " + _event_line(said, event, names), highlight=False)


def _number(value: float | None, *, percent: bool = False) -> str:
    if value is None:
        return "—"
    return f"{value * 100:.0f}%" if percent else f"{value:.1f}"


def stats_table(
    said: TaskWords, report: TaskStatsReport, names: Mapping[int | None, str], *, days: int
) -> Table:
    table = Table(title=said.t("cli.tasks.stats_title", days=days))
    columns = (
        "assignee",
        "open",
        "overdue",
        "done",
        "on_time",
        "quality",
        "satisfaction",
        "difficulty",
        "hours",
    )
    for column in columns:
        table.add_column(said.t(f"cli.tasks.{column}"))
    for row in report.reps:
        table.add_row(
            names.get(row.rep_id, str(row.rep_id)),
            str(row.open),
            str(row.overdue),
            str(row.done),
            _number(row.on_time_rate, percent=True),
            _number(row.average_quality),
            _number(row.average_satisfaction),
            _number(row.average_difficulty),
            _number(row.average_hours_to_complete),
        )
    return table
