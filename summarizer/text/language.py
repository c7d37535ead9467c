"""Language detection for our two main languages, by the share of CJK characters."""

from __future__ import annotations

import re

#: The Han ideographs (CJK Unified, Extension A, Compatibility), for character classes: f"[{HAN}]".
HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
HAN_CHAR = re.compile(f"[{HAN}]")
_LATIN = re.compile(r"[A-Za-z]")


def cjk_share(text: str) -> float:
    """Share of CJK ideographs among letters (CJK + Latin)."""
    cjk = len(HAN_CHAR.findall(text))
    latin = len(_LATIN.findall(text))
    total = cjk + latin / 4  # a Latin word of ~4 letters weighs like one ideograph
    return cjk / total if total else 0.0


def detect_language(text: str) -> str:
    """Return ``"zh"`` when Chinese dominates the sample, else ``"en"``."""
    sample = text[:20000]
    return "zh" if cjk_share(sample) >= 0.3 else "en"


def han_count(text: str) -> int:
    """How many Han ideographs ``text`` holds."""
    return len(HAN_CHAR.findall(text))


def has_han(text: str) -> bool:
    return HAN_CHAR.search(text) is not None


def reading_length(text: str) -> int:
    """A text's length in words, two Chinese characters counting as one (the rule every size check uses)."""
    return len(text.split()) + han_count(text) // 2
