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

from .extractive import RankedSentence, _size, rank_large, select, terms
from .sentences import split_sentences

_BOILERPLATE = [
    r"Share this with\s*(Email|Facebook|Messenger|Twitter|Pinterest|WhatsApp|Linkedin|Copy this link)+",
    r"(Email|Facebook|Messenger|Twitter|Pinterest|WhatsApp|LinkedIn)"
    r"(\s*(Email|Facebook|Messenger|Twitter|Pinterest|WhatsApp|LinkedIn|Copy this link))+",
    r"Copy this link",
    r"\bScroll down for (the )?video\b\.?",
    r"\b(READ MORE|RELATED|WATCH|VIDEO|PHOTOS|SEE ALSO|CLICK HERE)\s*:[^.\n]{0,120}(?=\s[A-Z]|$)",
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
    _, idf, centroid = _weights(sentences, lang)
    lead = sentences[0]
    if _size(lead, lang) <= budget * 1.3:
        return lead
    units = _clauses(lead, lang)
    scored = []
    for i, clause in enumerate(units):
        bag = Counter(terms(clause, lang))
        weight = sum((1 + math.log(c)) * idf.get(t, 0) * centroid[t] for t, c in bag.items())
        scored.append((weight / (1 + 0.15 * i), i, clause))
    # In English the first clause holds the subject, so it always opens the line; Chinese
    # clauses stand alone well enough to be picked freely.
    picked, used = ([(0, units[0])], _size(units[0], lang)) if lang != "zh" else ([], 0)
    for _, i, clause in sorted(scored, reverse=True):
        if picked and i == picked[0][0] and lang != "zh":
            continue
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


_ATTRIBUTION = re.compile(
    r",?\s+(?:(?:he|she|they|police|officials?|authorities|experts?|sources?|the (?:\w+ ){0,3}\w+|[A-Z]\w+(?: [A-Z]\w+){0,2})"
    r" (?:said|says|told [\w ]{1,40}|reported|added|explained|claimed|confirmed|announced)(?: on \w+(?: \w+)?)?"
    r"|according to [^,.]{1,60})$"
)


_LEAD_PHRASE = re.compile(
    r"^(?:In|On|At|After|Before|During|Last|This|Earlier|Later|Meanwhile|However|But|And|Yet|Still|Now|Today|"
    r"Yesterday|Since|Despite|Although|While|When|As)\b[^,]{0,40},\s+(?=[A-Za-z])")


def compress(sentence: str, lang: str) -> str:
    """Drop asides that carry little content: parentheticals, dash asides, trailing attributions."""
    if lang == "zh":
        return re.sub(r"[（(](?![^（）()]*\d)[^（）()]{0,40}[)）]", "", sentence).strip() or sentence
    out = re.sub(r"\s*\((?![^()]*\d)[^()]{0,80}\)", "", sentence)  # asides with numbers stay
    out = re.sub(r"\s+[-–—]\s+[^-–—]{1,80}?\s+[-–—]\s+", " ", out)
    core = out.rstrip(".").rstrip()
    trimmed = _ATTRIBUTION.sub("", core)
    if trimmed != core and len(trimmed.split()) >= 6:
        out = trimmed.rstrip(",") + "."
    opener = _LEAD_PHRASE.sub("", out)  # "On Monday, the council ..." → "The council ..."
    if opener != out and len(opener.split()) >= 6:
        out = opener[0].upper() + opener[1:]
    out = re.sub(r"\s{2,}", " ", out).strip()
    return out if len(out.split()) >= 4 else sentence


def _is_hook(sentence: str, lang: str) -> bool:
    """Questions, quotations and fragments open features but rarely carry the news; reported
    speech ("…," he said) is usually paraphrased by editors rather than kept."""
    if sentence.endswith(("?", "？")) or sentence.startswith(('"', "“", "‘", "'")):
        return True
    if lang == "zh":
        return False
    return len(sentence.split()) < 8 or (bool(re.search(r'["“”]', sentence)) and
                                         bool(re.search(r"\b(said|says|told)\b", sentence)))


def _weights(sentences: list[str], lang: str) -> tuple[list[Counter], dict[str, float], Counter]:
    """Term bags of the sentences, IDF over them, and the article's IDF-weighted centroid."""
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
    return bags, idf, centroid


def _centrality(sentences: list[str], lang: str) -> list[float]:
    """Cosine of each sentence with the TF-IDF centroid of the article."""
    bags, idf, centroid = _weights(sentences, lang)
    norm_c = math.sqrt(sum(v * v for v in centroid.values())) or 1.0
    scores = []
    for bag in bags:
        vec = {t: (1 + math.log(k)) * idf[t] for t, k in bag.items()}
        norm_v = math.sqrt(sum(x * x for x in vec.values())) or 1.0
        scores.append(sum(vec[t] * centroid[t] for t in vec) / (norm_v * norm_c))
    return scores


#: How much of the ranking counts as "strong" sentences, relative to the paragraph budget.
_KEEP = {False: 3.0, True: 2.0}


def news_overview(text: str, lang: str, scale: float = 1.0) -> tuple[str, str]:
    """(one-liner, short paragraph) for a news article.

    The one-liner comes from the opening: in English the first of the first three sentences that
    best represents the article (feature stories open with a hook; Chinese news leads are written
    as summaries, so they are kept); the paragraph adds the most central other sentences, in order.
    """
    text = clean_news(text)
    sentences = [compress(s, lang) for s in split_sentences(text, lang)]
    if not sentences:
        return "", ""
    start = 0
    if lang != "zh":
        central = _centrality(sentences, lang)
        start = max(range(min(3, len(sentences))),
                    key=lambda i: central[i] * 0.5 ** i * (0.3 if _is_hook(sentences[i], lang) else 1.0))
    rest = sentences[start:]
    line = headline("", lang, sentences=rest)
    budget = int((150 if lang == "zh" else 75) * scale)
    ranked = [r if not _is_hook(r.text, lang) else RankedSentence(r.index, r.text, r.score * 0.4)
              for r in rank_large(sentences, lang, position_bias=1.5) if r.index != start]
    # the lead order, with the weakest sentences skipped, up to the budget
    kept = select(ranked, int(budget * _KEEP[lang == "zh"]), lang, redundancy=0.7)
    paragraph_parts, used = [], 0
    for p in kept:
        if used >= budget:
            break
        paragraph_parts.append(p.text)
        used += _size(p.text, lang)
    return line, ("" if lang == "zh" else " ").join(paragraph_parts)


def long_overview(text: str, lang: str, scale: float = 1.0) -> str:
    """A long article without headings: its most central sentences, about 5% of its length."""
    from .extractive import summarize_text

    total = _size(text, lang)
    lo, hi = (200, 600) if lang == "zh" else (100, 300)
    budget = int(min(hi, max(lo, total * 0.06)) * scale)
    return summarize_text(clean_news(text), lang, budget=budget, position_bias=0.5)
