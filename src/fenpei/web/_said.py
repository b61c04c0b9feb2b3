"""Messages from the engine and the services in the page's language.

A message that is a ``Phrase`` (``domain/phrases.py``) is said from the catalogs
(``said.<key>`` in ``messages.po``) with the values it carries; any other message is
shown as the service wrote it (English).
"""

from __future__ import annotations

from collections.abc import Mapping

from fenpei.domain.phrases import Phrase
from fenpei.domain.pools import RETURN_REASONS, ReclaimRule
from fenpei.domain.reclaim import reclaimed_words
from fenpei.services.maven_import import IMPORTED_OWNER_REASON
from fenpei.web._category_words import seeded_label
from fenpei.web._conditions_text import field_name
from fenpei.web.i18n import Translate


def said(t: Translate, message: object) -> str:
    """``message`` in the page's words, when the catalogs have them."""
    if isinstance(message, Phrase):
        key = f"said.{message.key}"
        if t(key) != key:
            return t(key, **_shown_values(t, message.values))
    return str(message)


def _op_name(t: Translate, op: object) -> str:
    key = f"rules.op.{op}"
    return t(key) if t(key) != key else str(op)


def _shown_values(t: Translate, values: Mapping[str, object]) -> dict[str, object]:
    """Values that name a field or an operator, by their names in words (by convention:
    ``field``, ``op``, ``ops`` — a comma-separated list); the others as they are."""
    shown = {name: said(t, v) if isinstance(v, Phrase) else v for name, v in values.items()}
    if "field" in shown:
        shown["field"] = field_name(t, str(shown["field"]))
    if "op" in shown:
        shown["op"] = _op_name(t, shown["op"])
    if "ops" in shown:
        names = [_op_name(t, op) for op in str(shown["ops"]).split(", ")]
        shown["ops"] = t("cond.list_separator").join(names)
    return shown


def stored_reason(
    t: Translate,
    reason: str | None,
    explanation: Mapping[str, object] | None = None,
    language: str = "en",
) -> str:
    """An assignment's stored reason: typed by a person (shown as typed), or one fenpei
    writes itself, in words (a reclaim's from its explanation, in the page's language; a
    return's listed reason, while it is a seeded one, in the catalog's words)."""
    if reason == IMPORTED_OWNER_REASON:
        return t("said.imported_owner")
    if explanation and explanation.get("kind") == "reclaim":
        try:
            rule, days = ReclaimRule(str(explanation["rule"])), int(str(explanation["days"]))
        except (KeyError, ValueError):
            return reason or ""
        level = explanation.get("level")
        return reclaimed_words(rule, days, str(level) if level else None, language)
    if explanation and explanation.get("kind") == "return" and reason:
        code = str(explanation.get("reason_code") or "")
        note = explanation.get("note")
        label = reason[: -len(f": {note}")] if note and reason.endswith(f": {note}") else reason
        words = seeded_label(t, RETURN_REASONS, code, label)
        if words is not None:
            return words + reason[len(label) :]
    return reason or ""
