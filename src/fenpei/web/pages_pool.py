"""公海: the pools a user may see and who waits in them; a rep claims (领取) here and
returns (退回) an owned customer from its page with a reason from the admin's list."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Annotated
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from fenpei.domain.errors import CapacityExceeded, ClaimRefused, ValidationFailed
from fenpei.domain.pools import Pool
from fenpei.domain.rules import PUBLIC_POOL
from fenpei.domain.users import Role, User
from fenpei.http.deps import CurrentActor, CurrentUser, FenpeiDep, UowDep, actor_of
from fenpei.http.fields import Id
from fenpei.http.reads import Names, customer_reads
from fenpei.services import scope
from fenpei.services.categories import load_category_index
from fenpei.services.pool import claims, listing, terms
from fenpei.services.ports import UnitOfWork
from fenpei.web._category_words import labeller
from fenpei.web._duplicates import DuplicateCheck, DupText, duplicate_check, pool_words
from fenpei.web._rep_picker import rep_options
from fenpei.web._said import said
from fenpei.web.i18n import Translate, translator
from fenpei.web.rendering import is_htmx, page_language, render

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 50
MAX_PAGE = 10**5
PoolKey = Annotated[str, Query(min_length=1, max_length=100)]
Code = Annotated[str, Query(max_length=200)]
MAX_WAITING_DAYS = 3650


def pool_namer(t: Translate, uow: UnitOfWork) -> Callable[[Pool], str]:
    """A pool's name in words: an admin's name, else "<team> 团队公海" or "公共公海"."""
    teams = {team.id: team.name for team in uow.teams.all()}

    def shown_name(pool: Pool) -> str:
        if pool.name != pool.key:
            return pool.name  # named by an admin
        if pool.team_id is not None:
            return t("pool.team", team=teams.get(pool.team_id, pool.key))
        return t("pool.public") if pool.key == PUBLIC_POOL else pool.key

    return shown_name


@dataclass(frozen=True)
class PoolView:
    """The pool page's query parameters as given (empty: any): the URL follows them."""

    key: str = PUBLIC_POOL
    q: str = ""
    level: str = ""
    region: str = ""
    source: str = ""
    waiting_days: int | None = None
    page: int = 1

    def url(self, **changes: object) -> str:
        """This view's URL (with ``changes``), empty parameters left out."""
        values = {**asdict(self), **changes}
        shown = {
            name: str(value)
            for name, value in values.items()
            if value not in (None, "") and not (name == "page" and value == 1)
        }
        return "/pool?" + urlencode(shown)

    def narrow(self) -> listing.PoolFilter:
        return listing.PoolFilter(
            text=self.q or None, level=self.level or None, region=self.region or None,
            source=self.source or None, waiting_days=self.waiting_days,
        )  # fmt: skip


def _page(
    request: Request,
    uow: UnitOfWork,
    user: User,
    key: str,
    *,
    page: int = 1,
    q: str | None = None,
    notice: str | None = None,
    problem: str | None = None,
    status_code: int = 200,
    check: DuplicateCheck | None = None,
    view: PoolView | None = None,
    now: datetime | None = None,
) -> Response:
    actor = actor_of(user)
    view = view or PoolView(key=key, q=q or "", page=page)
    now = now or request.app.state.fenpei.now()  # the app's clock (a fixed one in tests)
    pools = terms.list_pools(uow=uow, actor=actor)
    shown = listing.pool_customers(
        uow=uow, key=view.key, actor=actor, offset=(view.page - 1) * PAGE_SIZE, limit=PAGE_SIZE,
        narrow=view.narrow(), now=now,
    )  # fmt: skip
    pages = max(1, -(-shown.total // PAGE_SIZE))
    t = translator(page_language(request))
    shown_name = pool_namer(t, uow)
    writer = actor.role in scope.WRITERS
    index = load_category_index(uow)

    context = {
        "user": user,
        "active": "pool",
        "pools": [(p, shown_name(p)) for p in pools],
        "pool_name": shown_name(shown.pool),
        "pool": shown.pool,
        "customers": customer_reads(shown.customers, Names(uow)),
        "total": shown.total,
        "masked": shown.masked,
        "page": view.page,
        "pages": pages,
        "q": view.q,
        "view": view,
        "filtered": view.narrow() != listing.PoolFilter(),
        "category_values": index.filterable,
        "can_claim": actor.role is Role.rep and actor.rep_id is not None,
        "label_of": labeller(index),
        "notice": notice,
        "problem": problem,
        "check": check or DuplicateCheck(),
        "pool_words": pool_words(t, uow),
        "can_move": writer,
        "move_targets": [(p, shown_name(p)) for p in pools if p.key != shown.pool.key],
        "push_reps": rep_options(uow=uow, actor=actor, now=now, t=t) if writer else [],
    }
    if is_htmx(request) and request.method == "GET":
        response = render(request, "pool/_results.html", context, status_code=status_code)
        response.headers["HX-Push-Url"] = view.url()
        return response
    return render(request, "pool/index.html", context, status_code=status_code)


@router.get("/pool")
def pool_page(
    request: Request,
    uow: UowDep,
    user: CurrentUser,
    fenpei: FenpeiDep,
    key: PoolKey = "public",
    q: Annotated[str | None, Query(max_length=200)] = None,
    page: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 1,
    level: Code = "",
    region: Code = "",
    source: Code = "",
    waiting_days: Annotated[str, Query(max_length=6)] = "",
    claimed: Annotated[str | None, Query(max_length=200)] = None,
    moved: Annotated[int | None, Query(ge=0, le=MAX_PAGE)] = None,
    pushed: Annotated[int | None, Query(ge=0, le=MAX_PAGE)] = None,
    dup_phone: DupText = None,
    dup_email: DupText = None,
    dup_company: DupText = None,
) -> Response:
    """公海: who waits in a pool, longest first, with the pool's terms, narrowed by level,
    region, source and days waiting; the 查重 box checks a phone, email or company
    against every customer (told as the user's scope allows)."""
    t = translator(page_language(request))
    notice = t("pool.claimed", name=claimed) if claimed else None
    if moved is not None:
        notice = t("dup.move.done", count=moved)
    if pushed is not None:
        notice = t("pool.push.done", count=pushed)
    days = waiting_days.strip()
    if days and not (days.isdigit() and int(days) <= MAX_WAITING_DAYS):
        raise ValidationFailed.one(
            "waiting_days", f"a whole number of days, 0 to {MAX_WAITING_DAYS}"
        )
    view = PoolView(
        key=key, q=q or "", level=level, region=region, source=source,
        waiting_days=int(days) if days else None, page=page,
    )  # fmt: skip
    check = duplicate_check(
        t, uow, actor_of(user), fenpei.now(), phone=dup_phone, email=dup_email,
        company=dup_company,
    )  # fmt: skip
    status_code = 422 if check.errors else 200
    return _page(
        request, uow, user, key, notice=notice, check=check, status_code=status_code,
        view=view, now=fenpei.now(),
    )  # fmt: skip


@router.post("/pool/claim")
def claim(
    request: Request,
    uow: UowDep,
    user: CurrentUser,
    actor: CurrentActor,
    fenpei: FenpeiDep,
    customer_id: Annotated[Id, Form()],
    key: Annotated[str, Form(min_length=1, max_length=100)] = "public",
) -> Response:
    """Claim one customer; a refusal comes back on the page saying which term refused."""
    t = translator(page_language(request))
    try:
        record = claims.claim(uow=uow, customer_id=customer_id, actor=actor, now=fenpei.now())
        name = uow.customers.get(record.customer_id)
        uow.commit()
    except ClaimRefused as refused:
        uow.rollback()
        problem = t(f"pool.refused.{refused.kind}")
        if refused.kind == "duplicate":  # who owns it and until when
            problem = said(t, refused.args[0])
        return _page(request, uow, user, key, problem=problem, status_code=409, now=fenpei.now())
    except CapacityExceeded:
        uow.rollback()
        problem = t("pool.refused.capacity")
        return _page(request, uow, user, key, problem=problem, status_code=409, now=fenpei.now())
    shown = quote(name.name if name is not None else str(customer_id))
    return RedirectResponse(f"/pool?key={quote(key)}&claimed={shown}", status_code=303)


@router.post("/customers/{customer_id}/return")
def return_customer(
    request: Request,
    uow: UowDep,
    actor: CurrentActor,
    fenpei: FenpeiDep,
    customer_id: Id,
    reason: Annotated[str, Form(max_length=100)] = "",
    note: Annotated[str, Form(max_length=890)] = "",
) -> Response:
    """The owner gives the customer back to the pool with a listed reason."""
    try:
        claims.return_to_pool(
            uow=uow, customer_id=customer_id, reason=reason, note=note, actor=actor,
            now=fenpei.now(),
        )  # fmt: skip
        uow.commit()
    except ValidationFailed:
        uow.rollback()
        return RedirectResponse(f"/customers/{customer_id}?return_error=1", status_code=303)
    except ClaimRefused as refused:
        uow.rollback()
        if refused.kind != "won":
            raise
        return RedirectResponse(f"/customers/{customer_id}?return_error=won", status_code=303)
    return RedirectResponse("/my?returned=1", status_code=303)
