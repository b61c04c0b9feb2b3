"""Rule regexes run on RE2: matching time is linear in the text, whatever the pattern.

Why RE2 rather than ``re`` with a static check: a static check for catastrophic
backtracking (nested or adjacent quantifiers) is a heuristic; ``(a|a)*$`` or
``.*a.*a.*a.*b`` slip past it and still take polynomial or exponential time, and a cap on
the subject only moves the cliff. RE2 has no backtracking, so an admin's pattern can never
stall routing. Its syntax (no back-references, no look-around) is also the one the batch
path's Polars / Rust regex engine accepts, so a pattern means the same on both paths.
"""

from __future__ import annotations

from collections.abc import Callable

import re2  # type: ignore[import-untyped]

MAX_PATTERN_LENGTH = 200

_OPTIONS = re2.Options()
_OPTIONS.log_errors = False  # RE2 would print every rejected pattern to stderr
_OPTIONS.never_capture = True  # we only ask "does it match?"; groups cost time


def regex_problem(pattern: str) -> str | None:
    """Why ``pattern`` cannot be a rule regex, or None when it can."""
    if len(pattern) > MAX_PATTERN_LENGTH:
        return f"is {len(pattern)} characters long; at most {MAX_PATTERN_LENGTH} are allowed"
    try:
        re2.compile(pattern, _OPTIONS)
    except re2.error as exc:
        reason = exc.args[0] if exc.args else "invalid pattern"
        if isinstance(reason, bytes):
            reason = reason.decode("utf-8", "replace")
        return f"does not compile: {reason}"
    return None


def _public_search(compiled: object) -> Callable[[str], bool]:
    search = compiled.search  # type: ignore[attr-defined]

    def matches(text: str) -> bool:
        return search(text) is not None

    return matches


def _raw_search(compiled: object) -> Callable[[str], bool] | None:
    """A search straight on the RE2 object, skipping the wrapper's match-object machinery
    (about 6x faster); None when this version of google-re2 is not shaped as expected."""
    raw = getattr(compiled, "_regexp", None)
    anchor = getattr(getattr(raw, "Anchor", None), "UNANCHORED", None)
    if raw is None or anchor is None:
        return None
    match = raw.Match
    no_match = (-1, -1)

    def matches(text: str) -> bool:
        encoded = text.encode()
        return bool(match(anchor, encoded, 0, len(encoded))[0] != no_match)

    return matches


def _raw_search_works() -> bool:
    probe = re2.compile("é+b", _OPTIONS)
    fast = _raw_search(probe)
    if fast is None:
        return False
    try:
        return fast("xéébz") and not fast("xéz") and not fast("")
    except Exception:  # an internal API changed shape: fall back to the public one
        return False


_USE_RAW = _raw_search_works()


def compile_search(pattern: str) -> Callable[[str], bool]:
    """A function telling whether ``pattern`` matches anywhere in a text (``re.search``)."""
    compiled = re2.compile(pattern, _OPTIONS)
    fast = _raw_search(compiled) if _USE_RAW else None
    return fast or _public_search(compiled)
