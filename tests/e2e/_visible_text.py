"""What a person reads on a page, and the Latin words in it that no one typed.

``visible_text`` keeps the text outside ``<script>`` / ``<style>`` and the attributes a
person reads (title, placeholder, aria-label, alt, a button's value), but not what a
page marks ``translate="no"`` (codes shown as codes: JSON, event and job names). ``foreign_words``
gives the Latin words of that text that are neither in the data the page shows nor a
product token, so a zh-CN page that lets English UI text through is caught.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from html.parser import HTMLParser

# Words a Chinese UI keeps in Latin letters: product and protocol names, units, the name
# of the other language in the language switch.
PRODUCT_TOKENS = frozenset(
    word.casefold()
    for word in [
        "fenpei",
        "API",
        "CSV",
        "Excel",
        "xlsx",
        "Webhook",
        "Webhooks",
        "ID",
        "URL",
        "Email",
        "SLA",
        "IM",
        "SMS",
        "HTTP",
        "HTTPS",
        "JSON",
        "HMAC",
        "SHA",
        "UTF",
        "GBK",
        "English",
        "OpenAPI",
        "UTC",
        "GMT",
        "Maven",
        "CRM",
        "POST",
        "GET",
        "Ctrl",
        # File formats and sizes (资料)
        "PDF",
        "PNG",
        "JPEG",
        "GIF",
        "WebP",
        "Word",
        "PowerPoint",
        "zip",
        "HTML",
        "SVG",
        "XML",
        "doc",
        "xls",
        "ppt",
        "KB",
        "MB",
        "GB",
    ]
)
_LATIN_WORD = re.compile(r"(?<![0-9])[A-Za-z]{2,}")  # not "2xx"
_ADDRESS = re.compile(r"\bhttps?://\S+|[\w.+-]+@[\w-]+(\.[\w-]+)+")  # URLs and emails are no words
_READ_ATTRIBUTES = ("title", "placeholder", "aria-label", "alt")
_HIDDEN_ELEMENTS = frozenset({"script", "style"})
_VOID_ELEMENTS = frozenset({"input", "br", "img", "meta", "link", "hr", "col", "source", "wbr"})


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._hidden = 0
        self._untranslated = 0  # elements open inside one marked translate="no"

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _HIDDEN_ELEMENTS:
            self._hidden += 1
        found = dict(attrs)
        if tag not in _VOID_ELEMENTS and (self._untranslated or found.get("translate") == "no"):
            self._untranslated += 1
        if self._untranslated or found.get("translate") == "no":
            return
        self.parts.extend(str(found[name]) for name in _READ_ATTRIBUTES if found.get(name))
        if tag == "input" and found.get("type") in ("submit", "button") and found.get("value"):
            self.parts.append(str(found["value"]))

    def handle_endtag(self, tag: str) -> None:
        if tag in _HIDDEN_ELEMENTS and self._hidden:
            self._hidden -= 1
        if self._untranslated and tag not in _VOID_ELEMENTS:
            self._untranslated -= 1

    def handle_data(self, data: str) -> None:
        if not self._hidden and not self._untranslated and data.strip():
            self.parts.append(data.strip())


def visible_text(html: str) -> list[str]:
    """The pieces of text a person reads on the page, in order."""
    reader = _Reader()
    reader.feed(html)
    reader.close()
    return reader.parts


def latin_words(text: str) -> set[str]:
    """The words of two or more Latin letters in ``text``, case folded."""
    return {word.casefold() for word in _LATIN_WORD.findall(_ADDRESS.sub(" ", text))}


def foreign_words(html: str, *, data: Iterable[str]) -> dict[str, str]:
    """Each Latin word the page shows that neither came from ``data`` nor is a product
    token, with the piece of text it stands in (to find it)."""
    allowed = PRODUCT_TOKENS | {word for value in data for word in latin_words(value)}
    found: dict[str, str] = {}
    for piece in visible_text(html):
        for word in latin_words(piece) - allowed:
            found.setdefault(word, piece[:120])
    return found
