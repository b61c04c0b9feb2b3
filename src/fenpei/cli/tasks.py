"""`fenpei tasks list|add|show|status|progress|complete|rate|chase|assign|stats`: tasks
(任务) from the command line, through the same services as the API and the pages.

Commands act as the system (an admin) unless ``--rep`` names the rep doing it: then the
rep's scope applies (they see and work their own tasks) and ``list`` shows theirs. A bad
value exits 1 naming the field, with nothing changed.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated

import typer
from rich.table import Table

from fenpei.cli._acting import TIME_FORMATS, acting_as, aware
from fenpei.cli._common import console, fenpei_app
from fenpei.cli._task_words import TaskWords, show_task, stats_table
from fenpei.cli._words import LangOption, words
from fenpei.domain.tasks import OPEN_STATUSES, TaskFilter, TaskPriority, TaskStatus
from fenpei.domain.users import SYSTEM
from fenpei.services.org import find_rep
from fenpei.services.tasks import editing, queries, stats, workflow
from fenpei.services.tasks.intake import create_and_route
from fenpei.services.tasks.records import TaskInput
from fenpei.web._explain import reason_words

app = typer.Typer(help="Tasks (任务).", no_args_is_help=True)
TaskArgument = Annotated[int, typer.Argument(min=1, max=2**31 - 1, help="The task's id.")]
RepOption = Annotated[
    str | None, typer.Option("--rep", help="The rep doing it (id or name); default: an admin.")
]
NoteOption = Annotated[str | None, typer.Option("--note", help="A note.")]


@app.command("list")
def list_(
    rep: RepOption = None,
    status: Annotated[TaskStatus | None, typer.Option(help="Only this status.")] = None,
    all_: Annotated[bool, typer.Option("--all", help="Finished and cancelled too.")] = False,
    priority: Annotated[TaskPriority | None, typer.Option(help="Only this priority.")] = None,
    kind: Annotated[str | None, typer.Option(help="Only this task_type code.")] = None,
    customer: Annotated[int | None, typer.Option(min=1, help="About this customer id.")] = None,
    overdue: Annotated[bool, typer.Option(help="Only open tasks past due.")] = False,
    q: Annotated[str | None, typer.Option("--q", help="Text in the title.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=queries.MAX_LISTED, help="At most.")] = 50,
    lang: LangOption = None,
) -> None:
    """Open tasks by due time (with --rep: that rep's own, "my tasks")."""
    with fenpei_app() as fenpei, fenpei.uow() as uow:
        said = TaskWords(words(fenpei.settings, lang))
        actor = acting_as(uow, rep)
        statuses = [status] if status else ([] if all_ else list(OPEN_STATUSES))
        wanted = TaskFilter(
            assignee_ids={actor.rep_id} if actor.rep_id is not None else None,
            statuses=statuses,
            priorities=[priority] if priority else [],
            kinds=[kind] if kind else [],
            customer_id=customer,
            overdue_at=fenpei.now() if overdue else None,
            text=q or "",
        )
        page = queries.list_tasks(uow=uow, actor=actor, wanted=wanted, limit=limit)
        names = {r.id: r.name for r in uow.reps.all()}
    table = Table(title=said.t("cli.tasks.title", shown=len(page.tasks), total=page.total))
    for column in ("id", "task", "priority", "status", "due", "assignee", "progress"):
        table.add_column(said.t(f"cli.tasks.{column}"))
    for task in page.tasks:
        table.add_row(
            str(task.id),
            task.title,
            said.priority(task.priority),
            said.status(task.status),
            said.when(task.due_at) if task.due_at else "",
            names.get(task.assignee_id, ""),
            f"{task.progress}%",
        )
    console.print(table)


@app.command("add")
def add(
    title: Annotated[str, typer.Argument(help="What is to be done.")],
    customer: Annotated[list[int] | None, typer.Option(min=1, help="A customer id.")] = None,
    kind: Annotated[str | None, typer.Option(help="A task_type code.")] = None,
    category: Annotated[str | None, typer.Option(help="A task_category code.")] = None,
    priority: Annotated[str | None, typer.Option(help="urgent, high, medium or low.")] = None,
    urgency: Annotated[int | None, typer.Option(help="1 (can wait) to 5 (now).")] = None,
    start: Annotated[
        datetime | None, typer.Option(formats=TIME_FORMATS, help="When to start.")
    ] = None,
    due: Annotated[
        datetime | None, typer.Option(formats=TIME_FORMATS, help="When it is due.")
    ] = None,
    effort: Annotated[str | None, typer.Option(help="Estimated hours.")] = None,
    description: Annotated[str | None, typer.Option(help="Details.")] = None,
    assignee: Annotated[
        str | None, typer.Option(help="Give it to this rep (id or name); else it is routed.")
    ] = None,
    rep: RepOption = None,
    lang: LangOption = None,
) -> None:
    """Create a task: routed to whoever should have it, or given to --assignee."""
    with fenpei_app() as fenpei, fenpei.uow() as uow:
        said = TaskWords(words(fenpei.settings, lang))
        zone = fenpei.settings.zone
        actor = acting_as(uow, rep)
        given = find_rep(uow=uow, ref=assignee).id if assignee is not None else None
        data = TaskInput(
            title=title,
            description=description,
            kind=kind,
            category=category,
            priority=priority,
            urgency=urgency,
            customer_ids=customer or [],
            start_at=aware(start, zone),
            due_at=aware(due, zone),
            effort_hours=effort,
        )
        task = create_and_route(
            uow=uow, actor=actor, data=data, now=fenpei.now(), assignee_id=given
        )
        uow.commit()
        who = uow.reps.get(task.assignee_id) if task.assignee_id else None
    if who is None:
        console.print(said.t("cli.tasks.added_unassigned", id=task.id))
    else:
        why = reason_words(said.t, task.decision) if task.decision else said.t("cli.tasks.by_hand")
        console.print(said.t("cli.tasks.added", id=task.id, rep=who.name, why=why))


@app.command("show")
def show(task: TaskArgument, rep: RepOption = None, lang: LangOption = None) -> None:
    """A task with its customers, checklist, history and why it was assigned."""
    with fenpei_app() as fenpei, fenpei.uow() as uow:
        said = TaskWords(words(fenpei.settings, lang))
        found = queries.task_detail(uow=uow, actor=acting_as(uow, rep), task_id=task)
        names = {r.id: r.name for r in uow.reps.all()}
    show_task(console, said, found, names)


@app.command("status")
def status(
    task: TaskArgument,
    to: Annotated[str, typer.Argument(help="todo, in_progress, blocked, done or cancelled.")],
    reason: Annotated[str | None, typer.Option(help="Why (required for blocked).")] = None,
    rep: RepOption = None,
    lang: LangOption = None,
) -> None:
    """Move a task along its workflow."""
    with fenpei_app() as fenpei, fenpei.uow() as uow:
        said = TaskWords(words(fenpei.settings, lang))
        done = workflow.change_status(
            uow=uow,
            actor=acting_as(uow, rep),
            task_id=task,
            status=to,
            reason=reason,
            now=fenpei.now(),
        )
        uow.commit()
    console.print(said.t("cli.tasks.status_set", id=task, status=said.status(done.status)))


@app.command("progress")
def progress(
    task: TaskArgument,
    percent: Annotated[int, typer.Argument(help="0-100.")],
    rep: RepOption = None,
    lang: LangOption = None,
) -> None:
    """Set how much of a task is done."""
    with fenpei_app() as fenpei, fenpei.uow() as uow:
        said = TaskWords(words(fenpei.settings, lang))
        workflow.set_progress(
            uow=uow, actor=acting_as(uow, rep), task_id=task, progress=percent, now=fenpei.now()
        )
        uow.commit()
    console.print(said.t("cli.tasks.progress_set", id=task, progress=percent))


@app.command("complete")
def complete(
    task: TaskArgument,
    difficulty: Annotated[int | None, typer.Option(help="How hard it was, 1-5.")] = None,
    note: NoteOption = None,
    rep: RepOption = None,
    lang: LangOption = None,
) -> None:
    """Finish a task with how hard it was; its creator hears of it."""
    with fenpei_app() as fenpei, fenpei.uow() as uow:
        said = TaskWords(words(fenpei.settings, lang))
        workflow.complete(
            uow=uow,
            actor=acting_as(uow, rep),
            task_id=task,
            difficulty=difficulty,
            note=note,
            now=fenpei.now(),
        )
        uow.commit()
    console.print(said.t("cli.tasks.completed", id=task))


@app.command("rate")
def rate(
    task: TaskArgument,
    quality: Annotated[int, typer.Option(help="1-5.")],
    satisfaction: Annotated[int, typer.Option(help="1-5.")],
    note: NoteOption = None,
    lang: LangOption = None,
) -> None:
    """Rate a finished task (as an admin); its assignee hears of it."""
    with fenpei_app() as fenpei, fenpei.uow() as uow:
        said = TaskWords(words(fenpei.settings, lang))
        workflow.rate(
            uow=uow,
            actor=SYSTEM,
            task_id=task,
            quality=quality,
            satisfaction=satisfaction,
            note=note,
            now=fenpei.now(),
        )
        uow.commit()
    console.print(said.t("cli.tasks.rated", id=task))


@app.command("chase")
def chase(task: TaskArgument, note: NoteOption = None, lang: LangOption = None) -> None:
    """催办: press a task's assignee (recorded; they get a message at once)."""
    with fenpei_app() as fenpei, fenpei.uow() as uow:
        said = TaskWords(words(fenpei.settings, lang))
        workflow.chase(uow=uow, actor=SYSTEM, task_id=task, note=note, now=fenpei.now())
        uow.commit()
    console.print(said.t("cli.tasks.chased", id=task))


@app.command("assign")
def assign(
    task: TaskArgument,
    to: Annotated[str, typer.Argument(help="The rep (id or name).")],
    reason: Annotated[str | None, typer.Option(help="Why.")] = None,
    lang: LangOption = None,
) -> None:
    """Give a task to a rep by hand."""
    with fenpei_app() as fenpei, fenpei.uow() as uow:
        said = TaskWords(words(fenpei.settings, lang))
        rep = find_rep(uow=uow, ref=to)
        editing.reassign_task(
            uow=uow, actor=SYSTEM, task_id=task, rep_id=rep.id or 0, reason=reason, now=fenpei.now()
        )
        uow.commit()
    console.print(said.t("cli.tasks.assigned", id=task, rep=rep.name))


@app.command("stats")
def stats_(
    days: Annotated[int, typer.Option(min=1, max=3660, help="Tasks done in the last N days.")] = 30,
    team: Annotated[int | None, typer.Option(min=1, help="Only this team's reps.")] = None,
    lang: LangOption = None,
) -> None:
    """Per-rep task figures: open, overdue, done, on-time rate, average ratings."""
    with fenpei_app() as fenpei, fenpei.uow() as uow:
        said = TaskWords(words(fenpei.settings, lang))
        now = fenpei.now()
        report = stats.task_stats(
            uow=uow,
            actor=SYSTEM,
            since=now - timedelta(days=days),
            until=now + timedelta(seconds=1),
            now=now,
            team_id=team,
        )
        names = {r.id: r.name for r in uow.reps.all()}
    console.print(stats_table(said, report, names, days=days))
