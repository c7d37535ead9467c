"""Split pasted text, Markdown and Nougat ``.mmd`` output into a ``Document``.

Markdown headings give the structure; their levels are normalised once, here (field note 17):
the depths a text uses are mapped onto 1, 2, 3 ... in order, and an "Abstract" heading is level 1
wherever the writer put it. Without Markdown headings, short numbered lines ("1. Introduction",
"一、背景", "第2章 方法") are taken as headings; without those, the text is cut into coherent
parts at paragraph boundaries.
"""

from __future__ import annotations

import re

from summarizer.model.document import Document, Section
from summarizer.model.errors import InputError
from summarizer.text.characters import strip_controls
from summarizer.text.kinds import assign_kinds, kind_from_title
from summarizer.text.language import detect_language
from summarizer.text.paragraphs import chunk_paragraphs, text_size

_MD_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
_MISSING_PAGE = re.compile(r"\[MISSING_PAGE_?[A-Z_]*:?\s*\d*\]")
_NUMBERED_HEADING = re.compile(
    r"^(?:(?:\d+(?:\.\d+)*\.?|[IVX]+\.)\s+\S.{0,80}|第\s*[一二三四五六七八九十\d]+\s*[章节部分]\s*\S.{0,40}"
    r"|[一二三四五六七八九十]+、\s*\S.{0,40}|[（(][一二三四五六七八九十]+[)）]\s*\S.{0,40})$"
)
_FENCE = re.compile(r"^(```|~~~)")


def clean_text(text: str) -> str:
    """Normalise line endings, strip control and zero-width characters; numbers are untouched."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\ufeff", "")
    text = re.sub(r"[\u200b-\u200f\u2060\u202a-\u202e\u2066-\u2069]", "", text)
    return strip_controls(text)


_SCHOLARLY = re.compile(
    r"\b(we|our|study|studies|patients|significant(?:ly)?|analysis|analyses|methods?|results?|data|hypothes[ie]s"
    r"|et al|participants|samples?|fig|table)\b|本文|我们|研究|实验|方法|结果|数据|分析|模型", re.I)


def detect_genre(text: str, lang: str) -> str:
    """"paper" for scholarly prose (by its vocabulary, or its length), else "article" (news)."""
    size = text_size(text, lang)
    if size > 2500:
        return "paper"
    cues = len(_SCHOLARLY.findall(text[:200_000]))
    return "paper" if size > 800 and cues / max(size, 1) * 1000 >= 10 else "article"


def _paragraphs(text: str) -> list[str]:
    """The text's paragraphs: blocks between blank lines, or its lines when it has no blank line
    (news and Chinese text often put one paragraph per line), after a headline set apart too."""
    paras = [p.strip() for p in re.split(r"\n\s*\n", text) if p.strip()]
    if len(paras) == 1 and text.count("\n") > 3:
        return [p.strip() for p in text.split("\n") if p.strip()]
    if len(paras) == 2 and "\n" not in paras[0] and paras[1].count("\n") > 3:  # "Headline\n\nline\nline…"
        return [paras[0]] + [p.strip() for p in paras[1].split("\n") if p.strip()]
    return paras


def _markdown_headings(lines: list[str]) -> list[tuple[int, int, str]]:
    found, fenced = [], False
    for i, line in enumerate(lines):
        if _FENCE.match(line.strip()):
            fenced = not fenced
        if fenced:
            continue
        m = _MD_HEADING.match(line.strip())
        if m:
            found.append((i, len(m.group(1)), m.group(2).strip().strip("*_ ")))
    return found


def _numbered_headings(lines: list[str]) -> list[tuple[int, int, str]]:
    found = []
    for i, line in enumerate(lines):
        s = line.strip()
        if not s or len(s) > 90 or s.endswith(("。", ".", "；", ";", "，", ",")) and not re.match(r"^\d+\.\s", s):
            continue
        before_blank = i == 0 or not lines[i - 1].strip()
        if _NUMBERED_HEADING.match(s) and before_blank and len(s.split()) <= 12:
            num = re.match(r"^(\d+(?:\.\d+)*)", s)
            level = num.group(1).count(".") + 1 if num else (2 if s.startswith(("（", "(")) else 1)
            found.append((i, level, s))
    return found if len(found) >= 2 else []


def normalise_levels(levels: list[int], titles: list[str]) -> list[int]:
    """Map the depths in use onto 1..n; an abstract heading is always level 1."""
    body = sorted({lvl for lvl, t in zip(levels, titles) if kind_from_title(t) != "abstract"})
    rank = {depth: i + 1 for i, depth in enumerate(body)}
    out = []
    for lvl, title in zip(levels, titles):
        out.append(1 if kind_from_title(title) == "abstract" else rank.get(lvl, 1))
    # never jump from level 1 to 3: a child is at most one deeper than its parent
    fixed, prev = [], 0
    for lvl in out:
        lvl = min(lvl, prev + 1)
        fixed.append(lvl)
        prev = lvl
    return fixed


def parse_text(text: str, source: str = "pasted text", title: str | None = None) -> Document:
    """Parse pasted text or Markdown into a ``Document``."""
    text = clean_text(text)
    notices: list[str] = []
    missing = _MISSING_PAGE.findall(text)
    if missing:
        notices.append(f"{len(missing)} page(s) could not be read by the parser and are marked as missing.")
        text = _MISSING_PAGE.sub("", text)
    if not text.strip() or not re.search(r"\w", text):
        raise InputError("The text is empty: there are no words to summarize.")
    lang = detect_language(text)
    lines = text.split("\n")
    headings = _markdown_headings(lines) or _numbered_headings(lines)

    doc_title = title
    if headings and headings[0][0] <= 2 and kind_from_title(headings[0][2]) is None and (
            len(headings) == 1 or headings[0][1] == 1 and all(h[1] > 1 for h in headings[1:])):
        # "# Paper title" above "## Sections", or a headline alone above the text (a pasted article)
        doc_title = doc_title or headings[0][2]
        headings = headings[1:]
        preamble_start = 1 + next(i for i, line in enumerate(lines) if line.strip())
    else:
        preamble_start = 0
    preamble_end = headings[0][0] if headings else len(lines)

    sections: list[Section] = []
    preamble = "\n".join(lines[preamble_start:preamble_end]).strip()
    if not headings:
        paragraphs = _paragraphs(preamble)
        first = paragraphs[0] if paragraphs else ""
        if doc_title is None and len(paragraphs) > 1 and _is_headline(first, lang):
            doc_title = first.lstrip("# ").strip()
            paragraphs = paragraphs[1:]
        genre = detect_genre(preamble, lang)
        if genre == "article":  # news is read as one body: its paragraphs, never "Part 1", "Part 2"
            from summarizer.extractive.news import clean_news

            sections.append(Section(title="Article", text=clean_news("\n\n".join(paragraphs)), level=1, kind="body"))
            doc_title = doc_title or _news_title(sections[0].text, lang)
        else:
            total = sum(text_size(p, lang) for p in paragraphs)
            parts = chunk_paragraphs(paragraphs, lang, target=max(450, total // 150))  # at most ~150 parts
            for n, part in enumerate(parts, 1):
                name = "Article" if len(parts) == 1 else f"Part {n}"
                sections.append(Section(title=name, text="\n\n".join(part), level=1, kind="body"))
    else:
        if preamble:
            sections.append(Section(title="Preamble", text=preamble, level=1, kind="other"))
        titles = [h[2] for h in headings]
        levels = normalise_levels([h[1] for h in headings], titles)
        kinds = assign_kinds(titles, levels)
        for n, (line_no, _, head) in enumerate(headings):
            end = headings[n + 1][0] if n + 1 < len(headings) else len(lines)
            body = "\n".join(lines[line_no + 1:end]).strip()
            sections.append(Section(title=head, text=body, level=levels[n], kind=kinds[n]))
        genre = genre_of_kinds(kinds)

    abstract = next((s.text for s in sections if s.kind == "abstract"), "")
    doc_title = doc_title or title_from_text(sections, lang, genre)
    return Document(title=doc_title, source=source, sections=sections, abstract=abstract,
                    language=lang, genre=genre, notices=notices)


#: Section kinds that only a paper has: a document whose headings name one of them is read as a paper.
PAPER_KINDS = frozenset({"abstract", "introduction", "method", "references"})


def genre_of_kinds(kinds: list[str]) -> str:
    """"paper" when the headings name a part only papers have (an abstract, methods, references), else "article"."""
    return "paper" if any(k in PAPER_KINDS for k in kinds) else "article"


def title_from_text(sections: list[Section], lang: str, genre: str) -> str:
    """A title for a document that states none: a news text's headline from its lead, else its first words."""
    first = next((s.text for s in sections if s.text.strip()), "")
    return _news_title(first, lang) if genre == "article" and first else _fallback_title(sections, lang)


def _is_headline(line: str, lang: str) -> bool:
    """A first paragraph that reads as a title: short, one line, not a sentence ending in a full stop."""
    return "\n" not in line and text_size(line, lang) <= 25 and not line.endswith((".", "。"))


def _news_title(text: str, lang: str) -> str:
    """The title of a news text that has no headline: its lead sentence when short, else the lead's
    weightiest clauses at a headline's length (``news.headline``); a whole sentence or whole clauses,
    never words cut with "…", without the closing full stop."""
    from summarizer.extractive.news import headline

    title = headline(text, lang)
    return re.sub(r"(?<![.。][.。])[.。]$", "", title).strip() or _fallback_title([Section("", text)], lang)


def _fallback_title(sections: list[Section], lang: str) -> str:
    first = next((s.text for s in sections if s.text.strip()), "Untitled")
    first = first.strip().split("\n")[0]
    if lang == "zh":
        return first[:30] + ("…" if len(first) > 30 else "")
    words = first.split()
    return " ".join(words[:12]) + ("…" if len(words) > 12 else "")
