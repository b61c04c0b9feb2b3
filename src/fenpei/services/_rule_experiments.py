"""A rule's randomised holdout (对照组) and its re-routing trigger (动态分配): checked as
JSON from outside, turned into the engine's ``Holdout`` and ``Reroute``.

``holdout``: ``{"share": 0.2, "strategy": "round_robin", "options": {}}`` — that share of
the customers the rule places on a rep are routed by the baseline ``strategy`` instead of
the rule's own. ``reroute``: ``{"when": <conditions>, "min_days": 7}`` — a change to a
customer that makes ``when`` true routes it again through the rule.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fenpei.domain.errors import FieldError, ValidationFailed
from fenpei.domain.phrases import Phrase, whole_number
from fenpei.engine.conditions import parse_conditions
from fenpei.engine.fields import FieldSpec
from fenpei.engine.model import Holdout, Reroute, TargetKind
from fenpei.engine.strategies import STRATEGIES, validate_options

MAX_HOLDOUT_SHARE = 0.5  # more than half held out would make the rule's own strategy the test
MAX_REROUTE_DAYS = 3650
DEFAULT_REROUTE_DAYS = 7
_HOLDOUT_KEYS = frozenset({"share", "strategy", "options"})
_REROUTE_KEYS = frozenset({"when", "min_days"})
# Targets that pick no rep: nothing to hold out, nobody to route to again.
_NO_REP = frozenset({TargetKind.pool.value, TargetKind.queue.value})


def _unknown(raw: Mapping[str, Any], allowed: frozenset[str], where: str) -> list[FieldError]:
    if unknown := set(raw) - allowed:
        keys = ", ".join(sorted(map(str, unknown)))
        return [FieldError(where, Phrase("holdout.unknown_keys", "unknown keys {keys}", keys=keys))]
    return []


def _picks_no_rep(target: object) -> bool:
    return isinstance(target, dict) and target.get("kind") in _NO_REP


def holdout_of(
    raw: object, *, strategy: object, target: object, errors: list[FieldError]
) -> Holdout | None:
    """The rule's holdout (None if it runs none); what is wrong goes to ``errors``, each
    naming its key (``holdout.share`` …)."""
    if raw is None:
        return None
    if not isinstance(raw, dict):
        errors.append(
            FieldError(
                "holdout",
                Phrase("holdout.object", "must be an object {share, strategy, options}, or null"),
            )
        )
        return None
    before = len(errors)
    errors += _unknown(raw, _HOLDOUT_KEYS, "holdout")
    if _picks_no_rep(target):
        errors.append(
            FieldError(
                "holdout",
                Phrase("holdout.no_rep", "a rule sending customers to a pool or the queue picks "
                       "no rep: there is nothing to hold out"),
            )
        )  # fmt: skip
    share = raw.get("share")
    if (
        isinstance(share, bool)
        or not isinstance(share, int | float)
        or not 0 < share <= MAX_HOLDOUT_SHARE
    ):
        errors.append(
            FieldError(
                "holdout.share",
                Phrase("holdout.share", "must be a number above 0 and at most {high}",
                       high=MAX_HOLDOUT_SHARE),
            )
        )  # fmt: skip
    baseline = raw.get("strategy", "round_robin")
    options = raw.get("options", {})
    if not isinstance(baseline, str) or baseline not in STRATEGIES:
        known = ", ".join(sorted(STRATEGIES))
        errors.append(
            FieldError(
                "holdout.strategy",
                Phrase("holdout.strategy", "{name!r} is not one of {known}",
                       name=str(baseline)[:40], known=known),
            )
        )  # fmt: skip
    elif baseline == strategy:
        errors.append(
            FieldError(
                "holdout.strategy",
                Phrase("holdout.same_strategy", "must differ from the rule's own strategy "
                       "({name}): the holdout is the baseline it is compared with",
                       name=baseline),
            )
        )  # fmt: skip
    elif not isinstance(options, dict):
        errors.append(
            FieldError("holdout.options", Phrase("json.object", "must be a JSON object {…}"))
        )
    else:
        errors += [FieldError("holdout.options", p) for p in validate_options(baseline, options)]
    if len(errors) > before:
        return None
    assert isinstance(share, int | float) and isinstance(baseline, str)
    return Holdout(share=float(share), strategy=baseline, options=dict(options))


def reroute_of(
    raw: object,
    *,
    subject: str,
    target: object,
    catalog: Mapping[str, FieldSpec],
    errors: list[FieldError],
) -> Reroute | None:
    """The rule's re-routing trigger (None if it has none); what is wrong goes to
    ``errors``, each naming its key (``reroute.when.all[0].field``, ``reroute.min_days``)."""
    if raw is None:
        return None
    if not isinstance(raw, dict):
        errors.append(
            FieldError(
                "reroute", Phrase("holdout.reroute_object", "must be an object {when, min_days}")
            )
        )
        return None
    before = len(errors)
    errors += _unknown(raw, _REROUTE_KEYS, "reroute")
    if subject != "customer":
        errors.append(
            FieldError(
                "reroute",
                Phrase(
                    "holdout.reroute_customers", "only a customer rule routes again on a change"
                ),
            )
        )
    if _picks_no_rep(target):
        errors.append(
            FieldError(
                "reroute",
                Phrase("holdout.reroute_no_rep", "a rule sending customers to a pool or the "
                       "queue picks no rep to route them to again"),
            )
        )  # fmt: skip
    when = raw.get("when")
    if not isinstance(when, dict) or when == {}:
        errors.append(
            FieldError(
                "reroute.when",
                Phrase("holdout.reroute_when", "give the condition that triggers re-routing "
                       "(the same language as the rule's conditions)"),
            )
        )  # fmt: skip
    else:
        try:
            parse_conditions(when, catalog, root="reroute.when")
        except ValidationFailed as exc:
            errors += exc.errors
    days = raw.get("min_days", DEFAULT_REROUTE_DAYS)
    if isinstance(days, bool) or not isinstance(days, int) or not 0 <= days <= MAX_REROUTE_DAYS:
        errors.append(FieldError("reroute.min_days", whole_number(0, MAX_REROUTE_DAYS)))
    if len(errors) > before:
        return None
    assert isinstance(when, dict) and isinstance(days, int)
    return Reroute(when=when, min_days=days)
