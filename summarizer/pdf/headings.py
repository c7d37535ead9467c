"""Headings from every signal together (font size and weight relative to the body, numbering,
position, the PDF outline checked against the page text), and their levels (steps 4–6)."""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections import Counter
from dataclasses import dataclass, replace

from summarizer.pdf.config import DEFAULT_HEADINGS, HeadingSettings
from summarizer.pdf.extract import CAPTION, Line, clean_text
from summarizer.pdf.outline import number_key, number_parts
from summarizer.text.kinds import kind_from_title
from summarizer.text.language import han_count, reading_length

_NUMBERING = re.compile(
    r"^(?P<num>(?:(?i:appendix)\s+)?(?:[A-Z]|\d{1,2})(?:\x20?\.\x20?\d{1,2})*\.?|[IVX]{1,5}\.|第\s*[一二三四五六七八九十\d]+\s*[章节部分]|[一二三四五六七八九十]+、|[（(][一二三四五六七八九十]+[)）])(?:\s+|(?=[\u4e00-\u9fff]))(?P<rest>\S.*)$"
)

@dataclass
class Heading:
    index: int  # index of its (first) line
    end: int  # index after its last line
    title: str
    level: int
    numbered: bool

def body_style(lines: list[Line]) -> tuple[float, bool, bool]:
    weights: Counter = Counter()
    for line in lines:
        weights[line.style] += len(line.text)
    if not weights:
        return (10.0, False, False)
    return weights.most_common(1)[0][0]

def numbering(text: str) -> tuple[str | None, str]:
    """(number, title) of a numbered heading; (None, text) when there is no number.

    A lone capital is a section letter only when a period follows it and it is A–H ("A. Setup"),
    or when it names an appendix ("Appendix C"); otherwise "A High-Level Interface" and
    "J. Smith" would be numbered.
    """
    m = _NUMBERING.match(text)
    if not m:
        return None, text
    raw = re.sub(r"(?<=\d) ?\. ?(?=\d)", ".", m.group("num"))  # "1 . 1" (ctex's spaced numbers) is "1.1"
    if re.fullmatch(r"[A-Z]\.?", raw) and not re.fullmatch(r"[A-H]\.", raw):
        return None, text
    return raw.rstrip("."), m.group("rest").strip()

def _number_depth(num: str) -> int:
    num = re.sub(r"^appendix\s+", "", num, flags=re.I)
    if re.match(r"^[一二三四五六七八九十]+、$|^第", num):
        return 1
    if num.startswith(("（", "(")):
        return 2
    return num.count(".") + 1

#: A dot leader (four or more dots, middle dots or ellipses) and a page number at the end: a contents line.
_TOC_ENTRY = re.compile(r"(?:[.·•ꞏ∙⋅…‧_]\s*){4,}\s*\d{1,4}\s*$")
#: "Surname, X." or "Surname, X.-Y." as a reference list writes its authors.
_CITED_AUTHOR = re.compile(r"\b[A-Z][a-zà-öø-ÿ'’\-]+,\s+(?:[A-Z]\.\s*-?){1,3}(?:[,;:]|\s[A-Z(])")


#: Alpha-style citation keys in brackets ("[KZG10]", "[GRWZ20, LY10]"), as a heading may close with them.
CITATION_KEYS = r"\[[A-Za-z][\w+\-]*\d{2,4}[a-z]?(?:\s*[,;]\s*[A-Za-z][\w+\-]*\d{2,4}[a-z]?)*\]"
_CITED = re.compile(rf"\s*{CITATION_KEYS}$")


#: The front matter's metadata lines, which open with their name: keywords, index terms, CCS concepts.
_METADATA = re.compile(r"(keywords|key words|index terms|ccs concepts|acm reference format|关键词|关键字)\b", re.I)


def _continues_metadata(previous: Line, line: Line) -> bool:
    """True when ``line`` goes on with the metadata line just above it, in the same type and set tight under it: the
    rest of a keyword list ("关键字：红外干涉法" over "修正算法 厚度反演公式 …"), not a heading."""
    height = max(1.0, previous.y1 - previous.y0)
    return previous.page == line.page and previous.style == line.style and _family(previous.font) == _family(line.font) \
        and -1.0 <= line.y0 - previous.y1 <= height and bool(_METADATA.match(previous.text.strip()))


def _looks_like_heading_text(text: str) -> bool:
    text = _CITED.sub("", text)
    words = text.split()
    num, rest = numbering(text)
    # a title has a word in it; a numbered one may be a research question's or hypothesis's code ("4.1 RQ1")
    code = bool(num) and re.fullmatch(r"[A-Z]{2,4}\d{1,2}[a-z]?", rest.strip()) is not None
    if not (re.search(r"[A-Za-z]{3}|[\u4e00-\u9fff]{2}", rest) or code) or len(text) > 140 or len(words) > 18:
        return False
    if CAPTION.match(text) or re.match(r"^(proof|definition|theorem|lemma|corollary|remark|example|proposition|claim|note)\b", text, re.I):
        return False
    if re.search(r"[=<>{}\[\]|@]|https?://|\.com\b|\.edu\b|\.org\b", text):
        return False
    if text.endswith((",", ";", "，", "；", "-")) or re.match(r"^[\W\d_]", text) and not _NUMBERING.match(text):
        return False
    bracketed = re.sub(r"^(?:[A-Za-z]|\d{1,2}|[ivxlcIVXLC]{1,5})\)\s*", "", rest)  # "A) Data", "2) Results": a label
    if bracketed.count("(") != bracketed.count(")") or bracketed.count("（") != bracketed.count("）"):
        return False  # a piece of a longer line: "element_name)" ends a function's signature set large; a title's
        # brackets close within it
    first = rest.split()[0] if rest.split() else ""
    if not re.match(r"[A-Za-z\u4e00-\u9fff“\"'(]|\d+[A-Za-z]", rest) or first[:1].islower() and first.islower() \
            and not re.search(r"\w[._]\w", first):
        return False  # "3 of the validators ..." / "2 + 1, and ..." are prose under a fraction; "3.1 aSVC API" and
        # "1.1 apps.py" (a name, a file) are not
    if re.search(r"[≡≤≥∑∫∈∉→←⊕⊗×±∀∃≈∼√∂∇]", text):
        return False  # an equation
    if re.search(r"[†‡§¶∗]|[A-Za-z] ?,\d{1,3}\b", text):
        return False  # an author name with its footnote marks or affiliation numbers
    if _METADATA.match(rest):
        return False  # metadata of the front matter, not a section
    if _TOC_ENTRY.search(text):
        return False  # a line of the table of contents: its title, a dot leader and its page
    if _CITED_AUTHOR.search(rest):
        return False  # an entry of a numbered reference list ("21. Wood, S. Generalized Additive Models …")
    cjk = han_count(rest)
    if cjk and ("。" in rest or re.search(r"[，,；;]", rest) or cjk > 30):
        return False
    return True

def _family(font: str) -> str:
    """A font's family: "LMRoman12-Bold" and "LMRoman10-Regular" are both "lmroman"."""
    base = font.split("+")[-1].split("-")[0].split(",")[0]
    base = re.sub(r"\d+|(bold|italic|ital|oblique|medi|regular|regu|semibold|light|caps|mt|ps)$", "", base, flags=re.I)
    return base.lower()

def _short_of(line: Line, paragraph: list[Line]) -> bool:
    """True when ``line`` ends well before the right edge of the paragraph below it (a heading is shorter than a
    line of prose; an italic sentence opening the paragraph runs to the edge)."""
    right = max((x.x1 for x in paragraph if x.block == line.block), default=line.x1)
    return right - line.x1 >= 0.15 * max(1.0, right - line.x0)


def _prose_follows(lines: list[Line], j: int, body_size: float, cfg: HeadingSettings = DEFAULT_HEADINGS) -> bool:
    """True when body prose (or another heading) comes soon after a heading candidate."""
    for line in lines[j:j + cfg.prose_window]:
        words = reading_length(line.text)
        if abs(line.size - body_size) <= cfg.prose_size and words >= cfg.prose_words:
            return True
        if _NUMBERING.match(line.text) and line.first_in_block:
            return True
    return j >= len(lines)

def _run_in_heading(line: Line) -> str | None:
    """The title of a numbered run-in heading set in bold or italic at the start of a line."""
    if not line.lead:
        return None
    num, rest = numbering(line.lead)
    title = rest.strip().rstrip(".:—–- ").strip()
    if not num or not title or not _looks_like_heading_text(line.lead):
        return None
    if len(line.text) - len(line.lead) < 3:
        return None
    return line.lead.strip().rstrip(".:—–- ").strip()

def detect_headings(lines: list[Line], body: tuple[float, bool, bool],
                    cfg: HeadingSettings = DEFAULT_HEADINGS) -> tuple[list[Heading], list[Line]]:
    """Headings from font, weight, numbering and position, considered together.

    A line is a heading when it starts a block, reads like a title, is not a code line (typewriter
    type no larger or bolder than the body, unless the body is typewritten), and at least one of:
    it is set larger or bolder than the body (in a style that is not itself common); or it is
    numbered, stands alone in its block, and differs from body prose by capitals, italics, font
    family, a multi-level number ("2.1") or a title that names a section kind.
    """
    body_size, body_bold, body_italic = body
    lines = list(lines)  # run-in headings replace their line by the body text that follows them
    family_weight: Counter = Counter()
    for line in lines:
        if line.style == body:
            family_weight[_family(line.font)] += len(line.text)
    body_family = family_weight.most_common(1)[0][0] if family_weight else ""
    body_lines = [line for line in lines if line.style == body]
    typewritten = bool(body_lines) and sum(line.mono for line in body_lines) / len(body_lines) >= 0.5
    candidates: list[Heading] = []
    style_counts: Counter = Counter(line.style for line in lines)
    total = len(lines) or 1
    split_at: set[int] = set()  # lines that start a heading inside a block (a numbered line under a numbered heading)
    i = 0
    while i < len(lines):
        line = lines[i]
        if not line.first_in_block and i not in split_at:
            i += 1
            continue
        if line.mono >= 0.5 and not typewritten and line.size < body_size + cfg.larger and not (line.bold and not body_bold):
            i += 1  # a code line ("4 CARD32 FIRST_MATCHLET_OFFSET"): typewriter type no larger or bolder than the body
            continue
        run_in = _run_in_heading(line)
        if run_in:
            # "1.1. Driving Factors. There are many goals ..." — the lead is the heading,
            # the rest of the line is the first line of its body
            prose = line.prose[len(line.lead):].strip() if line.prose.startswith(line.lead) else ""
            lines[i] = replace(line, text=line.text[len(line.lead):].strip(), lead="", prose=prose)
            candidates.append(Heading(i, i, run_in, 0, True))
            i += 1
            continue
        # a heading may wrap onto up to two more lines of the same style and block; a numbered line under a
        # numbered one is the next heading ("2 RELATED WORK" over "2.1 Sentiment Analysis"), not its wrap
        j = i + 1
        numbered = numbering(line.text)[0] is not None
        family = _family(line.font)
        while j < len(lines) and j - i < cfg.max_lines and lines[j].block == line.block and lines[j].style == line.style \
                and _family(lines[j].font) == family and not (numbered and numbering(lines[j].text)[0] is not None):
            j += 1
        if numbered and j < len(lines) and lines[j].block == line.block and lines[j].style == line.style \
                and j - i < cfg.max_lines:
            split_at.add(j)  # the next heading starts inside this block
        text = " ".join(x.text for x in lines[i:j])
        if not _looks_like_heading_text(text) or not numbered and i > 0 and _continues_metadata(lines[i - 1], line):
            i += 1
            continue
        num, rest = numbering(text)
        standalone = lines[j - 1].last_in_block or (j < len(lines) and lines[j].style != line.style
                                                    and lines[j].first_in_block)
        larger = line.size >= body_size + cfg.larger or (line.max_size >= body_size + cfg.larger_letters
                                                        and len(line.text) < cfg.short_line)
        bolder = line.bold and not body_bold and line.size >= body_size - cfg.bold_smaller
        rare = style_counts[line.style] / total <= cfg.rare_share
        caps = rest.isupper() and len(re.sub(r"[^A-Z]", "", rest)) > 3
        italic = line.italic and not body_italic
        other_family = _family(line.font) != body_family and not line.font.lower().startswith(("cmmi", "cmsy", "cmex"))
        deep = bool(num) and bool(re.fullmatch(r"\d+(\.\d+)+", num))
        known = kind_from_title(text) is not None
        by_style = (larger or bolder) and rare
        by_number = bool(num) and standalone and (caps or italic or other_family or deep or known or line.centered) \
            and line.max_size >= body_size - cfg.numbered_smaller
        # a section's own name in bold set tight above its paragraph, in the back matter's small print too
        # ("Competing interests", "Acknowledgements" at 7 pt in BMC's template)
        tight_bold = line.bold and j < len(lines) and lines[j].block == line.block and not lines[j].bold \
            and abs(lines[j].size - line.size) < 0.5 and not re.search(r"[.:：。]$", text)
        by_name = known and (standalone or tight_bold) and len(text.split()) <= cfg.named_words \
            and (caps or italic or other_family or line.bold)
        # set tight above its paragraph in a family the body does not use, at the body's size (a sans-serif
        # subheading over serif prose, GigaScience's and BMC's templates): the family change is the heading's mark
        by_family = other_family and not num and j < len(lines) and lines[j].block == line.block \
            and lines[j].style == body and _family(lines[j].font) == body_family and line.size >= body_size - cfg.bold_smaller \
            and not re.search(r"[.:：。]$", text) and _short_of(line, lines[j:j + cfg.max_lines])
        if not (by_style or by_number or by_name or by_family):
            i += 1
            continue
        if by_style and not (by_number or by_name or known) and not _prose_follows(lines, j, body_size, cfg):
            i = j  # large text inside a figure or a table, not a heading
            continue
        if by_style and not (by_number or by_name) and j < len(lines) and lines[j].block == line.block \
                and lines[j].style != line.style and not larger and re.search(r"[.:：。]$", text):
            i = j  # bold run-in lead ("Proof." / "Setup:") followed by body text in the same block; a bold line
            continue  # without the lead's stop ("Study population") is a heading set tight above its paragraph
        if line.style_break and not larger:
            i = j
            continue
        if num or not text.endswith(".") or known:
            candidates.append(Heading(i, j, text, 0, bool(num)))
        i = j
    # A title that repeats on one page, or repeats with math in it, is a table header; papers do
    # repeat real subsection names ("Description", "Recommendations") in different sections.
    # Each key is computed once and grouped in one pass (a rescan per candidate was quadratic).
    # A numbered title keeps its number: "3.2 Recommendations" and "4.2 Recommendations" are two sections that
    # repeat a name, which a table header cannot carry.
    keys = [(numbering(h.title)[0] or "") + re.sub(r"\W|\d", "", h.title.lower()) for h in candidates]
    repeats = Counter(keys)
    per_page = Counter((k, lines[h.index].page) for k, h in zip(keys, candidates))
    twice_on_a_page = {k for (k, _), n in per_page.items() if n > 1}
    kept = [h for k, h in zip(keys, candidates)
            if repeats[k] < cfg.repeats or not (k in twice_on_a_page or re.search(r"[\u0370-\u03ff]", h.title))]
    return kept, lines

def assign_levels(headings: list[Heading], lines: list[Line]) -> list[Heading]:
    """Headings with levels from numbering depth; unnumbered headings take the level of numbered
    ones of the same style, else rank by font size. Consistent within the paper."""
    headings = [replace(h) for h in headings]  # copies: the detection step's headings stay as they were
    style_level: dict[tuple[float, bool, bool], Counter] = {}
    shape_level: dict[tuple, Counter] = {}  # the style and whether the title is in capitals ("1 INTRODUCTION")

    def shape(h: Heading) -> tuple:
        rest = numbering(h.title)[1]
        return lines[h.index].style, rest.isupper()

    for h in headings:
        num, _ = numbering(h.title)
        if num:
            h.level = _number_depth(num)
            style_level.setdefault(lines[h.index].style, Counter())[h.level] += 1
            shape_level.setdefault(shape(h), Counter())[h.level] += 1
    # the styles rank the way the body's headings use them: the abstract's heading, often in a style of its own, takes
    # no rank (it is a top-level part whatever its size), or every subsection below it would rank one deeper
    ranked = {lines[h.index].style for h in headings if kind_from_title(h.title) != "abstract"}
    sizes = sorted(ranked, key=lambda s: (-s[0], not s[1]))
    rank = {s: i + 1 for i, s in enumerate(sizes)}
    for h in headings:
        if h.level:
            continue
        style = lines[h.index].style
        if len(shape_level.get(shape(h), ())) == 1:
            h.level = next(iter(shape_level[shape(h)]))
        elif style in style_level:
            # numbered headings of several levels share the style: an unnumbered one ("References",
            # "Acknowledgments", "Appendix") is a top-level part
            h.level = min(style_level[style])
        else:
            known = [(s, c.most_common(1)[0][0]) for s, c in style_level.items()]
            bigger = [lvl for s, lvl in known if s[0] > style[0] + 0.4 or (abs(s[0] - style[0]) <= 0.4 and s[1] and not style[1])]
            smaller = [lvl for s, lvl in known if s[0] < style[0] - 0.4]
            if bigger:
                h.level = max(bigger) + 1
            elif smaller:
                h.level = max(1, min(smaller) - 1)
            else:
                # not capped yet: a title read as a heading takes the first rank (sections.py)
                h.level = rank.get(style, 1)
    # numbering letters after roman sections are IEEE subsections ("I." then "A."); after an arabic section
    # ("3. Results" then "A. Efficiency"), letters set smaller than it are its subsections (PNAS), while letters
    # in its own size are appendices ("A. Details of the Implementation")
    seen_roman, section = False, None
    for h in headings:
        num, _ = numbering(h.title)
        if num and re.fullmatch(r"[IVX]+", num):
            seen_roman = True
        elif num and seen_roman and re.fullmatch(r"[A-H]", num):
            h.level = 2
        elif num and re.fullmatch(r"\d+", num):
            section = h
        elif num and section is not None and re.fullmatch(r"[A-H]", num) \
                and lines[h.index].size < lines[section.index].size - 0.4:
            h.level = section.level + 1
    top = min((h.level for h in headings), default=1)
    prev = 0
    for h in headings:
        h.level = min(max(1, h.level - top + 1), prev + 1)
        prev = h.level
    return headings

def outline_headings(doc, lines: list[Line]) -> list[Heading]:
    """Headings from the PDF outline, each located in the page text; stale entries dropped."""
    try:
        toc = doc.get_toc(simple=True)
    except Exception:
        return []
    if len(toc) < 2:
        return []
    by_page: dict[int, list[int]] = {}
    for i, line in enumerate(lines):
        by_page.setdefault(line.page, []).append(i)

    def norm(s: str) -> str:
        return re.sub(r"[^0-9a-z\u4e00-\u9fff]", "", s.lower())

    found: list[Heading] = []
    last = -1
    for level, title, page in toc:
        target = norm(clean_text(title))
        bare = norm(numbering(clean_text(title))[1])
        if not target:
            continue
        hit = None
        for p in (page - 1, page - 2, page):
            for i in by_page.get(p, []):
                if i <= last or not lines[i].first_in_block and not norm(lines[i].text).startswith(bare):
                    continue
                text = norm(lines[i].text)
                joined = norm(lines[i].text + " " + lines[i + 1].text) if i + 1 < len(lines) else text
                if text and (text in (target, bare) or text.endswith(bare) and len(text) - len(bare) <= 6
                             or (len(target) > 12 and joined.startswith(bare) and len(joined) <= len(target) + 40)):
                    hit = i
                    break
            if hit is not None:
                break
        if hit is None:
            continue
        end = hit + 1
        while end < len(lines) and lines[end].block == lines[hit].block and end - hit < 3 and \
                norm(" ".join(x.text for x in lines[hit:end])) != target and norm(lines[end].text) in target:
            end += 1
        found.append(Heading(hit, end, " ".join(x.text for x in lines[hit:end]), level, True))
        last = hit
    if len(found) < max(2, 0.6 * len(toc)):
        return []
    top = min(h.level for h in found)
    for h in found:
        h.level = h.level - top + 1
    return found

def _fits_outline(heading: Heading, numbered: list[tuple[int, tuple[int, ...]]]) -> bool:
    """True unless ``heading``'s number falls outside the outline's numbering around it: a "4" found
    between the outline's "2.9" and "2.10" is a code line or a table row, not a missing section.
    ``numbered`` is the outline's (index, number key) pairs in document order."""
    parts = number_parts(numbering(heading.title)[0])
    if not parts or not all(p.isdigit() for p in parts):
        return True  # letters restart under every section ("II.A" … "III.A"): no order to check
    key = number_key(parts)
    at = bisect_left(numbered, heading.index, key=lambda pair: pair[0])
    after = bisect_right(numbered, heading.index, key=lambda pair: pair[0])
    return (at == 0 or numbered[at - 1][1] < key) and (after == len(numbered) or key < numbered[after][1])


def merge_outline(outline: list[Heading], found: list[Heading]) -> list[Heading]:
    """The outline's headings (with its levels), plus headings it lacks that the page text shows.

    Outlines can be partial (entries whose titles are citation keys cannot be located) or stale;
    the text-based headings fill the gaps, at the level of the nearest outline heading with the
    same numbering depth or, failing that, their own.
    """
    outline = [replace(h) for h in outline]  # copies: the outline step's headings stay as they were
    by_index = {h.index: h for h in outline}
    covered = {i for o in outline for i in range(o.index, max(o.end, o.index + 1))}
    numbered = sorted((o.index, number_key(p)) for o in outline for p in (number_parts(numbering(o.title)[0]),)
                      if p and all(x.isdigit() for x in p))
    merged = list(outline)
    for h in found:
        twin = by_index.get(h.index)
        if twin is not None:
            if h.end == h.index:  # run-in heading: keep the body that follows on the same line
                twin.end, twin.title = h.end, h.title
            continue
        if h.index in covered or not _fits_outline(h, numbered):
            continue
        merged.append(replace(h))
    merged.sort(key=lambda h: h.index)
    prev = 0
    for h in merged:
        h.level = max(1, min(h.level, prev + 1))
        prev = h.level
    return merged
