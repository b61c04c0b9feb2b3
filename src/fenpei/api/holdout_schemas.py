"""The holdout report (对照组) as the API reads it."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from pydantic import BaseModel, Field

from fenpei.services.holdout.report import ArmResult, HoldoutReport, RuleExperiment


class IntervalRead(BaseModel):
    low: float
    high: float


class ArmRead(BaseModel):
    """One arm: customers routed in it, by outcome now."""

    arm: str = Field(description="`smart` (the rule's own strategy) or `holdout` (its baseline).")
    customers: int
    won: int
    lost: int
    open: int
    conversion: float | None = Field(description="won / (won + lost); null before any closed.")
    conversion_interval: IntervalRead | None = Field(description="Wilson 95% interval.")
    won_value: Decimal = Field(description="The expected value of the customers won.")
    value_per_customer: Decimal | None

    @classmethod
    def of(cls, arm: ArmResult) -> ArmRead:
        interval = arm.interval
        return cls(
            arm=arm.arm, customers=arm.customers, won=arm.won, lost=arm.lost, open=arm.open,
            conversion=arm.conversion,
            conversion_interval=IntervalRead(low=interval.low, high=interval.high)
            if interval else None,
            won_value=arm.won_value, value_per_customer=arm.value_per_customer,
        )  # fmt: skip


class DifferenceRead(BaseModel):
    estimate: float = Field(description="Smart conversion − holdout conversion.")
    low: float
    high: float
    significant: bool = Field(description="The 95% interval leaves out 0.")


class ExperimentRead(BaseModel):
    rule_id: int
    rule_name: str
    strategy: str | None = Field(description="The rule's own strategy (the smart arm).")
    baseline: str | None = Field(description="The holdout's strategy; null if removed since.")
    share: float | None = Field(description="The share held out now; null if removed since.")
    smart: ArmRead
    holdout: ArmRead
    difference: DifferenceRead | None = Field(
        description="Null until both arms have closed customers."
    )

    @classmethod
    def of(cls, found: RuleExperiment) -> ExperimentRead:
        diff = found.difference
        return cls(
            rule_id=found.rule_id, rule_name=found.rule_name, strategy=found.strategy,
            baseline=found.baseline, share=found.share, smart=ArmRead.of(found.smart),
            holdout=ArmRead.of(found.holdout),
            difference=DifferenceRead(
                estimate=diff.estimate, low=diff.interval.low, high=diff.interval.high,
                significant=diff.significant,
            ) if diff else None,
        )  # fmt: skip


class HoldoutReportRead(BaseModel):
    """Per rule running a holdout: each arm's outcomes and the difference between them.
    A customer counts in the arm it was first routed in (intention to treat)."""

    since: datetime | None
    until: datetime | None
    method: str = Field(
        description="How the interval is made: Newcombe's hybrid score interval (95%) for "
        "the difference of two proportions, from each arm's Wilson interval."
    )
    whole_company: bool = Field(description="False: only the customers in your teams.")
    experiments: list[ExperimentRead]

    @classmethod
    def of(cls, report: HoldoutReport) -> HoldoutReportRead:
        return cls(
            since=report.since, until=report.until, method=report.method,
            whole_company=report.whole_company,
            experiments=[ExperimentRead.of(e) for e in report.experiments],
        )  # fmt: skip
