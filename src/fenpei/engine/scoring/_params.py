"""Loaders refuse damaged params with a ValueError, whatever the damage."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import wraps
from typing import Any, TypeVar

M = TypeVar("M")


def strict(loader: Callable[[Mapping[str, Any]], M]) -> Callable[[Mapping[str, Any]], M]:
    """``loader`` with any TypeError / KeyError / AttributeError of malformed params turned
    into the ValueError ``load_model`` promises (naming the algorithm)."""

    @wraps(loader)
    def load(params: Mapping[str, Any]) -> M:
        try:
            return loader(params)
        except (TypeError, KeyError, AttributeError, IndexError) as e:
            raise ValueError(f"{params.get('algorithm')}: damaged params ({e})") from None

    return load
