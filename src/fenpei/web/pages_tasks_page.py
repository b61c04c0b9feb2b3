"""One task's page and the forms on it: progress, checklist, comments, completion (with
its difficulty), rating, 催办. Each form posts and comes back to the page (303); a bad
value shows the page again with the error next to the field (422, nothing saved). A task
out of the viewer's scope is not found."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, Field

from fenpei.domain.errors import FieldError, ValidationFailed
from fenpei.domain.phrases import Phrase
from fenpei.domain.tasks import MAX_COMMENT, MAX_NOTE, TaskStatus
from fenpei.domain.users import User
from fenpei.http.deps import CurrentUser, FenpeiDep, UowDep, actor_of
from fenpei.http.fields import Id
from fenpei.http.reads import Names
from fenpei.services.ports import UnitOfWork
from fenpei.services.tasks import workflow
from fenpei.services.tasks._access import overseeable_task, readable_task, workable_task
from fenpei.services.tasks.records import task_categories, task_types
from fenpei.web._task_page_view import decision_lines, event_text, permissions
from fenpei.web._task_view import field_messages, kind_label, page_words, task_rows
from fenpei.web.i18n import translator
from fenpei.web.rendering import page_language, render

router = APIRouter(include_in_schema=False)
DONE_NOTICES = ("created", "saved", "completed", "rated", "chased", "commented")


class NoteForm(BaseModel):
    """The completion, rating, 催办 and comment forms' fields (each uses some)."""

    body: str = Field(default="", max_length=MAX_COMMENT + 100)
    note: str = Field(default="", max_length=MAX_NOTE + 100)
    difficulty: str = Field(default="", max_length=4)
    quality: str = Field(default="", max_length=4)
    satisfaction: str = Field(default="", max_length=4)
    progress: str = Field(default="", max_length=6)
    text: str = Field(default="", max_length=400)
    done: str = Field(default="", max_length=4)


def task_context(
    request: Request, uow: UnitOfWork, user: User, task_id: int, now: Any,
    errors: Mapping[str, Mapping[str, str]] | None = None,
) -> dict[str, Any]:  # fmt: skip
    """Everything a task's page shows (NotFound outside the viewer's scope)."""
    task = readable_task(uow, actor_of(user), task_id)
    t = translator(page_language(request))
    names = Names(uow)
    events = uow.tasks.history(task_id)
    return {
        "user": user, "active": "tasks", "tab": "", "task": task,
        "row": task_rows(uow, [task], now)[0], "team": names.team(task.team_id),
        "items": uow.tasks.items(task_id), "comments": uow.tasks.comments(task_id),
        "events": [(e, event_text(t, e, names)) for e in events],
        "why": decision_lines(t, uow, task, events, names),
        "can": permissions(user, task), "open": task.is_open,
        "statuses": [s for s in TaskStatus if s is not task.status],
        "type_label": kind_label(t, "task_type", task_types(uow)),
        "category_label": kind_label(t, "task_category", task_categories(uow)),
        "errors": errors or {},
        "notice": next((k for k in DONE_NOTICES if request.query_params.get(k)), None),
        **page_words(request, uow, user),
    }  # fmt: skip


@router.get("/tasks/{task_id}")
def task_page(
    request: Request, uow: UowDep, user: CurrentUser, fenpei: FenpeiDep, task_id: Id
) -> Response:
    """A task: its fields, customers, assignee and why, checklist, comments, history."""
    return render(
        request, "tasks/task.html", task_context(request, uow, user, task_id, fenpei.now())
    )


def _number(field: str, text: str) -> int | None:
    text = text.strip()
    if not text:
        return None
    if not text.isdigit() or len(text) > 4:
        raise ValidationFailed([FieldError(field, Phrase("task.whole", "must be a whole number"))])
    return int(text)


def act(
    request: Request, uow: UnitOfWork, user: User, fenpei: Any, task_id: int, form_name: str,
    work: Callable[[], object], done: str,
) -> Response:  # fmt: skip
    """Run ``work``; commit and go back to the page, or show the form's errors (422).
    Who may work the task is settled first: a form out of scope is not found (404), an
    auditor's is refused (403), before its values are looked at."""
    workable_task(uow, actor_of(user), task_id, "change tasks")
    try:
        work()
    except ValidationFailed as exc:
        uow.rollback()
        errors = {form_name: field_messages(request, exc.errors)}
        context = task_context(request, uow, user, task_id, fenpei.now(), errors)
        return render(request, "tasks/task.html", context, status_code=422)
    uow.commit()
    return RedirectResponse(f"/tasks/{task_id}?{done}=1#{form_name}", status_code=303)


NoteBody = Annotated[NoteForm, Form()]


@router.post("/tasks/{task_id}/progress")
def set_progress(request: Request, uow: UowDep, user: CurrentUser, fenpei: FenpeiDep,
                 task_id: Id, form: NoteBody) -> Response:  # fmt: skip
    """Set how far along the task is (0-100%)."""

    def work() -> object:
        value = _number("progress", form.progress)
        if value is None:
            raise ValidationFailed([FieldError("progress", "is required")])
        return workflow.set_progress(uow=uow, actor=actor_of(user), task_id=task_id,
                                     progress=value, now=fenpei.now())  # fmt: skip

    return act(request, uow, user, fenpei, task_id, "progress", work, "saved")


@router.post("/tasks/{task_id}/checklist")
def add_item(request: Request, uow: UowDep, user: CurrentUser, fenpei: FenpeiDep,
             task_id: Id, form: NoteBody) -> Response:  # fmt: skip
    """Add a line to the checklist."""
    return act(request, uow, user, fenpei, task_id, "checklist", lambda: workflow.add_item(
        uow=uow, actor=actor_of(user), task_id=task_id, text=form.text, now=fenpei.now()),
        "saved")  # fmt: skip


@router.post("/tasks/{task_id}/checklist/{item_id}")
def tick_item(request: Request, uow: UowDep, user: CurrentUser, fenpei: FenpeiDep,
              task_id: Id, item_id: Id, form: NoteBody) -> Response:  # fmt: skip
    """Tick (``done=1``) or untick (``done=0``) a checklist line."""
    return act(request, uow, user, fenpei, task_id, "checklist", lambda: workflow.check_item(
        uow=uow, actor=actor_of(user), task_id=task_id, item_id=item_id,
        done=form.done == "1", now=fenpei.now()), "saved")  # fmt: skip


@router.post("/tasks/{task_id}/checklist/{item_id}/remove")
def remove_item(request: Request, uow: UowDep, user: CurrentUser, fenpei: FenpeiDep,
                task_id: Id, item_id: Id) -> Response:  # fmt: skip
    """Take a line off the checklist."""
    return act(request, uow, user, fenpei, task_id, "checklist", lambda: workflow.remove_item(
        uow=uow, actor=actor_of(user), task_id=task_id, item_id=item_id, now=fenpei.now()),
        "saved")  # fmt: skip


@router.post("/tasks/{task_id}/comments")
def add_comment(request: Request, uow: UowDep, user: CurrentUser, fenpei: FenpeiDep,
                task_id: Id, form: NoteBody) -> Response:  # fmt: skip
    """Comment; each @username mentioned hears of it."""
    return act(request, uow, user, fenpei, task_id, "comments", lambda: workflow.comment(
        uow=uow, actor=actor_of(user), task_id=task_id, body=form.body, now=fenpei.now()),
        "commented")  # fmt: skip


@router.post("/tasks/{task_id}/complete")
def complete(request: Request, uow: UowDep, user: CurrentUser, fenpei: FenpeiDep,
             task_id: Id, form: NoteBody) -> Response:  # fmt: skip
    """Finish the task with how hard it was (1-5) and a note."""
    return act(request, uow, user, fenpei, task_id, "complete", lambda: workflow.complete(
        uow=uow, actor=actor_of(user), task_id=task_id, now=fenpei.now(),
        difficulty=_number("difficulty", form.difficulty), note=form.note or None),
        "completed")  # fmt: skip


@router.post("/tasks/{task_id}/rate")
def rate(request: Request, uow: UowDep, user: CurrentUser, fenpei: FenpeiDep,
         task_id: Id, form: NoteBody) -> Response:  # fmt: skip
    """The creator's or a manager's rating: quality and satisfaction, 1-5 each."""

    def work() -> object:
        overseeable_task(uow, actor_of(user), task_id, "rate tasks")
        quality = _number("quality", form.quality)
        pleased = _number("satisfaction", form.satisfaction)
        missing = [FieldError(name, "is required")
                   for name, value in (("quality", quality), ("satisfaction", pleased))
                   if value is None]  # fmt: skip
        if missing or quality is None or pleased is None:
            raise ValidationFailed(missing)
        return workflow.rate(
            uow=uow, actor=actor_of(user), task_id=task_id, now=fenpei.now(), quality=quality,
            satisfaction=pleased, note=form.note or None,
        )  # fmt: skip

    return act(request, uow, user, fenpei, task_id, "rate", work, "rated")


@router.post("/tasks/{task_id}/chase")
def chase(request: Request, uow: UowDep, user: CurrentUser, fenpei: FenpeiDep,
          task_id: Id, form: NoteBody) -> Response:  # fmt: skip
    """催办: press the assignee, with a note; recorded, and they get a message."""
    return act(request, uow, user, fenpei, task_id, "chase", lambda: workflow.chase(
        uow=uow, actor=actor_of(user), task_id=task_id, now=fenpei.now(),
        note=form.note or None), "chased")  # fmt: skip
