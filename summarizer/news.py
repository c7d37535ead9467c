"""News text: clean-up of web boilerplate, and the extractive news overview.

News front-loads its facts, so the overview is a headline-length one-liner built from the
clauses of the opening sentences that carry most of the article's content, followed by a short
paragraph of the most central sentences with a strong lead prior. Clean-up removes share and
subscribe lines, bylines, datelines and stray control characters, and normalises full-width
letters and punctuation, without touching numbers.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter

from .extractive import _size, rank_sentences, select, terms
from .sentences import split_sentences

_BOILERPLATE = [
    r"Share this with\s*(Email|Facebook|Messenger|Twitter|Pinterest|WhatsApp|Linkedin|Copy this link)+",
    r"(Email|Facebook|Messenger|Twitter|Pinterest|WhatsApp|LinkedIn)"
    r"(\s*(Email|Facebook|Messenger|Twitter|Pinterest|WhatsApp|LinkedIn|Copy this link))+",
    r"Copy this link",
    r"^\s*(Share|Subscribe|Sign up|Follow us|Click here|Read more|Advertisement|Related:|READ MORE:|Scroll down for video)\b.*$",
    r"^\s*(By \. [^.]{0,80} \. )?(PUBLISHED|UPDATED|Last updated):[^|]{0,80}\|?.*$",
    r"^\s*By \.\s[^.]{0,80}\s\.\s*",
    r"(?:PUBLISHED|UPDATED): \. \d{1,2}:\d{2} [A-Z]{3}, \d{1,2} [A-Za-z]+ \d{4} \. \|?\s*",
    r"^\s*(点击|关注|分享|订阅|扫码|长按)[^。\n]{0,40}$",
    r"[（(](原题为|原标题)[:：]?[^）)\n]{0,60}[）)]",
    r"[（(]?(责任编辑|来源)[:：][^）)\n]{0,40}[）)]?",
]
_BOILER = [re.compile(p, re.I | re.M) for p in _BOILERPLATE]
_DATELINE = re.compile(r"^\s*(?:\(CNN\)\s*(?:--)?|[A-Z][A-Z .,'-]{2,40}(?:\([A-Za-z .]+\))?\s*(?:--|—|–)\s+|[^\s，。]{2,8}——)")
_CJK_PUNCT = str.maketrans({"，": ",", "。": ".", "：": ":", "；": ";", "！": "!", "？": "?"})


def _fullwidth_to_halfwidth(text: str) -> str:
    """Full-width ASCII letters and digits (Ｆ, １) to their half-width forms; CJK punctuation stays."""
    out = []
    for ch in text:
        code = ord(ch)
        if 0xFF10 <= code <= 0xFF19 or 0xFF21 <= code <= 0xFF3A or 0xFF41 <= code <= 0xFF5A:
            out.append(chr(code - 0xFEE0))
        elif ch == "\u3000":
            out.append(" ")
        else:
            out.append(ch)
    return "".join(out)


def clean_news(text: str) -> str:
    """Remove web boilerplate and control characters; numbers are never changed."""
    text = unicodedata.normalize("NFC", text)
    text = re.sub(r"[\u200b-\u200f\u2060\ufeff]", "", text)
    text = "".join(ch for ch in text if ch in "\n\t" or unicodedata.category(ch) != "Cc")
    text = _fullwidth_to_halfwidth(text)
    for pattern in _BOILER:
        text = pattern.sub("", text)
    text = _DATELINE.sub("", text.lstrip(), count=1)
    return re.sub(r"[ \t]+", " ", text).strip()


def _clauses(sentence: str, lang: str) -> list[str]:
    if lang == "zh":
        parts = re.split(r"(?<=[，；：])", sentence)
    else:
        parts = re.split(r"(?<=[,;:])\s+(?=\S)", sentence)
    return [p for p in parts if p.strip()]


def headline(text: str, lang: str, budget: int | None = None, sentences: list[str] | None = None) -> str:
    """A headline-length one-liner: the lead sentence's clauses that carry most content."""
    sentences = sentences if sentences is not None else split_sentences(text, lang)
    if not sentences:
        return ""
    budget = budget or (32 if lang == "zh" else 22)
    bags = [Counter(terms(s, lang)) for s in sentences]
    df: Counter = Counter()
    for bag in bags:
        df.update(bag.keys())
    n = len(sentences)
    idf = {t: math.log((n + 1) / (c + 0.5)) for t, c in df.items()}
    centroid: Counter = Counter()
    for bag in bags:
        for t in bag:
            centroid[t] += idf[t]
    lead = sentences[0]
    if _size(lead, lang) <= budget * 1.3:
        return lead
    units = _clauses(lead, lang)
    scored = []
    for i, clause in enumerate(units):
        bag = Counter(terms(clause, lang))
        weight = sum((1 + math.log(c)) * idf.get(t, 0) * centroid[t] for t, c in bag.items())
        scored.append((weight / (1 + 0.15 * i), i, clause))
    picked, used = [], 0
    for _, i, clause in sorted(scored, reverse=True):
        size = _size(clause, lang)
        if picked and used + size > budget * 1.2:
            continue
        picked.append((i, clause))
        used += size
        if used >= budget:
            break
    picked.sort()
    joined = ("" if lang == "zh" else " ").join(c for _, c in picked).strip()
    joined = re.sub(r"[，,；;：:]\s*$", "", joined)
    end = "。" if lang == "zh" else "."
    return joined if joined.endswith(("。", ".", "!", "?", "！", "？", "”", '"')) else joined + end


def news_overview(text: str, lang: str, scale: float = 1.0) -> tuple[str, str]:
    """(one-liner, short paragraph) for a news article."""
    text = clean_news(text)
    sentences = split_sentences(text, lang)
    if not sentences:
        return "", ""
    line = headline(text, lang, sentences=sentences)
    budget = int((150 if lang == "zh" else 75) * scale)
    ranked = rank_sentences(sentences, lang, position_bias=1.5)
    picked = select(ranked, budget, lang)
    paragraph = ("" if lang == "zh" else " ").join(p.text for p in picked)
    return line, paragraph
