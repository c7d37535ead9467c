"""The content terms of a text, for ranking, retrieval and grounding: stemmed words without stop words
(English) and character bigrams (Chinese)."""

from __future__ import annotations

import functools
import re

from summarizer.text.language import HAN

_WORD = re.compile(r"[a-z0-9][a-z0-9'\-]*")
_CJK_RUN = re.compile(f"[{HAN}]+")
_STOP = frozenset(
    """a about above after again against all also am an and any are as at be because been before being
    below between both but by can could did do does doing down during each few for from further had has
    have having he her here hers herself him himself his how i if in into is it its itself just let me more
    most my myself no nor not now of off on once only or other our ours ourselves out over own same she
    should so some such than that the their theirs them themselves then there these they this those
    through to too under until up very was we were what when where which while who whom why will with
    would you your yours yourself yourselves said says say one two may might must shall us new like
    however thus therefore hence et al""".split()
)
_ZH_STOP = frozenset("的了是在和与及或也就都而且并但对于以其这那之为")


@functools.lru_cache(maxsize=65536)
def _stem(word: str) -> str:
    """A light suffix-stripping stem, memoised: a language's common words recur in every text (a tenth of the
    service's CPU per news article went here before)."""
    for suffix in ("ational", "ization", "ations", "ation", "ments", "ment", "ings", "ing", "ies", "ied",
                   "edly", "ed", "es", "ly", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


def terms(sentence: str, lang: str) -> list[str]:
    """Content terms of a sentence: stemmed words (English), character bigrams (Chinese)."""
    lowered = sentence.lower()
    out = [_stem(w) for w in _WORD.findall(lowered) if w not in _STOP and not w.isdigit()]
    for run in _CJK_RUN.findall(sentence):
        chars = [c for c in run]
        out.extend(a + b for a, b in zip(chars, chars[1:]) if not (a in _ZH_STOP and b in _ZH_STOP))
    return out
