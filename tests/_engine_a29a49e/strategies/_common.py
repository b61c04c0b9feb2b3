"""Helpers the strategies share: load relative to capacity, tie-breaks, option checks."""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping
from datetime import datetime
from fractions import Fraction
from operator import attrgetter
from typing import TYPE_CHECKING, Any, TypeGuard, TypeVar

from fenpei.domain.phrases import Phrase
from tests._engine_a29a49e.model import RepState

if TYPE_CHECKING:
    from _typeshed import SupportsRichComparison

K = TypeVar("K", bound="SupportsRichComparison")

DEFAULT_CAPACITY = 100  # what a rep without max_open is measured against


def is_number(value: object) -> TypeGuard[int | float]:
    """A finite int or float; bools are not numbers here, though Python says they are."""
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def default_capacity(options: Mapping[str, Any]) -> int:
    """``options["default_capacity"]`` if valid, else 100 (save-time validation reports it)."""
    value = options.get("default_capacity", DEFAULT_CAPACITY)
    return (
        value
        if isinstance(value, int) and not isinstance(value, bool) and value > 0
        else DEFAULT_CAPACITY
    )


def capacity_of(candidate: RepState, options: Mapping[str, Any]) -> int:
    max_open = candidate.rep.max_open
    return max_open if max_open is not None else default_capacity(options)


def load(candidate: RepState, options: Mapping[str, Any]) -> Fraction:
    """Open customers as an exact share of capacity, so 1/3 and 2/6 tie exactly."""
    capacity = capacity_of(candidate, options)
    if capacity <= 0:  # a rep with max_open 0 is never eligible; count them as full anyway
        return Fraction(candidate.usage.open_count + 1)
    return Fraction(candidate.usage.open_count, capacity)


def describe_load(candidate: RepState, options: Mapping[str, Any]) -> str:
    """``12/40 open (30%)``, saying when the capacity is the rule's default."""
    open_count, capacity = candidate.usage.open_count, capacity_of(candidate, options)
    share = f"{float(load(candidate, options)):.0%}"
    default = ", default capacity" if candidate.rep.max_open is None else ""
    return f"{open_count}/{capacity} open ({share}{default})"


def load_params(candidate: RepState, options: Mapping[str, Any]) -> dict[str, Any]:
    """``describe_load`` as values: open, capacity, share (0..1), default (capacity)."""
    return {
        "open": candidate.usage.open_count,
        "capacity": capacity_of(candidate, options),
        "share": float(load(candidate, options)),
        "default": candidate.rep.max_open is None,
    }


def waiting_key(candidate: RepState) -> tuple[bool, datetime, int]:
    """Sorts the rep waiting longest first: never assigned, then oldest assignment, then id."""
    last = candidate.last_assigned_at
    # The datetimes are compared only when both reps have been assigned (the bool settles
    # the rest), so datetime.min never meets a zone-aware time.
    return (last is not None, last or datetime.min, candidate.id)


def pick_lowest(candidates: Collection[RepState], key: Mapping[int, K]) -> tuple[RepState, bool]:
    """The candidate with the lowest ``key``, the longest-waiting among equals; and whether
    a tie had to be broken."""
    best = min(key[c.id] for c in candidates)
    tied = [c for c in candidates if key[c.id] == best]
    return min(tied, key=waiting_key), len(tied) > 1


_BY_ID = attrgetter("id")


def by_id(candidates: Collection[RepState]) -> list[RepState]:
    """Candidates in id order; callers promise it, sorting again costs nothing and makes sure."""
    return sorted(candidates, key=_BY_ID)


def unknown_options(options: Mapping[str, Any], allowed: Collection[str]) -> list[str]:
    """A problem for every option the strategy does not take."""
    known = ", ".join(sorted(allowed)) if allowed else "none"
    text = "{name}: unknown option (this strategy takes: {known})"
    return [
        Phrase("strategy.unknown_option", text, name=name, known=known)
        for name in options
        if name not in allowed
    ]


def default_capacity_problems(options: Mapping[str, Any]) -> list[str]:
    if "default_capacity" not in options:
        return []
    value = options["default_capacity"]
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        text = "default_capacity: must be a whole number ≥ 1, got {got!r}"
        return [Phrase("strategy.default_capacity", text, got=value)]
    return []
