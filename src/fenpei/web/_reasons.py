"""The engine's reason codes (``Decision.reason_code`` / ``reason_params``) in words.

Decisions stored before codes existed have only the English ``reason``; for them
``coded_reason`` gives None and the caller reads the English phrase (``_explain``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from fenpei.web._conditions_text import field_name
from fenpei.web.i18n import Translate

_SIMPLE = {
    "round_robin.first", "round_robin.next", "random.even", "random.weighted",
    "weighted_round_robin", "queue", "no_rule",
    # tasks (services.tasks.routing): the customer's owner as fallback, or why not
    "customer_owner", "task_no_owner", "task_reps_filling",
}  # fmt: skip
_CAPACITY = re.compile(
    r"([\d.]+)/([\d.]+) "
    r"(open customers|new customers (today|this week|this month)|open task weight)"
)
_CAPACITY_KEYS = {
    "open customers": "why.capacity_open",
    "new customers today": "why.capacity_day",
    "new customers this week": "why.capacity_week",
    "new customers this month": "why.capacity_month",
    "open task weight": "why.capacity_task",  # a task's: hours of open tasks (engine.capacity)
}


def capacity_text(t: Translate, breach: str) -> str:
    """``40/40 open customers`` → "40/40 open customers" / "在手客户 40/40"."""
    found = _CAPACITY.search(breach)
    if found is None:
        return breach
    return t(_CAPACITY_KEYS[found.group(3)], used=found.group(1), limit=found.group(2))


def exclusion_text(t: Translate, reason: str) -> str:
    """The engine's reason a rep could not receive the customer, translated."""
    fixed = {"inactive": "why.inactive", "away (manual switch)": "why.away"}
    if reason in fixed:
        return t(fixed[reason])
    if reason == "off shift":
        return t("why.off_shift")
    if reason.startswith("on leave until "):
        return t("why.on_leave", until=reason.removeprefix("on leave until "))
    if reason.startswith("lacks skill "):
        return t("why.lacks_skill", skill=reason.removeprefix("lacks skill "))
    if reason.startswith("at capacity: "):
        return t("why.at_capacity", detail=capacity_text(t, reason))
    return reason


def pool_name(t: Translate, pool: object) -> str:
    """``public`` → 公司公海; ``team:3`` → 团队 3 的公海; ``vip`` → 公海「vip」."""
    text = str(pool or "public")
    if text == "public":
        return t("reason.pool_public")
    if text.startswith("team:"):
        return t("reason.pool_team", team=text.removeprefix("team:"))
    return t("reason.pool_custom", pool=text)


def _percent(share: object) -> str:
    return f"{float(share):.0%}" if isinstance(share, int | float) else str(share)


def _part(t: Translate, part: Mapping[str, Any]) -> str:
    kind = part.get("kind")
    if kind == "skill":
        what = field_name(t, str(part.get("what")))
        return t("reason.part.skill", what=what, value=part.get("value"))
    if kind == "seniority":
        fit = part.get("fit")
        shown = f"{fit:.2f}" if isinstance(fit, int | float) else str(fit)
        return t(
            "reason.part.seniority",
            seniority=part.get("seniority"),
            level=part.get("level"),
            fit=shown,
        )
    return t("reason.part.load", share=_percent(part.get("share")))


def _why(t: Translate, params: Mapping[str, Any]) -> str:
    code = str(params.get("why", ""))
    if code in ("nobody_in_target", "nobody_eligible"):
        return t(f"reason.why.{code}")
    if code == "batch_full":
        return t("optimal.why.batch_full")
    return str(params.get("note", ""))


def coded_reason(t: Translate, code: str, params: Mapping[str, Any]) -> str | None:
    """The reason in the page's words, or None for a code this module does not know."""
    tie = t("reason.tie") if params.get("tie") else ""
    if code in _SIMPLE:
        return t(f"reason.{code}", **params)
    if code == "task_owner_excluded":  # the engine's English exclusion, in words
        why = exclusion_text(t, str(params.get("why", "")))
        return t("reason.task_owner_excluded", rep=params.get("rep"), why=why)
    if code == "least_loaded":
        key = "reason.least_loaded_default" if params.get("default") else "reason.least_loaded"
        values = {k: params.get(k) for k in ("open", "capacity")}
        return t(key, share=_percent(params.get("share")), **values) + tie
    if code == "value_balanced":
        value = params.get("value")
        shown = f"{value:,.2f}" if isinstance(value, int | float) else str(value)
        return t("reason.value_balanced", value=shown) + tie
    if code == "best_match":
        parts = params.get("parts") or []
        score = params.get("score")
        shown = f"{round(score, 2) + 0.0:g}" if isinstance(score, int | float) else str(score)
        shown_parts = [_part(t, p) for p in parts if isinstance(p, Mapping)]
        words = t("reason.part.separator").join(shown_parts)
        return t("reason.best_match", score=shown, parts=words)
    if code in _ON_P_WIN:
        return _on_p_win(t, code, params, tie)
    if code == "pool":
        return t("reason.pool", pool=pool_name(t, params.get("pool")))
    if code == "fallback_pool":
        return t("reason.fallback_pool", why=_why(t, params), pool=pool_name(t, params.get("pool")))
    if code == "fallback_queue":
        return t("reason.fallback_queue", why=_why(t, params))
    return None


_ON_P_WIN = ("predicted_conversion", "predicted_conversion.no_model", "batch_optimal")


def _p(value: object) -> str:
    return f"{value:.2f}" if isinstance(value, int | float) else str(value)


def _on_p_win(t: Translate, code: str, params: Mapping[str, Any], tie: str) -> str:
    """The strategies on p(win) (engine.strategies.predicted_conversion, batch_routing)."""
    if code == "predicted_conversion.no_model":
        least = coded_reason(t, "least_loaded", params) or ""
        return t("optimal.reason.no_model", least=least)
    if code == "batch_optimal":
        why = str(params.get("why", "best"))
        chosen = {"rep": params.get("rep"), "p": _p(params.get("p"))}
        if why == "best":
            return t("optimal.reason.batch_best", **chosen)
        best = {"best": params.get("best_rep"), "best_p": _p(params.get("best_p"))}
        return t(f"optimal.reason.batch_{why}", **chosen, **best)
    load = params.get("load") if isinstance(params.get("load"), Mapping) else {}
    text = t(
        "optimal.reason.predicted",
        p=_p(params.get("p")),
        weight=f"{params.get('load_weight', 0):g}",
        share=_percent(load.get("share")),  # type: ignore[union-attr]
        score=f"{params.get('score', 0):.3f}",
    )
    if "best_p" in params:
        text += t(
            "optimal.reason.predicted_over",
            best_p=_p(params.get("best_p")),
            best_load=_percent(params.get("best_load")),
        )
    return text + tie


_QUEUED_BY_RULE = re.compile(r"rule '(?P<rule>.*)' holds it in the queue")
_QUEUED_AFTER = re.compile(r"rule '(?P<rule>.*)': (?P<why>.*); queued until someone frees up")
_IMPORT_PENDING = re.compile(r"pending routing \(import (?P<job>\d+)\)")
_POOLED_BY_RULE = re.compile(r"rule '(?P<rule>.*)' sends it to pool (?P<pool>\S+)")
_POOLED_AFTER = re.compile(r"rule '(?P<rule>.*)': (?P<why>.*); parked in pool (?P<pool>\S+)")
_WHY_CODES = {
    "nobody in the target": "nobody_in_target",
    "nobody in the target is eligible": "nobody_eligible",
}
_BATCH_FULL = "every eligible rep is full in this batch"  # engine.batch_routing.BATCH_FULL


def queue_reason_text(t: Translate, reason: str | None) -> str:
    """Why a customer waits in the queue, in words. The reason is stored as the engine's
    English sentence (``customers.queue_reason``, no code kept), so the few sentences the
    router and the importer write are recognised here (and the pool sentences of decisions
    stored before reason codes); any other is shown as stored."""
    text = reason or ""
    if text == "no rule could place the customer":
        return t("reason.no_rule")
    if found := _IMPORT_PENDING.fullmatch(text):
        return t("reason.import_pending", job=found["job"])
    if found := _QUEUED_BY_RULE.fullmatch(text):
        return t("reason.queue_named", rule=found["rule"])
    if found := _QUEUED_AFTER.fullmatch(text):
        return t("reason.fallback_queue_named", rule=found["rule"], why=_said_why(t, found["why"]))
    if found := _POOLED_BY_RULE.fullmatch(text):
        return t("reason.pool_named", rule=found["rule"], pool=pool_name(t, found["pool"]))
    if found := _POOLED_AFTER.fullmatch(text):
        pool = pool_name(t, found["pool"])
        why = _said_why(t, found["why"])
        return t("reason.fallback_pool_named", rule=found["rule"], why=why, pool=pool)
    return text


def _said_why(t: Translate, why: str) -> str:
    if why == _BATCH_FULL:
        return t("optimal.why.batch_full")
    code = _WHY_CODES.get(why)
    return t(f"reason.why.{code}") if code else why
