"""The words and formats of CLI output meant for people, from the pages' catalogs.

The language is ``--lang`` when given, else the configured one (``FENPEI_LANGUAGE``,
zh-CN by default); dates are shown in the configured time zone in that language's
convention (``2026年11月2日 17:30`` / ``Nov 2, 2026 17:30``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated

import typer
from babel import Locale
from babel.dates import format_date, format_time

from fenpei.cli._errors import CannotRun
from fenpei.config import Language, Settings
from fenpei.web.i18n import BABEL_LOCALES, Translate, number_formatter, parse_language, translator

LangOption = Annotated[
    str | None,
    typer.Option(
        "--lang", help="Language of the output: zh-CN or en (default: FENPEI_LANGUAGE, zh-CN)."
    ),
]


@dataclass(frozen=True)
class Words:
    """``t`` for messages, ``when`` for moments, ``number`` for numbers, in one language."""

    language: Language
    t: Translate
    when: Callable[[datetime], str]
    number: Callable[[object], str]


def words(settings: Settings, lang: str | None = None) -> Words:
    """The output language (``lang`` or the configured one); an unknown ``lang`` exits 2."""
    language = parse_language(lang) if lang is not None else settings.language
    if language is None:
        known = ", ".join(choice.value for choice in Language)
        raise CannotRun(f"--lang: unknown language {lang!r} (one of {known})")
    locale = Locale.parse(BABEL_LOCALES[language])
    zone = settings.zone

    def when(value: datetime) -> str:
        local = (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(zone)
        day = format_date(local, "medium", locale=locale)
        return f"{day} {format_time(local, 'HH:mm', locale=locale)}"

    return Words(language, translator(language), when, number_formatter(language))
