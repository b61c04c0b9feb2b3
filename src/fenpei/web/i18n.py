"""The words on the pages, in zh-CN and en, from Babel catalogs (``locales/*/LC_MESSAGES``).

Message ids are stable keys (``nav.customers``); ``{name}`` placeholders are filled with
``str.format``. Each area of the UI keeps its own ``.po`` file per language; all files of a
language are merged when first needed, so nothing is compiled at run time or at build
time. The tests check that every key a template uses is in every language.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime, tzinfo
from functools import cache
from pathlib import Path

from babel import Locale
from babel.dates import format_datetime
from babel.messages.pofile import read_po
from babel.numbers import format_decimal

from fenpei.config import Language

Translate = Callable[..., str]

LANGUAGE_COOKIE = "lang"
LANGUAGE_NAMES: Mapping[Language, str] = {Language.zh_cn: "中文", Language.en: "English"}
LOCALES_DIR = Path(__file__).parent / "locales"
BABEL_LOCALES: Mapping[Language, str] = {Language.zh_cn: "zh_CN", Language.en: "en"}


@cache
def catalog(language: Language) -> Mapping[str, str]:
    """Every message of ``language``, from all of its ``.po`` files (a key in two files is
    an error: areas must not overwrite each other)."""
    messages: dict[str, str] = {}
    folder = LOCALES_DIR / BABEL_LOCALES[language] / "LC_MESSAGES"
    for path in sorted(folder.glob("*.po")):
        with path.open("rb") as file:
            for message in read_po(file, locale=BABEL_LOCALES[language]):
                if not message.id or not isinstance(message.id, str):
                    continue
                if message.id in messages:
                    raise ValueError(f"{path.name}: {message.id!r} is already defined")
                messages[message.id] = str(message.string)
    return messages


def parse_language(value: str | None) -> Language | None:
    """The language ``value`` names (``en``, ``zh-CN``, case-insensitive), or None."""
    if not value:
        return None
    for language in Language:
        if value.strip().casefold() == language.value.casefold():
            return language
    return None


def translator(language: Language) -> Translate:
    """``t(key, **values)`` for ``language``; an unknown key shows as itself, never fails."""
    messages = catalog(language)

    def translate(key: str, /, **values: object) -> str:
        text = messages.get(key) or key
        return text.format(**values) if values else text

    return translate


def number_formatter(language: Language) -> Callable[[object], str]:
    """``1234.5`` → ``1,234.5`` in the language's convention."""
    locale = Locale.parse(BABEL_LOCALES[language])

    def format_number(value: object) -> str:
        if value is None or value == "":
            return ""
        return format_decimal(value, locale=locale)  # type: ignore[arg-type]

    return format_number


def time_formatter(language: Language, zone: tzinfo) -> Callable[[datetime | None, str], str]:
    """A moment shown in ``zone``: ``medium`` / ``short`` Babel formats, or a CLDR pattern."""
    locale = Locale.parse(BABEL_LOCALES[language])

    def format_time(value: datetime | None, pattern: str = "yyyy-MM-dd HH:mm") -> str:
        if value is None:
            return ""
        return format_datetime(value, pattern, tzinfo=zone, locale=locale)

    return format_time
