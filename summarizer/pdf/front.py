"""Author names from the lines under a paper's title: affiliation markers, emails and
addresses removed, a name never cut at a line break."""

from __future__ import annotations

import re

from summarizer.pdf.blocks import ends_sentence
from summarizer.pdf.extract import Line
from summarizer.pdf.headings import numbering
from summarizer.text.kinds import kind_from_title
from summarizer.text.language import has_han, reading_length

#: Affiliation and footnote marks set after (or before) a name: digits, symbols, superscripts.
_MARK = r"[\d∗*†‡§¶⊣⋆♯♮‖#\u00b9\u00b2\u00b3\u2070-\u209f\u1d43-\u1dbf]"
_SPLIT = re.compile(rf"\s*(?:[,;，、&]|\band\b|{_MARK}+)\s*", re.I)
_AFFILIATION = re.compile(
    r"@|https?://|www\.|\.(com|org|edu|net|ai|io)\b|universit|institut|department|laborator|\blabs?\b|college|school"
    r"|foundation|centre|center|corporation|\bcorp\b|company|gmbh|\bllc\b|inc\.|ltd|hospital|academy|division"
    r"|facility|\b[A-Z]{1,2}\d[A-Z\d]?\s?\d[A-Z]{2}\b|大学|研究所|学院|研究院|公司|实验室|中心|小组|版本|日期|\d{4,}", re.I)
_MONTH = re.compile(r"^(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?$", re.I)
_PARTICLE = {"de", "van", "von", "der", "den", "da", "del", "della", "di", "la", "le", "du", "bin", "al", "dos", "das",
             "y", "ten", "ter", "st."}
_HONORIFIC = re.compile(r"^(dr|prof|mr|mrs|ms)\.?\s+", re.I)
_TOKEN = re.compile(r"^[A-ZÀ-ÖØ-ÞĀ-Ž][\w.'’\-ˇ´¨˜`]*$")
_CJK_NAME = re.compile(r"^[\u4e00-\u9fff]{2,4}$|^[\u4e00-\u9fff]{1,6}[·•][\u4e00-\u9fff]{1,8}$")


def is_affiliation(text: str) -> bool:
    """An address, email, affiliation or date line of the front matter."""
    if _AFFILIATION.search(text):
        return True
    words = [w.strip(",.") for w in text.split()]
    return any(_MONTH.match(w) for w in words) and any(w.isdigit() for w in words) \
        or any(re.fullmatch(r"[A-Z]{2,3}", w) for w in words[1:]) and "," in text  # "Mountain View, CA"


def plausible_name(piece: str) -> bool:
    """A person's (or a collaboration's) name: 2–5 capitalised words, or 2–4 CJK characters."""
    if _CJK_NAME.match(piece):
        return True
    tokens = piece.split()
    if not 2 <= len(tokens) <= 5:
        return False
    return all(_TOKEN.match(t) or t.lower() in _PARTICLE for t in tokens) and bool(_TOKEN.match(tokens[-1]))


def _pieces(text: str) -> list[str]:
    cjk = has_han(text)
    out = []
    for raw in _SPLIT.split(text):
        raw = _HONORIFIC.sub("", raw.strip(" .:()"))
        out.extend(raw.split() if cjk else [raw])
    return [p for p in out if p]


def _name_part(piece: str) -> bool:
    """One capitalised word: the half of a name that a line break cut off."""
    return bool(_TOKEN.match(piece)) and " " not in piece


def name_line(text: str) -> bool:
    """True when every piece of the line (between separators and marks) is a name; the first and
    the last piece may be a single word, the part of a name cut at a line break."""
    pieces = _pieces(text)
    if not pieces or is_affiliation(text):
        return False
    inner_ok = all(plausible_name(p) for p in pieces[1:-1])
    ends_ok = all(plausible_name(p) or _name_part(p) for p in {pieces[0], pieces[-1]})
    return inner_ok and ends_ok and any(plausible_name(p) for p in pieces) or len(pieces) == 1 and _name_part(pieces[0])


def author_names(lines: list[str]) -> list[str]:
    """Names from consecutive author lines; a name cut at a line end ("… Hiroya" / "Takamura2, …")
    is put back together before the lines are split into names."""
    joined = ""
    for text in lines:
        text = text.strip()
        if not joined:
            joined = text
            continue
        tail = _pieces(joined)[-1:] if joined else []
        cut = re.search(r"[^\W\d_]\.?$", joined) and tail and len(tail[0].split()) == 1 \
            and not has_han(tail[0])
        joined = f"{joined} {text}" if cut else f"{joined}, {text}"
    names: list[str] = []
    for piece in _pieces(joined):
        if plausible_name(piece) and piece not in names:
            names.append(piece)
    return names


RUN_IN_ABSTRACT = re.compile(r"^\s*(abstract|摘\s*要)\s*[—–:：.\-]\s*", re.I)

_NOT_TITLE = re.compile(
    r"arxiv|preprint|draft|typeset|submitted|accepted|published|proceedings|conference|journal|workshop|vol\.|volume"
    r"|issn|doi|copyright|©|licen[cs]e|https?://|www\.|@|page \d|^\d+$", re.I)

#: An email address, bare, in brackets or after a separator, as set beside an author's name.
_WITH_EMAIL = re.compile(r"[\s,;]*[(<\[]?\s*(?:e-?mail:\s*)?[\w.+\-]+@[\w\-]+(?:\.[\w\-]+)+\s*[)>\]]?", re.I)

#: Words of an organisation or a role, never of a person's name ("Google Research", "Help Desk").
_ORGANISATION = re.compile(r"\b(?:research|report|desk|team|group|labs?|inc|ltd|office|support|help|project|committee"
                           r"|services?|press|society|association|council|ministry|agency|bureau|network|systems"
                           r"|technolog(?:y|ies)|software|solutions|editors?|staff)\b", re.I)

_CODE_LIKE = re.compile(r"^(?=.*\d)[A-Z0-9/\-_.: ]+$")  # "APS/123-QED", "MRL-0006"

def title_and_authors(lines: list[Line], meta_title: str) -> tuple[str, list[str], int]:
    """Title: the largest (then boldest) line near the top of page 1, with the lines of the same
    style that continue it; authors: the short name lines under it. Returns where they end."""
    front: list[int] = []
    for i, line in enumerate(lines[:60]):
        if line.page != 0 or RUN_IN_ABSTRACT.match(line.text) or kind_from_title(line.text) in ("abstract", "introduction"):
            break
        front.append(i)
    candidates = [i for i in front[:30] if re.search(r"[A-Za-z\u4e00-\u9fff]{2}", lines[i].text)
                  and not _NOT_TITLE.search(lines[i].text) and not _CODE_LIKE.match(lines[i].text)
                  and 4 <= len(lines[i].text) <= 300]
    if not candidates:
        return (meta_title or "").strip(), [], 0
    best = max(candidates, key=lambda i: (round(lines[i].size * 2) / 2, lines[i].bold, -i))
    title_lines = [best]
    k = best + 1
    def continues(line: Line) -> bool:
        """Same style, or a subtitle: bold like the title and nearly as large."""
        top = lines[best]
        same = abs(line.size - top.size) < 0.5
        heading_like = numbering(line.text)[0] or (kind_from_title(line.text) and len(line.text.split()) <= 3)
        subtitle = line.size >= max(0.8 * top.size, 12.0) and line.size < top.size and not heading_like
        # names with their affiliation marks ("Makowski1, An Shu Te1"), not a title's "NeuroKit2"
        authors = "@" in line.text or re.search(r"[a-z]{2}\d+(,\d+)*\b|[†‡§¶∗]", line.text) and name_line(line.text)
        return (same or subtitle) and line.bold == top.bold and not _NOT_TITLE.search(line.text) and not authors

    while k < len(lines) and lines[k].page == 0 and len(title_lines) < 4 and continues(lines[k]):
        title_lines.append(k)
        k += 1
    title = re.sub(r"[∗*†‡§¶⋆]+|\s\d$", "", " ".join(lines[i].text for i in title_lines)).strip()
    author_lines: list[str] = []
    end = k
    pending: int | None = None  # lines taken on trust (a long subtitle): the block ends there only if a name follows
    for j in range(k, min(k + 40, len(lines))):
        line = lines[j]
        words = len(line.text.split())
        # a line of prose ends the block; its length in reading words (two Chinese characters a word), as a line of
        # Chinese prose has no spaces to count, but a long Chinese address ("中国科学技术大学网络空间安全学院，…") is not prose
        prose_line = words > 16 or reading_length(line.text) > 16 and not is_affiliation(line.text)
        if line.page != 0 or RUN_IN_ABSTRACT.match(line.text) or prose_line \
                or (kind_from_title(line.text) is not None and words <= 4):  # a section heading
            break
        named = _WITH_EMAIL.sub("", line.text).strip(" ,;")
        if author_lines and named != line.text and name_line(named) and not _ORGANISATION.search(named):
            author_lines.append(named)  # "Nikos Mavrogiannopoulos (nmav@gnu.org)" after other names
            end, pending = j + 1, None
            continue
        if is_affiliation(line.text):
            if pending is None and (author_lines or line.centered):  # set apart from the body
                end = j + 1
            else:
                pending = j + 1
            continue
        if numbering(line.text)[0]:
            break  # a numbered section starts: the front matter is over
        if name_line(line.text):
            author_lines.append(line.text)
            end, pending = j + 1, None
        elif ends_sentence(line.text):
            break
        elif words <= 6 and pending is None:
            end = j + 1  # a short line of the title block that names no one (a role, a group)
        elif not author_lines:
            pending = j + 1  # a subtitle, or the first lines of the body: which one, the next lines tell
        else:
            break
    authors = author_names(author_lines)
    if len(title) > 300 or len(title) < 4:
        title = meta_title or title
    return title.strip(), authors[:60], end
