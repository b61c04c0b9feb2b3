"""Catalog completeness: every message in every language, and zh-CN really in Chinese."""

from __future__ import annotations

import re
from collections.abc import Mapping

from fenpei.config import Language
from fenpei.web.i18n import LOCALES_DIR, catalog
from tests.e2e._visible_text import PRODUCT_TOKENS, latin_words

# zh-CN messages that keep Latin words, and why: names a person types or reads as they are.
LATIN_IN_ZH = {
    "error.text_nul": {"nul"},  # the character's name
    "error.text_surrogate": {"unicode"},
    "org.error.time_zone": {"asia", "shanghai"},  # an example time zone name
    "subscriptions.secret.how": {"fenpei", "timestamp", "signature"},  # header names
    "rules.example.target_skill": {"industries"},  # the syntax's key
    "rules.example.required_skills": {"languages"},
    "rules.example.customer_json": {"region", "level"},
    "said.rule.skill": {"industries"},
    "training.auc": {"auc"},  # the measure's name, as Chinese reports write it
    "training.how_to_read": {"auc"},
    "sync.kind.zoho": {"zoho"},  # the CRM's name
    "sync.bridge_hint": {"sync"},  # a URL path
}
_PLACEHOLDER = re.compile(r"{(\w*)(?:[!:][^{}]*)?}")


def _latin(text: str) -> set[str]:
    return latin_words(_PLACEHOLDER.sub(" ", text)) - PRODUCT_TOKENS


def catalog_problems(en: Mapping[str, str], zh: Mapping[str, str]) -> list[str]:
    """What is missing or untranslated, one line each."""
    problems = [f"{key}: no zh_CN message" for key in en.keys() - zh.keys()]
    problems += [f"{key}: no en message" for key in zh.keys() - en.keys()]
    for language, messages in (("en", en), ("zh_CN", zh)):
        problems += [f"{key}: empty in {language}" for key, text in messages.items() if not text]
    for key in en.keys() & zh.keys():
        if zh[key] and zh[key] == en[key] and _latin(zh[key]):
            problems.append(f"{key}: zh_CN is the English text {zh[key]!r}")
        elif extra := _latin(zh[key]) - LATIN_IN_ZH.get(key, set()):
            problems.append(f"{key}: zh_CN keeps English words {sorted(extra)} in {zh[key]!r}")
        # zh_CN may leave a detail out, never use a value the code does not pass
        if not set(_PLACEHOLDER.findall(zh[key])) <= set(_PLACEHOLDER.findall(en[key])):
            problems.append(f"{key}: zh_CN uses a placeholder en does not")
    return sorted(problems)


def test_every_message_has_a_chinese_and_an_english_text() -> None:
    en, zh = catalog(Language.en), catalog(Language.zh_cn)

    assert len(en) > 700  # the catalogs were read
    assert catalog_problems(en, zh) == []


def test_each_area_has_its_file_in_both_languages() -> None:
    files = {
        language: {path.name for path in (LOCALES_DIR / language / "LC_MESSAGES").glob("*.po")}
        for language in ("en", "zh_CN")
    }

    assert files["en"] == files["zh_CN"] and "messages.po" in files["en"]


def test_the_check_finds_missing_empty_and_untranslated_messages() -> None:
    en = {"a": "Save", "b": "Open {name}", "c": "—", "d": "API", "e": "Close"}
    zh = {"a": "Save", "b": "打开 {who}", "c": "—", "d": "API", "e": "", "f": "多余"}

    assert catalog_problems(en, zh) == [
        "a: zh_CN is the English text 'Save'",
        "b: zh_CN uses a placeholder en does not",
        "e: empty in zh_CN",
        "f: no en message",
    ]
