"""Training learned models from fenpei's own history, and evaluating them.

The history is every closed customer (won or lost) with its owner and team; the outcome
became known when it closed (``closed_at``). A model is trained on all of it, evaluated by
training the same way on the outcomes before a split and testing on those after, and kept
as a new inactive version with its params and those figures (``ScoreModel.metrics``).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from fenpei.domain.audit import AuditEntry
from fenpei.domain.custom_fields import FieldKind
from fenpei.domain.customers import Customer, Stage
from fenpei.domain.errors import ValidationFailed
from fenpei.domain.scoring import ModelKind, ScoreModel
from fenpei.domain.users import Actor
from fenpei.engine.scoring.contract import Example
from fenpei.engine.scoring.evaluation import Evaluation, default_split, evaluate
from fenpei.engine.scoring.features import DEFAULT_FIELDS
from fenpei.engine.scoring.training import train_affinity, train_score
from fenpei.services.ports import CustomerQuery, UnitOfWork
from fenpei.services.scope import require_admin

LEARNED_KINDS = (ModelKind.score, ModelKind.affinity)
_PAGE = 2000
Progress = Callable[[str], None]


def _outcome_time(customer: Customer) -> datetime | None:
    return customer.closed_at or customer.stage_changed_at


def load_examples(*, uow: UnitOfWork, until: datetime | None = None) -> list[Example]:
    """Every closed customer (won or lost) whose outcome was known before ``until``,
    with its owner and team, oldest outcome first."""
    team_of = {r.id: r.team_id for r in uow.reps.all() if r.id is not None}
    found: list[Example] = []
    for stage in (Stage.won, Stage.lost):
        offset = 0
        while True:
            page, total = uow.customers.search(
                CustomerQuery(stage=stage, sort="id", offset=offset, limit=_PAGE)
            )
            for c in page:
                at = _outcome_time(c)
                if at is None or (until is not None and at >= until):
                    continue
                team = c.team_id if c.team_id is not None else team_of.get(c.owner_id or -1)
                value = float(c.expected_value) if stage is Stage.won and c.expected_value else None
                found.append(Example(c, stage is Stage.won, at, c.owner_id, team, value))
            offset += _PAGE
            if offset >= total or not page:
                break
    found.sort(key=lambda e: (e.at, e.customer.id or 0))
    return found


def _fields(uow: UnitOfWork) -> tuple[str, ...]:
    """The customer fields a model reads: the built-in ones and every choice custom field
    (``custom.<key>``); never the value, stage or close date, which give the outcome away."""
    chosen = [
        f"custom.{d.key}" for d in uow.custom_fields.all() if FieldKind(d.kind) is FieldKind.choice
    ]
    return tuple(dict.fromkeys([*DEFAULT_FIELDS, *chosen]))


def _team_of_reps(uow: UnitOfWork) -> dict[int, int]:
    return {r.id: r.team_id for r in uow.reps.all() if r.id is not None and r.team_id is not None}


def _kind(kind: ModelKind | str) -> ModelKind:
    try:
        found = ModelKind(kind)
    except ValueError:
        found = None
    if found not in LEARNED_KINDS:
        known = ", ".join(k.value for k in LEARNED_KINDS)
        raise ValidationFailed.one("kind", f"{kind!r} is not a learned model (one of {known})")
    assert found is not None
    return found


def _evaluate(
    uow: UnitOfWork, examples: list[Example], kind: ModelKind, split_at: datetime | None
) -> Evaluation:
    if len(examples) < 20 or len({e.won for e in examples}) < 2:
        raise ValidationFailed.one(
            "history", f"{len(examples)} closed customers: need 20 or more, both won and lost"
        )
    split = split_at if split_at is not None else default_split(examples)
    try:
        return evaluate(
            examples, split, kind=kind.value, team_of_rep=_team_of_reps(uow), fields=_fields(uow)
        )
    except ValueError as e:
        raise ValidationFailed.one("split_at", f"{split.date().isoformat()}: {e}") from None


def evaluate_models(
    *, uow: UnitOfWork, now: datetime, split_at: datetime | None = None,
    kind: ModelKind | str = ModelKind.score,
) -> Evaluation:  # fmt: skip
    """Train on the outcomes before ``split_at`` and compare the learned model with its
    baselines on those after (nothing is stored)."""
    learned_kind = _kind(kind)
    return _evaluate(uow, load_examples(uow=uow, until=now), learned_kind, split_at)


def train_model(
    *,
    uow: UnitOfWork,
    kind: ModelKind | str,
    actor: Actor,
    now: datetime,
    split_at: datetime | None = None,
    name: str | None = None,
    activate: bool = False,
    progress: Progress | None = None,
) -> ScoreModel:
    """Train a learned model on the whole history and keep it as a new version, with its
    evaluation on a time split; active only when asked (the caller commits)."""
    require_admin(actor, "train models")
    learned_kind = _kind(kind)
    if name is not None and not 0 < len(name.strip()) <= 100:
        raise ValidationFailed.one("name", "must be 1 to 100 characters")
    say = progress or (lambda _: None)
    say("loading")
    examples = load_examples(uow=uow, until=now)
    say("evaluating")
    evaluation = _evaluate(uow, examples, learned_kind, split_at)
    say("training")
    model: Any = (
        train_score(examples, fields=_fields(uow))
        if learned_kind is ModelKind.score
        else train_affinity(examples, _team_of_reps(uow), fields=_fields(uow))
    )
    version = uow.score_models.next_version(learned_kind)
    stored = ScoreModel(
        kind=learned_kind,
        version=version,
        name=name.strip() if name else f"{learned_kind.value} v{version}",
        params=model.to_params(),
        metrics={**evaluation.metrics(), "trained_on": len(examples)},
        created_by=actor.name,
        created_at=now,
    )
    uow.score_models.add(stored)
    if activate:
        uow.score_models.activate(stored, at=now)
    _audit(uow, stored, actor=actor, now=now, activate=activate)
    say("done")
    return stored


def _audit(
    uow: UnitOfWork, model: ScoreModel, *, actor: Actor, now: datetime, activate: bool
) -> None:
    """The training, its figures and the version (its params are the version itself)."""
    figures = {k: model.metrics.get(k) for k in ("auc", "brier", "rows", "test_rows", "split_at")}
    uow.audit.add(
        AuditEntry(
            actor=actor.name,
            action="train",
            object_type="scoremodel",
            object_id=str(model.id or ""),
            at=now,
            before={},
            after={
                "kind": model.kind.value,
                "version": model.version,
                "name": model.name,
                "algorithm": model.params.get("algorithm"),
                "active": activate,
                "metrics": figures,
            },
        )
    )
