"""Sentence splitting by rules of our own, for English and Chinese, loaded in microseconds.

A sentence ends at a run of terminal punctuation (``.!?`` and ``。！？``), together with the
closing quotes and brackets that follow it. In English (and other space-separated text) the
run must be followed by white space or the end of the paragraph, so decimals, domains and
"e.g." do not split; in Chinese the full-width marks end a sentence wherever they stand, and a
half-width ``.!?`` only before white space, a CJK character or the end ("3.5%" stays whole).
False splits after abbreviations ("Fig.", "et al.", "U.S."), initials and before a lower-case
continuation are then re-joined.

Chosen over spaCy's blank pipeline + sentencizer (the former splitter) and pySBD by
``bench/sentence_split.py``: on the corpus it agrees with spaCy on the boundaries spaCy gets
right, fixes spaCy's splits inside Chinese decimals, and loads in no time (spaCy's import
alone cost 1–2 s of every cold CLI run).
"""

from __future__ import annotations

import re

_ABBREVIATIONS = {
    "fig", "figs", "eq", "eqs", "sec", "secs", "tab", "ref", "refs", "al", "e.g", "i.e", "cf", "vs",
    "dr", "mr", "mrs", "ms", "prof", "st", "no", "nos", "vol", "pp", "approx", "etc", "resp", "inc",
    "ltd", "co", "corp", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov",
    "dec", "u.s", "u.k", "gov", "sen", "rep", "gen", "col", "lt", "sgt", "jr", "sr", "ph.d", "thm",
    "def", "lem", "prop", "alg", "appx", "ch", "viz",
}
_LAST_WORD = re.compile(r"([A-Za-z][A-Za-z.]*)\.\s*$")
#: The same with the period set apart, as tokenized text writes it ("et al .", "fig .", "inc ."):
#: abbreviations only, not single letters ("in group b ." ends a sentence).
_LAST_WORD_SPACED = re.compile(r"(?:^|\s)([A-Za-z][A-Za-z.]+) \.\s*$")
#: A sentence end glued to the next sentence ("broke.The", 'July."A', "wrong.'\"On"), as web text has.
_GLUED = re.compile(r"(?<=[a-z0-9%)\]\"”’])([.!?]+)([\"'”’]{0,2})(?=[“‘\"']?[A-Z])")
_CLOSERS = re.escape("\"'”’)）]】」』》")
#: A sentence end in space-separated text: terminal marks, closers, then white space or the end.
_END_SPACED = re.compile(rf"[.!?]+[{_CLOSERS}]*(?=\s|$)|[。！？]+[{_CLOSERS}]*")
#: In Chinese: full-width marks anywhere; half-width ones before space, a CJK character or the end.
_END_CJK = re.compile(rf"[。！？]+[{_CLOSERS}]*|[.!?]+[{_CLOSERS}]*(?=\s|$|[\u3400-\u9fff])")


def _unglue(paragraph: str) -> str:
    """Put a space after glued sentence ends. Quotes right after the marks close the sentence,
    except a straight double quote when no quotation is open: that one opens the next sentence."""
    def space(m: re.Match) -> str:
        inside = paragraph.count('"', 0, m.start()) % 2 == 1
        quotes = m.group(2)
        keep = 0
        for q in quotes:
            if q == '"' and not inside:
                break
            inside = inside and q != '"'
            keep += 1
        return f"{m.group(1)}{quotes[:keep]} {quotes[keep:]}"
    return _GLUED.sub(space, paragraph)


def _pieces(paragraph: str, lang: str) -> list[str]:
    """Split one normalised paragraph at every candidate sentence end."""
    pattern = _END_CJK if lang == "zh" else _END_SPACED
    out, start = [], 0
    for m in pattern.finditer(paragraph):
        piece = paragraph[start:m.end()].strip()
        if out and not any(c.isalnum() for c in piece):
            out[-1] = f"{out[-1]} {piece}" if lang != "zh" else out[-1] + piece  # "et al . ." : marks only
        elif piece:
            out.append(piece)
        start = m.end()
    tail = paragraph[start:].strip()
    if tail:
        out.append(tail)
    return out


def _joins_next(sentence: str, following: str, cased: bool) -> bool:
    """True when the split after ``sentence`` was a false one (abbreviation, initial)."""
    m = _LAST_WORD.search(sentence)
    if m:
        word = m.group(1).lower()
        if word in _ABBREVIATIONS or (len(word) == 1 and word.isalpha()):
            return True
    spaced = _LAST_WORD_SPACED.search(sentence)
    if spaced and spaced.group(1).lower().rstrip(".") in _ABBREVIATIONS:
        return True
    if not following:
        return False
    # In cased text a sentence never starts in lower case; lower-cased corpora say nothing.
    return following[0] in ",;:)" or (cased and following[0].islower())


#: A piece that is only a list enumerator ("1.", "(2)", "3)", "iv.", "B."): the start of the item
#: that follows, never a sentence of its own.
_ENUMERATOR_ONLY = re.compile(r"[(（]?(?:\d{1,3}|[ivxIVX]{1,4}|[A-Za-z])[.)）]")


_ASCII_LOWER, _ASCII_UPPER = re.compile(r"[a-z]"), re.compile(r"[A-Z]")


def _is_cased(text: str) -> bool:
    """Whether the text's Latin letters use both cases (over 1 % upper case), or it has none. Counted by
    regex, not a loop over characters: this runs for every split, on the service's hot path."""
    head = text[:5000]
    upper = len(_ASCII_UPPER.findall(head))
    letters = upper + len(_ASCII_LOWER.findall(head))
    return not letters or upper / letters > 0.01


def split_sentences(text: str, lang: str = "en") -> list[str]:
    """Split ``text`` into sentences, keeping paragraph breaks as boundaries."""
    out: list[str] = []
    cased = _is_cased(text)
    for paragraph in re.split(r"\n\s*\n|\n(?=\s*[-•*]\s)", text):
        paragraph = " ".join(paragraph.split()) if lang != "zh" else re.sub(r"\s*\n\s*", "", paragraph).strip()
        if not paragraph:
            continue
        if lang != "zh":
            paragraph = _unglue(paragraph)
        pieces = _pieces(paragraph, lang)
        merged: list[str] = []
        for piece in pieces:
            if merged and _ENUMERATOR_ONLY.fullmatch(merged[-1]):
                merged[-1] = f"{merged[-1]} {piece}"  # "1." + "Install the tools." is one item
            elif merged and _joins_next(merged[-1], piece, cased):
                merged[-1] = f"{merged[-1]} {piece}" if lang != "zh" else merged[-1] + piece
            else:
                merged.append(piece)
        out.extend(merged)
    return out


def block_sentences(block, lang: str = "en") -> list[tuple[str, tuple[int, ...]]]:
    """A block's sentences (``model.document.Block``), each with the page(s) it is on: exact where the block
    records where it goes on to a later page (``Block.breaks``), else the block's first page."""
    sentences = split_sentences(block.text, lang)
    if not block.breaks or not block.page:
        return [(s, (block.page,) if block.page else ()) for s in sentences]
    flat = re.sub(r"\s+", "", block.text)
    out = []
    cursor = 0
    for sentence in sentences:
        key = re.sub(r"\s+", "", sentence)
        pos = flat.find(key[:40], cursor)
        pos = cursor if pos < 0 else pos
        cursor = pos + len(key)
        first, last = block.page_at(pos), block.page_at(max(pos, cursor - 1))
        out.append((sentence, tuple(range(first, last + 1))))
    return out
