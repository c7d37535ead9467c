"""Sentence splitting with spaCy blank pipelines (English, Chinese) and a sentencizer.

No downloadable spaCy model is needed. The rule-based sentencizer splits after every
period, so abbreviations ("Fig.", "et al.", "e.g.") and decimals are re-joined here.
"""

from __future__ import annotations

import re
import threading
from functools import lru_cache

_ABBREVIATIONS = {
    "fig", "figs", "eq", "eqs", "sec", "secs", "tab", "ref", "refs", "al", "e.g", "i.e", "cf", "vs",
    "dr", "mr", "mrs", "ms", "prof", "st", "no", "nos", "vol", "pp", "approx", "etc", "resp", "inc",
    "ltd", "co", "corp", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov",
    "dec", "u.s", "u.k", "gov", "sen", "rep", "gen", "col", "lt", "sgt", "jr", "sr", "ph.d", "thm",
    "def", "lem", "prop", "alg", "appx", "ch", "viz",
}
_LAST_WORD = re.compile(r"([A-Za-z][A-Za-z.]*)\.\s*$")
_GLUED = re.compile(r"(?<=[a-z0-9%)\]”\"'][.!?])(?=[A-Z“\"][a-z])")
_lock = threading.Lock()


@lru_cache(maxsize=2)
def _pipeline(lang: str):
    import spacy

    nlp = spacy.blank("zh" if lang == "zh" else "en")
    nlp.add_pipe("sentencizer")
    nlp.max_length = 50_000_000
    return nlp


def _joins_next(sentence: str, following: str, cased: bool) -> bool:
    """True when the split after ``sentence`` was a false one (abbreviation, initial)."""
    m = _LAST_WORD.search(sentence)
    if m:
        word = m.group(1).lower()
        if word in _ABBREVIATIONS or (len(word) == 1 and word.isalpha()):
            return True
    if not following:
        return False
    # In cased text a sentence never starts in lower case; lower-cased corpora say nothing.
    return following[0] in ",;:)" or (cased and following[0].islower())


def _is_cased(text: str) -> bool:
    letters = [c for c in text[:5000] if c.isalpha() and c.isascii()]
    return not letters or sum(c.isupper() for c in letters) / len(letters) > 0.01


def split_sentences(text: str, lang: str = "en") -> list[str]:
    """Split ``text`` into sentences, keeping paragraph breaks as boundaries."""
    out: list[str] = []
    cased = _is_cased(text)
    for paragraph in re.split(r"\n\s*\n|\n(?=\s*[-•*]\s)", text):
        paragraph = " ".join(paragraph.split()) if lang != "zh" else re.sub(r"\s*\n\s*", "", paragraph).strip()
        if not paragraph:
            continue
        if lang != "zh":
            paragraph = _GLUED.sub(" ", paragraph)
        with _lock:  # spaCy pipelines are not documented as thread-safe
            doc = _pipeline(lang)(paragraph)
            pieces = [s.text.strip() for s in doc.sents if s.text.strip()]
        merged: list[str] = []
        for piece in pieces:
            if merged and _joins_next(merged[-1], piece, cased):
                merged[-1] = f"{merged[-1]} {piece}" if lang != "zh" else merged[-1] + piece
            else:
                merged.append(piece)
        out.extend(merged)
    return out
