"""The words an export is written in: the pages' catalogs and category labels.

Built by the pages and the CLI directly, and by the API through ``app.state`` (the API
does not import the web package; app.py hands this function over)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, tzinfo
from typing import Any

from jinja2 import pass_context

from fenpei.bootstrap import Fenpei
from fenpei.config import Language
from fenpei.services.categories import load_category_index
from fenpei.services.exports import settings
from fenpei.services.exports.kinds import ExportWords
from fenpei.services.ports import UnitOfWork
from fenpei.web._category_words import labeller
from fenpei.web._explain import actor_name
from fenpei.web._said import stored_reason
from fenpei.web.i18n import translator


@pass_context
def reps_may_export(context: Mapping[str, Any]) -> bool:
    """``reps_may_export()`` for templates: the navigation and the customer list show the
    export controls to a rep only while the admin lets reps export (read when asked, from
    the database of the app serving the page)."""
    fenpei: Fenpei = context["request"].app.state.fenpei
    with fenpei.uow(read_only=True) as uow:
        return settings.reps_may_export(uow=uow, default=fenpei.settings.export_by_reps)


TIME_FORMAT = "%Y-%m-%d %H:%M"  # the lists' own (yyyy-MM-dd HH:mm), fast for a million rows


def export_words(uow: UnitOfWork, language: Language, zone: tzinfo) -> ExportWords:
    """Words in ``language``, category labels as the lists show them, times in ``zone``."""
    t = translator(language)
    label_of = labeller(load_category_index(uow))
    labels: dict[tuple[str, object], str] = {}

    def label(key: str, code: object) -> str:
        found = labels.get((key, code))
        if found is None:
            found = labels[(key, code)] = label_of(t, key, code)
        return found

    def when(moment: datetime | None) -> str:
        if moment is None:
            return ""
        aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
        return aware.astimezone(zone).strftime(TIME_FORMAT)

    def reason(text: str | None, explanation: Mapping[str, object] | None) -> str:
        return stored_reason(t, text, explanation, language.value)

    return ExportWords(
        language=language.value,
        t=t,
        label=label,
        when=when,
        zone=zone,
        reason=reason,
        actor=lambda name: actor_name(t, name),
    )
