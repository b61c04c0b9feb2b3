"""分类管理: every dimension with its values and customer counts; an admin adds, renames,
merges, retires and restores values (the others read). A refused form comes back with its
error next to the value it was about (422)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Form, Path, Request
from fastapi.responses import RedirectResponse, Response

from fenpei.domain.errors import UsedByRules, ValidationFailed
from fenpei.domain.users import Actor, User
from fenpei.http.deps import CurrentActor, CurrentUser, FenpeiDep, UowDep
from fenpei.services import categories
from fenpei.services.ports import UnitOfWork
from fenpei.services.scope import require_admin
from fenpei.web._said import said
from fenpei.web.i18n import translator
from fenpei.web.rendering import page_language, render

router = APIRouter(include_in_schema=False)
Key = Annotated[str, Path(max_length=50, pattern=r"^[A-Za-z0-9_.-]+$")]
Text = Annotated[str, Form(max_length=200)]


def _page(
    request: Request,
    uow: UnitOfWork,
    user: User,
    *,
    failed: dict[str, Any] | None = None,
    done: str | None = None,
    carried: list[int] | None = None,
    status_code: int = 200,
) -> Response:
    found = (uow.rules.get(rule_id) for rule_id in carried or [])
    context = {
        "user": user,
        "active": "categories",
        "overview": categories.category_overview(uow=uow),
        "can_edit": user.role.value == "admin",
        "failed": failed or {},
        "done": done,
        "carried": [rule for rule in found if rule is not None],
    }
    return render(request, "categories/index.html", context, status_code=status_code)


@router.get("/categories")
def categories_page(request: Request, uow: UowDep, user: CurrentUser) -> Response:
    """分类管理: dimensions, values and how many customers hold each."""
    done = request.query_params.get("done")
    carried = request.query_params.get("rules", "")[:2000].split(",")
    rule_ids = [int(part) for part in carried if part.isdigit() and len(part) < 10]
    return _page(request, uow, user, done=done if done in _ACTIONS else None, carried=rule_ids)


def _act(
    request: Request,
    uow: UnitOfWork,
    user: User,
    actor: Actor,
    *,
    action: str,
    key: str,
    code: str,
    values: dict[str, str],
    work: Callable[[], object],
) -> Response:
    require_admin(actor, "change categories")
    failed: dict[str, Any] = {
        "action": action, "key": key, "code": code, "values": values, "rules": [],
    }  # fmt: skip
    try:
        result = work()
        uow.commit()
    except ValidationFailed as exc:
        uow.rollback()
        message = "; ".join(_say(e.message, request) for e in exc.errors)
        return _page(request, uow, user, failed={**failed, "message": message}, status_code=422)
    except UsedByRules as exc:
        uow.rollback()
        t = translator(page_language(request))
        message = t(f"categories.error.used_by_rules.{exc.action}", count=len(exc.rules))
        failed |= {"message": message, "rules": exc.rules}
        return _page(request, uow, user, failed=failed, status_code=409)
    carried = ",".join(str(r.rule_id) for r in getattr(result, "rules", []))
    also = f"&rules={carried}" if carried else ""
    return RedirectResponse(f"/categories?done={action}{also}#cat-{key}", status_code=303)


@router.post("/categories/{key}/add")
def add_value(
    request: Request, uow: UowDep, user: CurrentUser, actor: CurrentActor, fenpei: FenpeiDep,
    key: Key, code: Text = "", label: Text = "",
) -> Response:  # fmt: skip
    """Add a value to a dimension (the label defaults to the code)."""
    return _act(
        request, uow, user, actor, action="add", key=key, code="",
        values={"code": code, "label": label},
        work=lambda: categories.add_value(
            uow=uow, key=key, code=code, label=label, actor=actor, now=fenpei.now()
        ),
    )  # fmt: skip


@router.post("/categories/{key}/rename")
def rename_value(
    request: Request, uow: UowDep, user: CurrentUser, actor: CurrentActor, fenpei: FenpeiDep,
    key: Key, code: Text = "", label: Text = "",
) -> Response:  # fmt: skip
    """Change the label people see (customers keep the code)."""
    return _act(
        request, uow, user, actor, action="rename", key=key, code=code, values={"label": label},
        work=lambda: categories.rename_value(
            uow=uow, key=key, code=code, label=label, actor=actor, now=fenpei.now()
        ),
    )  # fmt: skip


@router.post("/categories/{key}/merge")
def merge_value(
    request: Request, uow: UowDep, user: CurrentUser, actor: CurrentActor, fenpei: FenpeiDep,
    key: Key, code: Text = "", into: Text = "",
) -> Response:  # fmt: skip
    """Move a value's customers to another value and retire it (asked to confirm first)."""
    return _act(
        request, uow, user, actor, action="merge", key=key, code=code, values={"into": into},
        work=lambda: categories.merge_values(
            uow=uow, key=key, code=code, into=into, actor=actor, now=fenpei.now()
        ),
    )  # fmt: skip


@router.post("/categories/{key}/retire")
def retire_value(
    request: Request, uow: UowDep, user: CurrentUser, actor: CurrentActor, fenpei: FenpeiDep,
    key: Key, code: Text = "",
) -> Response:  # fmt: skip
    """Hide a value from new input; customers holding it keep it."""
    return _act(
        request, uow, user, actor, action="retire", key=key, code=code, values={},
        work=lambda: categories.retire_value(
            uow=uow, key=key, code=code, actor=actor, now=fenpei.now()
        ),
    )  # fmt: skip


@router.post("/categories/{key}/restore")
def restore_value(
    request: Request, uow: UowDep, user: CurrentUser, actor: CurrentActor, fenpei: FenpeiDep,
    key: Key, code: Text = "",
) -> Response:  # fmt: skip
    """Bring a retired value back (not one that was merged)."""
    return _act(
        request, uow, user, actor, action="restore", key=key, code=code, values={},
        work=lambda: categories.retire_value(
            uow=uow, key=key, code=code, actor=actor, now=fenpei.now(), retired=False
        ),
    )  # fmt: skip


def _say(message: str, request: Request) -> str:
    """The service's message, in the page's language where it is the common one."""
    t = translator(page_language(request))
    if message == "must be 1 to 100 characters":
        return t("categories.error.text")
    return said(t, message)


_ACTIONS = frozenset({"add", "rename", "merge", "retire", "restore"})
