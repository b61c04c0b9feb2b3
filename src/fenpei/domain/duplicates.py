"""Keys for the duplicate check (查重 / 撞单): phone, email and company name normalised so
that the same customer written two ways gives the same key.

- ``phone_key``: NFKC (full-width digits → half-width), digits only; a mobile written with
  +86 / 0086 / 86 loses the country code, a landline keeps its area code (``+86 10 …`` is
  written ``010…``); an extension (转 / ext / x / #) is dropped; fewer than 7 digits → None.
- ``email_key``: NFKC, stripped, casefolded.
- ``company_key``: NFKC, casefolded, bracketed words dropped (``（中国）``, ``(Shanghai)``),
  spaces and punctuation (Chinese ones too) dropped, legal suffixes (有限公司, 集团,
  Co., Ltd., Inc., GmbH …) stripped from the end until none is left; nothing left → None.
Pure functions, no I/O.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime

from fenpei.domain.errors import Conflict

MIN_PHONE_DIGITS = 7
PHONE_KEY_MAX = 40
EMAIL_KEY_MAX = 254
COMPANY_KEY_MAX = 200

_EXTENSION = re.compile(r"(转|分机|ext\.?|x|#).*$", re.IGNORECASE)
_BRACKETED = re.compile(r"\([^()]*\)|\[[^\[\]]*\]|【[^【】]*】|〔[^〔〕]*〕|<[^<>]*>|《[^《》]*》")
_WORDS = re.compile(r"[^\W_]+")
# Legal-form words, as whole trailing words (so "Tesco" keeps its "co").
_LATIN_SUFFIXES = frozenset(
    {
        "co", "coltd", "ltd", "limited", "inc", "incorporated", "llc", "llp", "lp", "corp",
        "corporation", "company", "gmbh", "ag", "kg", "sa", "sas", "sarl", "spa", "srl",
        "plc", "pte", "pty", "bv", "nv", "oy", "ab", "kk", "group", "holding", "holdings",
    }
)  # fmt: skip
# Longest first, so 股份有限公司 is not read as 有限公司 after 股份.
_CJK_SUFFIXES = (
    "有限责任公司", "股份有限公司", "集团有限公司", "有限公司", "股份公司", "集团公司",
    "分公司", "集团", "公司",
)  # fmt: skip


def _nfkc(text: str) -> str:
    return unicodedata.normalize("NFKC", text)


def phone_key(phone: str | None) -> str | None:
    """The phone number's digits, country code of a Chinese mobile dropped; or None."""
    if not phone:
        return None
    text = _EXTENSION.sub("", _nfkc(phone).strip())
    international = text.lstrip().startswith("+")
    digits = "".join(ch for ch in text if ch.isdigit() and ch.isascii())
    if digits.startswith("0086"):
        digits, international = digits[4:], True
    elif international and digits.startswith("86"):
        digits = digits[2:]
    elif digits.startswith("86") and len(digits) == 13 and digits[2] == "1":
        digits, international = digits[2:], True
    elif international:  # another country: keep its code, marked
        digits = "00" + digits
        international = False
    mobile = len(digits) == 11 and digits.startswith("1")
    if international and digits and not mobile and not digits.startswith("0"):
        digits = "0" + digits  # a landline: its area code as dialled at home (010 …)
    if len(digits) < MIN_PHONE_DIGITS:
        return None
    return digits[:PHONE_KEY_MAX]


def email_key(email: str | None) -> str | None:
    """The address stripped and casefolded; or None."""
    if not email:
        return None
    key = _nfkc(_nfkc(email).strip().casefold())
    return key[:EMAIL_KEY_MAX] or None


def _is_cjk(ch: str) -> bool:
    return not ch.isascii()


def _words(name: str) -> list[str]:
    text = _nfkc(_nfkc(name).casefold())
    previous = None
    while previous != text:  # nested brackets: innermost first
        previous, text = text, _BRACKETED.sub(" ", text)
    words: list[str] = []
    for word in _WORDS.findall(text):
        # Chinese names need no spaces: "北京 字节 有限 公司" is one word.
        if words and _is_cjk(words[-1][-1]) and _is_cjk(word[0]):
            words[-1] += word
        else:
            words.append(word)
    # "S. A." / "B.V.": trailing single letters are one word.
    tail = ""
    while len(words) > 1 and len(words[-1]) == 1 and words[-1].isascii():
        tail = words.pop() + tail
    if tail:
        words.append(tail)
    return words


def company_key(name: str | None) -> str | None:
    """The company name without case, width, spaces, punctuation, brackets or legal
    suffixes; or None when nothing is left."""
    if not name:
        return None
    words = _words(name)
    changed = True
    while changed and words:
        changed = False
        last = words[-1]
        if len(words) > 1 and (last in _LATIN_SUFFIXES or last in _CJK_SUFFIXES):
            words.pop()
            changed = True
            continue
        for suffix in _CJK_SUFFIXES:
            if last == suffix:
                break  # a name that is only a legal form: no key (below)
            if last.endswith(suffix):
                words[-1] = last[: -len(suffix)]
                changed = True
                break
    if len(words) == 1 and (words[0] in _LATIN_SUFFIXES or words[0] in _CJK_SUFFIXES):
        return None
    key = "".join(words)
    return key[:COMPANY_KEY_MAX] or None


def customer_keys(
    *, phone: str | None, email: str | None, company_name: str | None
) -> dict[str, str | None]:
    """The three keys of a customer's contact fields, by column name."""
    return {
        "phone_key": phone_key(phone),
        "email_key": email_key(email),
        "company_key": company_key(company_name),
    }


# Which of a customer's keys the duplicate check compares, by the field it is read from.
KEY_OF_FIELD = {"phone": "phone_key", "email": "email_key", "company_name": "company_key"}
# Keys that stop a create until the caller confirms: one phone or email is one person;
# two customers of one company are common (several contacts, several deals).
BLOCKING = frozenset({"phone", "email"})


@dataclass(frozen=True)
class DuplicateMatch:
    """An existing customer found by the duplicate check, told as the asker may know it.

    ``matched``: the fields whose keys are equal (phone, email, company_name). In the
    asker's data scope (``visible``): id, name, stage and owner. Outside it: only that it
    exists, its owner's name and protection, or the pool it waits in — ``customer_id`` and
    ``name`` are None then, unless it waits in a pool the asker may see (the pool's page
    lists it anyway, contacts masked as the pool says)."""

    matched: tuple[str, ...]
    visible: bool
    customer_id: int | None = None
    name: str | None = None
    stage: str | None = None
    owner_name: str | None = None
    protected_until: datetime | None = None
    pool: str | None = None
    pool_name: str | None = None
    pool_visible: bool = False

    @property
    def owned(self) -> bool:
        return self.owner_name is not None

    @property
    def blocking(self) -> bool:
        return bool(BLOCKING.intersection(self.matched))


class DuplicateFound(Conflict):
    """A new customer's phone or email is an existing customer's (撞单): confirm to create it
    anyway (``allow_duplicate``)."""

    code = "duplicate"

    def __init__(self, matches: list[DuplicateMatch]) -> None:
        self.matches = matches
        fields = sorted({f for m in matches for f in m.matched if f in BLOCKING})
        super().__init__(
            f"{len(matches)} existing customer(s) have the same {' / '.join(fields)}; "
            "send allow_duplicate: true to create it anyway"
        )
