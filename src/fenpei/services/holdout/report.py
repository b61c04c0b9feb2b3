"""The holdout report (对照组报告): per rule running a randomised holdout, how customers
routed by its own strategy (the smart arm) convert against those routed by its baseline.

A customer counts in the arm its rule drew for it, whatever happened after (intention to
treat): a later transfer or reclaim does not move it between arms, or the comparison would
no longer be between two random samples. Conversion is won / closed; the open are shown
but wait. The difference is smart − holdout with Newcombe's 95% interval (``stats``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from fenpei.domain.customers import Stage
from fenpei.domain.errors import PermissionDenied, ValidationFailed
from fenpei.domain.scoring import Arm
from fenpei.domain.users import Actor, Role
from fenpei.services import scope
from fenpei.services.holdout.ports import ArmTally
from fenpei.services.holdout.stats import Difference, Interval, newcombe, wilson
from fenpei.services.ports import UnitOfWork

READERS = frozenset({Role.admin, Role.manager})
METHOD = "newcombe_hybrid_score_95"


@dataclass(frozen=True)
class ArmResult:
    """One arm of one rule: its customers by outcome, and the value of those won."""

    arm: str
    customers: int = 0
    won: int = 0
    lost: int = 0
    won_value: Decimal = Decimal(0)

    @property
    def open(self) -> int:
        return self.customers - self.won - self.lost

    @property
    def closed(self) -> int:
        return self.won + self.lost

    @property
    def conversion(self) -> float | None:
        return self.won / self.closed if self.closed else None

    @property
    def interval(self) -> Interval | None:
        return wilson(self.won, self.closed)

    @property
    def value_per_customer(self) -> Decimal | None:
        return (
            (self.won_value / self.customers).quantize(Decimal("0.01")) if self.customers else None
        )


@dataclass(frozen=True)
class RuleExperiment:
    """One rule's two arms and the difference in conversion between them."""

    rule_id: int
    rule_name: str
    strategy: str | None  # the rule's own (smart) strategy now
    baseline: str | None  # its holdout's strategy now; None if the holdout was removed since
    share: float | None
    smart: ArmResult
    holdout: ArmResult

    @property
    def difference(self) -> Difference | None:
        """Smart − holdout conversion with its 95% interval; None until both arms closed some."""
        s, h = self.smart, self.holdout
        return newcombe(s.won, s.closed, h.won, h.closed)

    @property
    def significant(self) -> bool:
        found = self.difference
        return found is not None and found.significant


@dataclass(frozen=True)
class HoldoutReport:
    since: datetime | None
    until: datetime | None
    experiments: list[RuleExperiment]
    whole_company: bool
    method: str = METHOD


def _require_reader(actor: Actor) -> None:
    if actor.role not in READERS:
        raise PermissionDenied("only an admin or a manager may see the holdout report")


def _arms(tallies: list[ArmTally], rule_id: int) -> dict[str, ArmResult]:
    arms = {arm.value: ArmResult(arm.value) for arm in Arm}
    for row in tallies:
        if row.rule_id != rule_id or row.arm not in arms:
            continue
        held = arms[row.arm]
        won = row.customers if row.stage == Stage.won.value else 0
        arms[row.arm] = ArmResult(
            arm=row.arm,
            customers=held.customers + row.customers,
            won=held.won + won,
            lost=held.lost + (row.customers if row.stage == Stage.lost.value else 0),
            won_value=held.won_value + (row.value if won else Decimal(0)),
        )
    return arms


def holdout_report(
    *,
    uow: UnitOfWork,
    actor: Actor,
    since: datetime | None = None,
    until: datetime | None = None,
) -> HoldoutReport:
    """Each rule's smart and holdout arms (customers routed in [since, until), within the
    actor's scope): customers, won, lost, open, conversion, won value, and the difference."""
    _require_reader(actor)
    if since is not None and until is not None and since >= until:
        raise ValidationFailed.one("until", "must be after since")
    visible = scope.data_scope(uow=uow, actor=actor)
    tallies = uow.holdout.arm_tallies(
        since=since, until=until, rep_ids=visible.rep_ids, team_ids=visible.team_ids
    )
    rules = {rule.id: rule for rule in uow.rules.active() if rule.id is not None}
    wanted = {rule_id for rule_id, rule in rules.items() if rule.holdout}
    wanted |= {row.rule_id for row in tallies}
    experiments = []
    for rule_id in sorted(wanted, key=lambda i: (rules[i].priority if i in rules else 0, i)):
        rule = rules.get(rule_id) or uow.rules.get(rule_id)
        holdout = rule.holdout if rule is not None and rule.deleted_at is None else None
        arms = _arms(tallies, rule_id)
        experiments.append(
            RuleExperiment(
                rule_id=rule_id,
                rule_name=rule.name if rule is not None else f"#{rule_id}",
                strategy=rule.strategy if rule is not None else None,
                baseline=str(holdout.get("strategy")) if holdout else None,
                share=float(holdout["share"]) if holdout and "share" in holdout else None,
                smart=arms[Arm.smart.value],
                holdout=arms[Arm.holdout.value],
            )
        )
    return HoldoutReport(
        since=since, until=until, experiments=experiments, whole_company=visible.unrestricted
    )
