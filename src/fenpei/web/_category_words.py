"""The built-in categories' names and values in the page's language.

fenpei seeds its built-in dimensions with bilingual names ("Source / 来源") and values
("Website / 官网"). While a name or value is still as seeded, pages show the catalog's
words (``category.name.<key>``, ``category.value.<key>.<code>``); once an admin renamed it,
it is data and shown as typed.
"""

from __future__ import annotations

from collections.abc import Callable

from fenpei.domain.categories import Category, CategoryValue
from fenpei.services.categories import DEFAULT_CATEGORIES, CategoryIndex
from fenpei.web.i18n import Translate

_SEEDED_LABELS = {
    (key, code): label
    for key, (_, values, _) in DEFAULT_CATEGORIES.items()
    for code, label in values
}


def seeded_label(t: Translate, key: str, code: str, label: str) -> str | None:
    """The catalog's words for a value whose label is still the seeded ``label``; None
    for a value an admin added or renamed (its label is data, shown as typed)."""
    if _SEEDED_LABELS.get((key, code)) == label and label != code:
        return t(f"category.value.{key}.{code}")
    return None


def category_name(t: Translate, category: Category) -> str:
    """A dimension's name: the catalog's while it is the seeded one."""
    seeded = DEFAULT_CATEGORIES.get(category.key)
    if seeded is not None and category.name == seeded[0]:
        return t(f"category.name.{category.key}")
    return category.name


def value_label(t: Translate, key: str, value: CategoryValue) -> str:
    """A value's label: the catalog's while it is the seeded one (level A stays A)."""
    return seeded_label(t, key, value.code, value.label) or value.label


def labeller(index: CategoryIndex) -> Callable[[Translate, str, object], str]:
    """``label_of(t, key, code)`` for templates: a stored code shown by its value's label
    (the catalog's while seeded); a code no value has (free-text dimensions) as it is."""

    def label_of(t: Translate, key: str, code: object) -> str:
        if code is None or code == "":
            return ""
        value = index.value(key, str(code))
        return value_label(t, key, value) if value is not None else str(code)

    return label_of
