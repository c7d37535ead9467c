"""Language detection for our two main languages, by the share of CJK characters."""

from __future__ import annotations

import re

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LATIN = re.compile(r"[A-Za-z]")


def cjk_share(text: str) -> float:
    """Share of CJK ideographs among letters (CJK + Latin)."""
    cjk = len(_CJK.findall(text))
    latin = len(_LATIN.findall(text))
    total = cjk + latin / 4  # a Latin word of ~4 letters weighs like one ideograph
    return cjk / total if total else 0.0


def detect_language(text: str) -> str:
    """Return ``"zh"`` when Chinese dominates the sample, else ``"en"``."""
    sample = text[:20000]
    return "zh" if cjk_share(sample) >= 0.3 else "en"
