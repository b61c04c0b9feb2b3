"""Follow-ups (跟进记录) and stage changes: what a rep did with a customer, and where it stands.

A follow-up is a logged contact (its ``kind`` a code of the admin-defined ``follow_up_type``
category: phone, visit, email …) with an outcome and, optionally, when to follow up next.
A stage change records a move along new → contacted → qualified (意向) → won / lost, with
why. The customer's timeline shows them with its assignments. A stage change is never
changed; a follow-up may be corrected (更正: its kind, content, outcome and next date, never
when it happened, which the SLA and reclaim clocks read) by its author for a day, by an
admin at any time, and says so (``edited_at``).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta

from fenpei.domain import limits
from fenpei.domain.customers import Customer, Stage
from fenpei.domain.errors import FieldError, ValidationFailed
from fenpei.domain.phrases import Phrase, required, too_long

FOLLOW_UP_TYPES = "follow_up_type"  # the category listing the kinds of follow-up
LOST_REASONS = "lost_reason"  # the category offering common reasons for a lost customer
MAX_CONTENT = 2000
MAX_OUTCOME = 500
MAX_REASON = 500
# A follow-up happened; "in a minute" is allowed for clocks that differ a little.
FUTURE_LEEWAY = timedelta(minutes=1)
FIRST_FOLLOW_UP = "first follow-up"  # the reason of the automatic new → contacted move
EDIT_WINDOW = timedelta(hours=24)  # how long the author may correct a follow-up
CORRECTABLE = ("kind", "content", "outcome", "next_at")  # what a correction may change


@dataclass(eq=False)
class FollowUp:
    """One logged contact with a customer; ``rep_id`` is the rep who made it (None when an
    admin or a manager without a rep logged it), ``author`` the actor's name."""

    customer_id: int
    author: str
    kind: str
    at: datetime
    content: str
    rep_id: int | None = None
    outcome: str | None = None
    next_at: datetime | None = None  # when to follow up next: reminds the owner then
    reminded_at: datetime | None = None  # when that reminder was written (once)
    created_at: datetime | None = None
    edited_at: datetime | None = None  # last corrected (更正), if ever
    id: int | None = None


@dataclass(eq=False)
class StageChange:
    """A customer's move from one stage to another, by whom and why."""

    customer_id: int
    from_stage: Stage
    to_stage: Stage
    actor: str
    at: datetime
    reason: str | None = None
    id: int | None = None


def _text(field: str, value: str | None, limit: int, errors: list[FieldError]) -> str | None:
    text = (value or "").strip()
    if not text:
        return None
    if "\x00" in text:
        errors.append(FieldError(field, Phrase("follow_up.nul", "must not contain NUL characters")))
    elif len(text) > limit:
        errors.append(FieldError(field, too_long(limit)))
    return text


def _moment(field: str, value: datetime | None, errors: list[FieldError]) -> datetime | None:
    if value is None:
        return None
    if value.tzinfo is None:
        errors.append(FieldError(field, Phrase("follow_up.zone", "needs a time zone")))
        return None
    if problem := limits.date_problem(value):
        errors.append(FieldError(field, problem))
        return None
    return value


def new_follow_up(
    *,
    customer_id: int,
    author: str,
    rep_id: int | None,
    kind: str,
    at: datetime,
    content: str,
    outcome: str | None,
    next_at: datetime | None,
    now: datetime,
    kinds: Collection[str],
) -> FollowUp:
    """A checked follow-up: ``kind`` one of ``kinds`` (the usable follow-up types), content
    given and not too long, ``at`` not in the future, ``next_at`` after ``at``. Every bad
    field is named."""
    errors: list[FieldError] = []
    kind = kind.strip()
    if not kind:
        errors.append(FieldError("kind", required()))
    elif kind not in kinds:
        errors.append(
            FieldError(
                "kind", Phrase("follow_up.kind", "{got!r} is not a follow-up type", got=kind[:40])
            )
        )
    text = _text("content", content, MAX_CONTENT, errors)
    if text is None and not any(e.field == "content" for e in errors):
        errors.append(FieldError("content", required()))
    said = _text("outcome", outcome, MAX_OUTCOME, errors)
    when = _moment("at", at, errors)
    if when is not None and when > now + FUTURE_LEEWAY:
        errors.append(FieldError("at", Phrase("follow_up.future", "must not be in the future")))
    following = _moment("next_at", next_at, errors)
    if following is not None and when is not None and following <= when:
        errors.append(
            FieldError("next_at", Phrase("follow_up.next_after", "must be after the follow-up"))
        )
    if errors:
        raise ValidationFailed(errors)
    assert when is not None and text is not None
    return FollowUp(
        customer_id=customer_id, author=author, rep_id=rep_id, kind=kind, at=when,
        content=text, outcome=said, next_at=following, created_at=now,
    )  # fmt: skip


def correction_refused(
    follow_up: FollowUp, *, author: str, admin: bool, now: datetime
) -> Phrase | None:
    """Why ``author`` may not correct ``follow_up`` now, or None if they may: an admin
    always; its author within EDIT_WINDOW of logging it; nobody else."""
    if admin:
        return None
    if follow_up.author != author:
        return Phrase("follow_up.not_yours", "only its author or an admin may correct a follow-up")
    logged = follow_up.created_at or follow_up.at
    if now - logged > EDIT_WINDOW:
        return Phrase(
            "follow_up.too_old",
            "a follow-up can be corrected for {hours} hours after it was logged; ask an admin",
            hours=int(EDIT_WINDOW.total_seconds() // 3600),
        )
    return None


def correct(
    follow_up: FollowUp, changes: dict[str, object], *, now: datetime, kinds: Collection[str]
) -> list[str]:
    """Apply ``changes`` (of CORRECTABLE fields; any other is named as an error) to
    ``follow_up``, checked as a new follow-up is (its own kind stays allowed though the
    admin retired it); the fields that changed. Nothing changes if anything is bad."""
    errors = [
        FieldError(
            name,
            Phrase("follow_up.fixed_time", "when it happened cannot change: the clocks read it")
            if name == "at"
            else Phrase("follow_up.not_correctable", "cannot be corrected"),
        )
        for name in changes
        if name not in CORRECTABLE
    ]
    wanted = {name: changes.get(name, getattr(follow_up, name)) for name in CORRECTABLE}
    try:
        checked = new_follow_up(
            customer_id=follow_up.customer_id, author=follow_up.author, rep_id=follow_up.rep_id,
            kind=str(wanted["kind"] or ""), at=follow_up.at, content=str(wanted["content"] or ""),
            outcome=wanted["outcome"], next_at=wanted["next_at"],  # type: ignore[arg-type]
            now=max(now, follow_up.at), kinds={*kinds, follow_up.kind},
        )  # fmt: skip
    except ValidationFailed as exc:
        errors += exc.errors
    if errors:
        raise ValidationFailed(errors)
    changed = [name for name in CORRECTABLE if getattr(checked, name) != getattr(follow_up, name)]
    for name in changed:
        setattr(follow_up, name, getattr(checked, name))
    if "next_at" in changed:
        follow_up.reminded_at = None  # reminded again, at the new time
    if changed:
        follow_up.edited_at = now
    return changed


def stage_reason(to: Stage, reason: str | None) -> str | None:
    """The reason for a move to ``to``, checked: required for lost, at most MAX_REASON."""
    errors: list[FieldError] = []
    text = _text("reason", reason, MAX_REASON, errors)
    if text is None and to is Stage.lost and not errors:
        errors.append(FieldError("reason", Phrase("stage.lost_reason", "say why it was lost")))
    if errors:
        raise ValidationFailed(errors)
    return text


def move_stage(
    customer: Customer, to: Stage, *, reason: str | None, actor: str, at: datetime
) -> StageChange | None:
    """Put ``customer`` in stage ``to``: its stage clock restarts, a won or lost customer is
    closed (and has nothing due), a reopened one is open again. The record of the move, or
    None if it already was in that stage."""
    before = Stage(customer.stage)
    if before is to:
        return None
    assert customer.id is not None
    customer.stage = to
    customer.stage_changed_at = at
    if to.is_open:
        customer.closed_at = None
    else:
        customer.closed_at = customer.closed_at or at
        customer.next_follow_up_at = None
    customer.updated_at = at
    return StageChange(
        customer_id=customer.id, from_stage=before, to_stage=to, actor=actor, at=at, reason=reason
    )
