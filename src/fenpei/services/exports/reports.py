"""The report tables that export: the dashboard's conversion by rep and the holdout report.

Both are small (a row per rep, two per rule), so they are built whole, through the same
service functions (and permission and scope checks) as their pages.
"""

from __future__ import annotations

from datetime import datetime

from fenpei.domain.users import Actor
from fenpei.services import analytics
from fenpei.services.exports.kinds import ExportKind, ExportWords
from fenpei.services.holdout.report import ArmResult, holdout_report
from fenpei.services.ports import UnitOfWork


def report_table(
    *, uow: UnitOfWork, actor: Actor, kind: ExportKind, words: ExportWords, now: datetime
) -> tuple[list[str], list[list[object]]]:
    """The report's header and rows, in ``words``' language."""
    t = words.t
    if kind is ExportKind.conversion:
        board = analytics.dashboard(uow=uow, actor=actor, now=now, zone=words.zone)
        headers = [t(k) for k in ("exports.column.rep", "exports.column.won",
                                  "exports.column.lost", "exports.column.rate")]  # fmt: skip
        return headers, [
            [line.name, line.won, line.lost, None if line.rate is None else round(line.rate, 4)]
            for line in board.by_rep
        ]
    report = holdout_report(uow=uow, actor=actor)
    headers = [
        t(key)
        for key in (
            "exports.column.rule", "exports.column.arm", "exports.column.customers",
            "exports.column.won", "exports.column.lost", "exports.column.open",
            "exports.column.rate", "exports.column.won_value",
        )
    ]  # fmt: skip
    rows: list[list[object]] = []
    for experiment in report.experiments:
        for arm in (experiment.smart, experiment.holdout):
            rows.append([experiment.rule_name, t(f"exports.arm.{arm.arm}"), *_arm(arm)])
    return headers, rows


def _arm(arm: ArmResult) -> list[object]:
    rate = None if arm.conversion is None else round(arm.conversion, 4)
    return [arm.customers, arm.won, arm.lost, arm.open, rate, arm.won_value]
