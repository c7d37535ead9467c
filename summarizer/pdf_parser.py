"""Read a PDF paper into a ``Document`` with PyMuPDF, the way its authors structured it.

Stages, each a function: open (errors → our messages) → lines in reading order (two columns
handled, running headers/footers, page and line numbers dropped, captions set apart) → body style
statistics → heading candidates from every signal together (outline checked against the page
text, font size/weight relative to the body, numbering patterns, position) → levels → title,
authors, abstract → sections with kinds.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field

from .document import Block, Document, Section
from .errors import EncryptedPdfError, InputError, ScannedPdfError
from .kinds import assign_kinds, kind_from_title
from .language import detect_language
from .pdf.blocks import build_blocks, ends_sentence, join_text, measure, prose_text
from .pdf.front import author_names, is_affiliation, name_line

DEFAULT_MAX_PAGES = 600

_LIGATURES = str.maketrans({"ﬀ": "ff", "ﬁ": "fi", "ﬂ": "fl", "ﬃ": "ffi", "ﬄ": "ffl", "ﬅ": "st", "ﬆ": "st"})
_CAPTION = re.compile(r"^(fig\.?|figure|table|tab\.|algorithm|listing|图|表)\s*[\dA-Z IVX]+[.:：]?", re.I)
_NUMBERING = re.compile(
    r"^(?P<num>(?:appendix\s+)?(?:[A-Z]|\d{1,2})(?:\.\d{1,2})*\.?|[IVX]{1,5}\.|第[一二三四五六七八九十\d]+[章节部分]|[一二三四五六七八九十]+、|[（(][一二三四五六七八九十]+[)）])(?:\s+|(?=[\u4e00-\u9fff]))(?P<rest>\S.*)$"
)
_BOLD_FONT = re.compile(r"bold|black|heavy|semibold|demi|medi|\.B$|-B$|CMBX|CMSSBX", re.I)
_MONO_FONT = re.compile(r"mono|courier|cmtt|txtt|inconsolata|consola|menlo|monaco|sourcecode|firacode|lucidacons", re.I)
_MATH_FONT = re.compile(r"^(cmmi|cmsy|cmex|cmbsy|msbm|msam|eurm|eusm|rtxmi|rtxbmi|rntxmi|rntxbmi|txsys|txexs|txsy|ntxsy"
                        r"|ntxmi|stixmath|cambriamath|latinmodernmath|mathjax|symbol|lmmath|esint|wasy|rsfs)", re.I)
_ITALIC_FONT = re.compile(r"italic|ital|oblique|-It$|-BoldIt|CMTI|CMSL", re.I)
_CJK_END = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]$")
_CJK_START = re.compile(r"^[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")
_ONLY_NUMBER = re.compile(r"^[\s\divxlcIVXLC.\-–—()/|]*$")
_RUN_IN_ABSTRACT = re.compile(r"^\s*(abstract|摘\s*要)\s*[—–:：.\-]\s*", re.I)


@dataclass
class Line:
    """One text line with its dominant style and place."""

    text: str
    size: float
    bold: bool
    font: str
    x0: float
    y0: float
    x1: float
    y1: float
    page: int
    block: int
    first_in_block: bool = False
    last_in_block: bool = False
    style_break: bool = False  # the line's first span differs in style from the rest
    max_size: float = 0.0  # largest letter size on the line (small-caps headings)
    italic: bool = False
    lead: str = ""  # a bold/italic run-in lead ("1.1. Driving Factors.") followed by plain text
    page_width: float = 612.0
    mono: float = 0.0  # share of visible characters in a monospaced font (code)
    math: float = 0.0  # share of visible characters in a math font (display equations)

    @property
    def centered(self) -> bool:
        return abs((self.x0 + self.x1) / 2 - self.page_width / 2) < 12 and (self.x1 - self.x0) < self.page_width * 0.6

    @property
    def style(self) -> tuple[float, bool, bool]:
        return (round(self.size * 2) / 2, self.bold, self.italic)


@dataclass
class Heading:
    index: int  # index of its (first) line
    end: int  # index after its last line
    title: str
    level: int
    numbered: bool


@dataclass
class PageText:
    lines: list[Line] = field(default_factory=list)
    captions: list[Block] = field(default_factory=list)


def open_pdf(data: bytes, password: str = ""):
    """Open PDF bytes; translate every failure into a sentence a person understands."""
    from .pdf_engine import pymupdf as _load_pymupdf

    pymupdf = _load_pymupdf()

    if not data:
        raise InputError("The file is empty.")
    if not data.lstrip()[:1024].startswith(b"%PDF") and b"%PDF" not in data[:1024]:
        raise InputError("This file is not a PDF (it does not start with the PDF signature).")
    try:
        doc = pymupdf.open(stream=data, filetype="pdf")
    except Exception as exc:  # PyMuPDF raises FileDataError and friends
        raise InputError("This PDF is damaged and cannot be opened; try re-exporting or re-downloading it.") from exc
    if doc.needs_pass and not doc.authenticate(password or ""):
        raise EncryptedPdfError(
            "This PDF is protected by a password; remove the protection (or print it to a new PDF) and upload it again."
        )
    if doc.page_count == 0:
        raise InputError("This PDF has no pages.")
    return doc


def _repaired(doc) -> bool:
    return bool(getattr(doc, "is_repaired", False))


_SPACING_ACCENT = {"ˇ": "\u030c", "˜": "\u0303", "¨": "\u0308", "´": "\u0301", "ˆ": "\u0302", "˚": "\u030a"}
_ACCENT_BEFORE_LETTER = re.compile("([" + "".join(_SPACING_ACCENT) + "])([A-Za-z])")


def _accented(m: re.Match) -> str:
    """TeX fonts without composed glyphs put a spacing accent before its letter ("Hubiˇcka")."""
    return unicodedata.normalize("NFC", m.group(2) + _SPACING_ACCENT[m.group(1)])


def _clean(text: str) -> str:
    text = text.translate(_LIGATURES).replace("\u00ad", "").replace("\x00", "")
    if _ACCENT_BEFORE_LETTER.search(text):
        text = _ACCENT_BEFORE_LETTER.sub(_accented, text)
    return re.sub(r"\s+", " ", text).strip()


def _is_bold(span: dict) -> bool:
    return bool(span["flags"] & 16) or bool(_BOLD_FONT.search(span.get("font", "")))


def _rows(block: dict) -> list[list[dict]]:
    """Spans grouped into visual rows: PyMuPDF may report "1" and "Introduction" of one
    heading as two lines of the same block; they overlap vertically, so they are one row."""
    rows: list[list[dict]] = []
    last_box = None
    for raw in block.get("lines", []):
        d = raw.get("dir", (1, 0))
        if abs(d[1]) > 0.5:
            continue  # rotated text: margins, arXiv stamps
        spans = [s for s in raw["spans"] if s["text"]]
        if not spans:
            continue
        x0, y0, x1, y1 = raw["bbox"]
        overlap = 0.0
        if last_box:
            overlap = (min(y1, last_box[3]) - max(y0, last_box[1])) / max(1e-6, min(y1 - y0, last_box[3] - last_box[1]))
        if rows and last_box and overlap > 0.5 and x0 >= last_box[2] - 1:
            rows[-1].append({"text": " ", "size": spans[0]["size"], "flags": spans[0]["flags"], "font": spans[0]["font"]})
            rows[-1].extend(spans)
            last_box = (last_box[0], min(last_box[1], y0), x1, max(last_box[3], y1))
            rows[-1][0]["_bbox"] = last_box
        else:
            spans[0] = dict(spans[0], _bbox=(x0, y0, x1, y1))
            rows.append(spans)
            last_box = (x0, y0, x1, y1)
    return rows


def _styled(span: dict) -> tuple[bool, bool]:
    return _is_bold(span), bool(span["flags"] & 2 or _ITALIC_FONT.search(span.get("font", "")))


def _strip_line_numbers(spans: list[dict]) -> list[dict]:
    """Drop margin line numbers (review copies): a small number set apart at either end of a row."""
    visible = [sp for sp in spans if sp["text"].strip()]
    if len(visible) < 2:
        return spans

    def is_margin_number(num: dict, neighbour: dict, gap: float) -> bool:
        return bool(re.fullmatch(r"\d{1,4}", num["text"].strip())) and num["size"] < neighbour["size"] - 1 and gap > 6

    first, second, last, before_last = visible[0], visible[1], visible[-1], visible[-2]
    if "bbox" in first and "bbox" in second and is_margin_number(first, second, second["bbox"][0] - first["bbox"][2]):
        spans = [sp for sp in spans if sp is not first]
        if "_bbox" in first:
            x0, y0, x1, y1 = first["_bbox"]
            spans[0] = dict(spans[0], _bbox=(second["bbox"][0], y0, x1, y1))
    if "bbox" in last and "bbox" in before_last and last is not first and \
            is_margin_number(last, before_last, last["bbox"][0] - before_last["bbox"][2]):
        spans = [sp for sp in spans if sp is not last]
    return spans


def _block_lines(block: dict, page_no: int, block_no: int, page_width: float) -> list[Line]:
    out: list[Line] = []
    for spans in _rows(block):
        spans = _strip_line_numbers(spans)
        text = _clean("".join(s["text"] for s in spans))
        if not text:
            continue
        weights: Counter = Counter()
        fonts: Counter = Counter()
        bold_chars = italic_chars = chars = mono_chars = math_chars = 0
        max_size = 0.0
        for s in spans:
            n = len(s["text"].strip())
            font = s.get("font", "").split("+")[-1]
            mono_chars += n if _MONO_FONT.search(font) else 0
            math_chars += n if _MATH_FONT.match(font) else 0
            weights[round(s["size"], 1)] += n
            fonts[s.get("font", "")] += n
            chars += n
            bold, italic = _styled(s)
            bold_chars += n if bold else 0
            italic_chars += n if italic else 0
            if n and re.search(r"\w", s["text"]):
                max_size = max(max_size, s["size"])
        size = weights.most_common(1)[0][0] if weights else 0.0
        visible = [s for s in spans if s["text"].strip()]
        # a run-in lead: leading spans whose weight/slant differ from the rest of the line
        lead = ""
        if len(visible) > 1:
            # an optional plain number ("1.1."), then bold/italic spans, then plain text to the end
            a = 1 if not any(_styled(visible[0])) and re.fullmatch(r"[\dA-Z]+(\.\d+)*\.?", visible[0]["text"].strip()) else 0
            first = _styled(visible[a]) if a < len(visible) else (False, False)
            n = next((k for k in range(a, len(visible)) if _styled(visible[k]) != first), None)
            if n is not None and any(first) and all(_styled(sp) == _styled(visible[n]) for sp in visible[n:]) \
                    and not any(_styled(visible[n])):
                lead_parts = []
                for sp in spans:
                    if sp is visible[n]:
                        break
                    lead_parts.append(sp["text"])
                lead = _clean("".join(lead_parts))
        x0, y0, x1, y1 = spans[0]["_bbox"]
        line = Line(text, size, chars > 0 and bold_chars / chars >= 0.85, fonts.most_common(1)[0][0] if fonts else "",
                    x0, y0, x1, y1, page_no, block_no, style_break=bool(lead))
        line.max_size = max_size or size
        line.italic = chars > 0 and italic_chars / chars >= 0.85
        line.lead = lead
        line.page_width = page_width
        line.mono = mono_chars / chars if chars else 0.0
        line.math = math_chars / chars if chars else 0.0
        out.append(line)
    if out:
        out[0].first_in_block = True
        out[-1].last_in_block = True
    return out


def _reading_order(blocks: list[dict], width: float) -> list[dict]:
    """Order blocks for one or two columns: full-width blocks cut the page into bands,
    and inside a band the left column is read before the right."""
    mid = width / 2
    def column(b: dict) -> int:
        x0, _, x1, _ = b["bbox"]
        if x1 <= mid + width * 0.03:
            return 0
        if x0 >= mid - width * 0.03:
            return 1
        return -1  # spans both columns
    text_blocks = sorted(blocks, key=lambda b: (b["bbox"][1], b["bbox"][0]))
    lefts = [b["bbox"] for b in text_blocks if column(b) == 0]
    rights = [b["bbox"] for b in text_blocks if column(b) == 1]
    two_col = any(r[1] < a[3] and a[1] < r[3] for a in lefts for r in rights)  # side by side somewhere
    if not two_col:
        return text_blocks
    ordered: list[dict] = []
    band: list[dict] = []
    for b in text_blocks:
        if column(b) == -1 and (b["bbox"][2] - b["bbox"][0]) > width * 0.55:
            ordered.extend(sorted(band, key=lambda x: (column(x), x["bbox"][1])))
            band = []
            ordered.append(b)
        else:
            band.append(b)
    ordered.extend(sorted(band, key=lambda x: (max(column(x), 0), x["bbox"][1])))
    return ordered


def extract_pages(doc, max_pages: int) -> list[PageText]:
    """Lines of every page in reading order; captions set apart."""
    from .pdf_engine import pymupdf as _load_pymupdf

    pymupdf = _load_pymupdf()

    flags = pymupdf.TEXT_DEHYPHENATE | pymupdf.TEXT_MEDIABOX_CLIP
    pages: list[PageText] = []
    block_no = 0
    for page_no in range(min(doc.page_count, max_pages)):
        page = doc[page_no]
        try:
            data = page.get_text("dict", flags=flags)
        except Exception:
            pages.append(PageText())
            continue
        blocks = [b for b in data.get("blocks", []) if b.get("type") == 0]
        pt = PageText()
        for block in _reading_order(blocks, page.rect.width):
            lines = _block_lines(block, page_no, block_no, page.rect.width)
            block_no += 1
            if lines and _CAPTION.match(lines[0].text) and len(lines[0].text.split()) > 2:
                text = ""
                for line in lines:
                    text = join_text(text, line.text)
                pt.captions.append(Block("caption", text, page_no + 1))
                continue
            pt.lines.extend(lines)
        pages.append(pt)
    return pages


def _drop_running_lines(pages: list[PageText], heights: list[float]) -> None:
    """Remove running headers/footers (repeated at the page edges), page and line numbers."""
    def key(line: Line) -> str:
        return re.sub(r"\d+", "#", line.text.lower())
    edge_counts: Counter = Counter()
    for pt, h in zip(pages, heights):
        seen = set()
        for line in pt.lines:
            if line.y1 < h * 0.09 or line.y0 > h * 0.91:
                seen.add(key(line))
        edge_counts.update(seen)
    threshold = max(2, int(len(pages) * 0.3))
    for pt, h in zip(pages, heights):
        kept = []
        for line in pt.lines:
            at_edge = line.y1 < h * 0.09 or line.y0 > h * 0.91
            if _ONLY_NUMBER.match(line.text) and len(line.text) <= 8:
                continue  # page numbers, line numbers, stray roman numerals
            if at_edge and edge_counts[key(line)] >= threshold and len(pages) >= 3:
                continue
            kept.append(line)
        pt.lines = kept


def _body_style(lines: list[Line]) -> tuple[float, bool, bool]:
    weights: Counter = Counter()
    for line in lines:
        weights[line.style] += len(line.text)
    if not weights:
        return (10.0, False, False)
    return weights.most_common(1)[0][0]


def _numbering(text: str) -> tuple[str | None, str]:
    """(number, title) of a numbered heading; (None, text) when there is no number.

    A lone capital is a section letter only when a period follows it and it is A–H ("A. Setup"),
    or when it names an appendix ("Appendix C"); otherwise "A High-Level Interface" and
    "J. Smith" would be numbered.
    """
    m = _NUMBERING.match(text)
    if not m:
        return None, text
    raw = m.group("num")
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


def _looks_like_heading_text(text: str) -> bool:
    words = text.split()
    _, rest = _numbering(text)
    if not re.search(r"[A-Za-z]{3}|[\u4e00-\u9fff]{2}", rest) or len(text) > 140 or len(words) > 18:
        return False
    if _CAPTION.match(text) or re.match(r"^(proof|definition|theorem|lemma|corollary|remark|example|proposition|claim|note)\b", text, re.I):
        return False
    if re.search(r"[=<>{}\[\]|@]|https?://|\.com\b|\.edu\b|\.org\b", text):
        return False
    if text.endswith((",", ";", "，", "；", "-")) or re.match(r"^[\W\d_]", text) and not _NUMBERING.match(text):
        return False
    if not re.match(r"[A-Za-z\u4e00-\u9fff“\"'(]", rest) or rest[:1].islower():
        return False  # "3 of the validators ..." / "2 + 1, and ..." are prose under a fraction
    if re.search(r"[≡≤≥∑∫∈∉→←⊕⊗×±∀∃≈∼√∂∇]", text):
        return False  # an equation
    if re.search(r"[†‡§¶∗]|[A-Za-z] ?,\d{1,3}\b", text):
        return False  # an author name with its footnote marks or affiliation numbers
    if re.match(r"(keywords|key words|index terms|ccs concepts|acm reference format|关键词|关键字)\b", rest, re.I):
        return False  # metadata of the front matter, not a section
    cjk = len(re.findall(r"[\u4e00-\u9fff]", rest))
    if cjk and ("。" in rest or re.search(r"[，,；;]", rest) or cjk > 30):
        return False
    return True


def _family(font: str) -> str:
    """A font's family: "LMRoman12-Bold" and "LMRoman10-Regular" are both "lmroman"."""
    base = font.split("+")[-1].split("-")[0].split(",")[0]
    base = re.sub(r"\d+|(bold|italic|ital|oblique|medi|regular|regu|semibold|light|caps|mt|ps)$", "", base, flags=re.I)
    return base.lower()


def _prose_follows(lines: list[Line], j: int, body_size: float) -> bool:
    """True when body prose (or another heading) comes soon after a heading candidate."""
    for line in lines[j:j + 4]:
        words = len(line.text.split()) + len(re.findall(r"[\u4e00-\u9fff]", line.text)) // 2
        if abs(line.size - body_size) <= 1.6 and words >= 5:
            return True
        if _NUMBERING.match(line.text) and line.first_in_block:
            return True
    return j >= len(lines)


def _run_in_heading(line: Line) -> str | None:
    """The title of a numbered run-in heading set in bold or italic at the start of a line."""
    if not line.lead:
        return None
    num, rest = _numbering(line.lead)
    title = rest.strip().rstrip(".:—–- ").strip()
    if not num or not title or not _looks_like_heading_text(line.lead):
        return None
    if len(line.text) - len(line.lead) < 3:
        return None
    return line.lead.strip().rstrip(".:—–- ").strip()


def detect_headings(lines: list[Line], body: tuple[float, bool, bool]) -> list[Heading]:
    """Headings from font, weight, numbering and position, considered together.

    A line is a heading when it starts a block, reads like a title, and at least one of:
    it is set larger or bolder than the body (in a style that is not itself common); or it is
    numbered, stands alone in its block, and differs from body prose by capitals, italics, font
    family, a multi-level number ("2.1") or a title that names a section kind.
    """
    body_size, body_bold, body_italic = body
    family_weight: Counter = Counter()
    for line in lines:
        if line.style == body:
            family_weight[_family(line.font)] += len(line.text)
    body_family = family_weight.most_common(1)[0][0] if family_weight else ""
    candidates: list[Heading] = []
    style_counts: Counter = Counter(line.style for line in lines)
    total = len(lines) or 1
    i = 0
    while i < len(lines):
        line = lines[i]
        if not line.first_in_block:
            i += 1
            continue
        run_in = _run_in_heading(line)
        if run_in:
            # "1.1. Driving Factors. There are many goals ..." — the lead is the heading,
            # the rest of the line is the first line of its body
            line.text = line.text[len(line.lead):].strip()
            line.lead = ""
            candidates.append(Heading(i, i, run_in, 0, True))
            i += 1
            continue
        # a heading may wrap onto up to two more lines of the same style and block
        j = i + 1
        while j < len(lines) and j - i < 3 and lines[j].block == line.block and lines[j].style == line.style:
            j += 1
        text = " ".join(x.text for x in lines[i:j])
        if not _looks_like_heading_text(text):
            i += 1
            continue
        num, rest = _numbering(text)
        standalone = lines[j - 1].last_in_block or (j < len(lines) and lines[j].style != line.style
                                                    and lines[j].first_in_block)
        larger = line.size >= body_size + 0.9 or (line.max_size >= body_size + 1.5 and len(line.text) < 80)
        bolder = line.bold and not body_bold and line.size >= body_size - 0.6
        rare = style_counts[line.style] / total <= 0.25
        caps = rest.isupper() and len(re.sub(r"[^A-Z]", "", rest)) > 3
        italic = line.italic and not body_italic
        other_family = _family(line.font) != body_family and not line.font.lower().startswith(("cmmi", "cmsy", "cmex"))
        deep = bool(num) and bool(re.fullmatch(r"\d+(\.\d+)+", num))
        known = kind_from_title(text) is not None
        by_style = (larger or bolder) and rare
        by_number = bool(num) and standalone and (caps or italic or other_family or deep or known or line.centered) \
            and line.max_size >= body_size - 1.5
        by_name = known and standalone and len(text.split()) <= 4 and (caps or italic or other_family or line.bold)
        if not (by_style or by_number or by_name):
            i += 1
            continue
        if by_style and not (by_number or by_name or known) and not _prose_follows(lines, j, body_size):
            i = j  # large text inside a figure or a table, not a heading
            continue
        if by_style and not (by_number or by_name) and j < len(lines) and lines[j].block == line.block \
                and lines[j].style != line.style and not larger:
            i = j  # bold run-in lead ("Proof." / "Setup:") followed by body text in the same block
            continue
        if line.style_break and not larger:
            i = j
            continue
        if num or not text.endswith(".") or known:
            candidates.append(Heading(i, j, text, 0, bool(num)))
        i = j
    # A title that repeats on one page, or repeats with math in it, is a table header; papers do
    # repeat real subsection names ("Description", "Recommendations") in different sections.
    def key(h: Heading) -> str:
        return re.sub(r"\W|\d", "", h.title.lower())
    repeats = Counter(key(h) for h in candidates)
    per_page = Counter((key(h), lines[h.index].page) for h in candidates)
    return [h for h in candidates if repeats[key(h)] < 3 or not (
        any(per_page[(key(h), p)] > 1 for p in {lines[x.index].page for x in candidates if key(x) == key(h)})
        or re.search(r"[\u0370-\u03ff]", h.title))]


def assign_levels(headings: list[Heading], lines: list[Line]) -> None:
    """Levels from numbering depth; unnumbered headings take the level of numbered ones of the
    same style, else rank by font size. Consistent within the paper."""
    style_level: dict[tuple[float, bool, bool], Counter] = {}
    for h in headings:
        num, _ = _numbering(h.title)
        if num:
            h.level = _number_depth(num)
            style_level.setdefault(lines[h.index].style, Counter())[h.level] += 1
    sizes = sorted({lines[h.index].style for h in headings}, key=lambda s: (-s[0], not s[1]))
    rank = {s: i + 1 for i, s in enumerate(sizes)}
    for h in headings:
        if h.level:
            continue
        style = lines[h.index].style
        if style in style_level:
            h.level = style_level[style].most_common(1)[0][0]
        else:
            known = [(s, c.most_common(1)[0][0]) for s, c in style_level.items()]
            bigger = [lvl for s, lvl in known if s[0] > style[0] + 0.4 or (abs(s[0] - style[0]) <= 0.4 and s[1] and not style[1])]
            smaller = [lvl for s, lvl in known if s[0] < style[0] - 0.4]
            if bigger:
                h.level = max(bigger) + 1
            elif smaller:
                h.level = max(1, min(smaller) - 1)
            else:
                h.level = min(rank[style], 3)
    # numbering letters after roman sections are IEEE subsections ("I." then "A.")
    seen_roman = False
    for h in headings:
        num, _ = _numbering(h.title)
        if num and re.fullmatch(r"[IVX]+", num):
            seen_roman = True
        elif num and seen_roman and re.fullmatch(r"[A-H]", num):
            h.level = 2
    top = min((h.level for h in headings), default=1)
    prev = 0
    for h in headings:
        h.level = min(max(1, h.level - top + 1), prev + 1)
        prev = h.level


def _outline_headings(doc, lines: list[Line]) -> list[Heading]:
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
        target = norm(_clean(title))
        bare = norm(_numbering(_clean(title))[1])
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


_NOT_TITLE = re.compile(
    r"arxiv|preprint|draft|typeset|submitted|accepted|published|proceedings|conference|journal|workshop|vol\.|volume"
    r"|issn|doi|copyright|©|licen[cs]e|https?://|www\.|@|page \d|^\d+$", re.I)
_CODE_LIKE = re.compile(r"^(?=.*\d)[A-Z0-9/\-_.: ]+$")  # "APS/123-QED", "MRL-0006"
_NOT_A_NAME = re.compile(r"draft|abstract|research|\blab\b|version|版本|founder|limitation|©|\d{3,}", re.I)


def _merge_outline(outline: list[Heading], found: list[Heading]) -> list[Heading]:
    """The outline's headings (with its levels), plus headings it lacks that the page text shows.

    Outlines can be partial (entries whose titles are citation keys cannot be located) or stale;
    the text-based headings fill the gaps, at the level of the nearest outline heading with the
    same numbering depth or, failing that, their own.
    """
    by_index = {h.index: h for h in outline}
    merged = list(outline)
    for h in found:
        twin = by_index.get(h.index)
        if twin is not None:
            if h.end == h.index:  # run-in heading: keep the body that follows on the same line
                twin.end, twin.title = h.end, h.title
            continue
        if any(o.index <= h.index < max(o.end, o.index + 1) for o in outline):
            continue
        merged.append(h)
    merged.sort(key=lambda h: h.index)
    prev = 0
    for h in merged:
        h.level = max(1, min(h.level, prev + 1))
        prev = h.level
    return merged


def _title_and_authors(lines: list[Line], meta_title: str) -> tuple[str, list[str], int]:
    """Title: the largest (then boldest) line near the top of page 1, with the lines of the same
    style that continue it; authors: the short name lines under it. Returns where they end."""
    front: list[int] = []
    for i, line in enumerate(lines[:60]):
        if line.page != 0 or _RUN_IN_ABSTRACT.match(line.text) or kind_from_title(line.text) in ("abstract", "introduction"):
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
        heading_like = _numbering(line.text)[0] or (kind_from_title(line.text) and len(line.text.split()) <= 3)
        subtitle = line.size >= max(0.8 * top.size, 12.0) and line.size < top.size and not heading_like
        authors = re.search(r"[a-z]{2}\d+(,\d+)*\b|[†‡§¶∗]|@", line.text)
        return (same or subtitle) and line.bold == top.bold and not _NOT_TITLE.search(line.text) and not authors

    while k < len(lines) and lines[k].page == 0 and len(title_lines) < 4 and continues(lines[k]):
        title_lines.append(k)
        k += 1
    title = re.sub(r"[∗*†‡§¶⋆]+|\s\d$", "", " ".join(lines[i].text for i in title_lines)).strip()
    author_lines: list[str] = []
    end = k
    for j in range(k, min(k + 40, len(lines))):
        line = lines[j]
        if line.page != 0 or _RUN_IN_ABSTRACT.match(line.text) or kind_from_title(line.text) is not None \
                or len(line.text.split()) > 16:
            break
        if is_affiliation(line.text):
            end = j + 1
            continue
        if name_line(line.text):
            author_lines.append(line.text)
            end = j + 1
        elif len(line.text.split()) <= 6 and not ends_sentence(line.text):
            end = j + 1  # a short line of the title block that names no one (a role, a group)
        else:
            break
    authors = author_names(author_lines)
    if len(title) > 300 or len(title) < 4:
        title = meta_title or title
    return title.strip(), authors[:60], end


def _paragraphs(lines: list[Line], lang: str) -> str:
    """Join lines into paragraphs: blocks become paragraphs, lines inside them are joined."""
    out: list[str] = []
    current = ""
    for line in lines:
        if line.first_in_block and current:
            out.append(current)
            current = ""
        text = line.text
        if not current:
            current = text
        elif current.endswith("-") and text[:1].islower():
            current = current[:-1] + text  # a hyphen left at a line end
        elif _CJK_END.search(current) and _CJK_START.match(text):
            current += text  # Chinese lines join without a space
        else:
            current += " " + text
    if current:
        out.append(current)
    return "\n\n".join(p for p in out if p.strip())


def parse_pdf(data: bytes, source: str = "document.pdf", max_pages: int = DEFAULT_MAX_PAGES,
              use_outline: bool = True) -> Document:
    """Parse PDF bytes into a ``Document``."""
    doc = open_pdf(data)
    notices: list[str] = []
    try:
        page_count = doc.page_count
        if page_count > max_pages:
            notices.append(f"Only the first {max_pages} of {page_count} pages were read (the page limit, "
                           "which you can raise in Settings).")
        if _repaired(doc):
            notices.append("This PDF was damaged and has been repaired; some text may be missing.")
        pages = extract_pages(doc, max_pages)
        heights = [doc[i].rect.height for i in range(len(pages))]
        _drop_running_lines(pages, heights)
        lines = [line for pt in pages for line in pt.lines]
        captions = [c for pt in pages for c in pt.captions]
        chars = sum(len(line.text) for line in lines)
        if chars < 40 * min(page_count, max_pages) * 0.25 and chars < 200:
            has_images = any(doc[i].get_images() for i in range(min(len(pages), 5)))
            if chars == 0 and not has_images and getattr(doc, "is_repaired", False):
                raise InputError("This PDF is damaged (truncated or corrupted) and no text could be read from it.")
            if has_images or chars == 0:
                raise ScannedPdfError(
                    "This PDF has no text layer (it looks scanned); choose the Nougat parser, or run OCR on it first."
                )
        if not lines:
            raise InputError("No text could be read from this PDF.")
        outline = _outline_headings(doc, lines) if use_outline else []
        headings = detect_headings(lines, _body_style(lines))
        assign_levels(headings, lines)
        if outline:
            headings = _merge_outline(outline, headings)
        meta_title = (doc.metadata or {}).get("title") or ""
    finally:
        doc.close()
    return build_document(lines, headings, captions, source, meta_title, page_count, notices)


def _section(title: str, blocks: list[Block], level: int, kind: str, page: int | None = None) -> Section:
    """A section whose ``text`` is exactly its prose paragraphs, with its pages from its blocks."""
    pages = [b.page for b in blocks if b.page] + [b.page_end for b in blocks if b.page_end]
    start = page or (min(pages) if pages else None)
    end = max(pages + ([start] if start else [])) if pages or start else None
    return Section(title, prose_text(blocks), level, kind, start, end, blocks=list(blocks))


def _strip_run_in(blocks: list[Block], pattern: re.Pattern) -> tuple[list[Block], list[Block]] | None:
    """Split blocks at the first prose paragraph starting with a run-in label ("Abstract—"):
    (before, from the label on, label removed); None when there is no such paragraph."""
    for n, b in enumerate(blocks):
        m = pattern.match(b.text) if b.prose else None
        if m:
            rest = b.text[m.end():].strip()
            after = ([Block(b.kind, rest, b.page, b.page_end)] if rest else []) + blocks[n + 1:]
            return blocks[:n], after
    return None


def build_document(lines: list[Line], headings: list[Heading], captions: list[Block], source: str,
                   meta_title: str, page_count: int, notices: list[str]) -> Document:
    """Cut the lines at the headings into sections of typed blocks; find title, authors and abstract."""
    lang = detect_language(" ".join(line.text for line in lines[:400]))
    title, authors, front_end = _title_and_authors(lines, meta_title)
    # headings inside the title block are the title, not sections
    headings = [h for h in headings if h.index >= front_end or kind_from_title(h.title) == "abstract"]
    first_heading = headings[0].index if headings else len(lines)
    body_size = _body_style(lines)[0]
    geo = measure(lines, body_size)

    def blocks_of(part: list[Line]) -> list[Block]:
        return build_blocks(part, geo, body_size)

    sections: list[Section] = []
    preamble = lines[front_end:first_heading]
    abstract = ""
    explicit_abstract = any(kind_from_title(h.title) == "abstract" for h in headings)
    if preamble and explicit_abstract:
        blocks = blocks_of(preamble)
        if len(prose_text(blocks).split()) > 12:
            sections.append(_section("Front matter", blocks, 1, "other"))
    elif preamble:
        blocks = blocks_of(preamble)
        text = prose_text(blocks)
        cut = _strip_run_in(blocks, _RUN_IN_ABSTRACT)
        if cut:
            before, after = cut
            after_text = prose_text(after)
            # IEEE: "Abstract—..." then "Index Terms—..."
            abstract = re.split(r"\n\n(?=(index terms|keywords|key words|关键词)\s*[—–:：-])", after_text, flags=re.I)[0]
            if prose_text(before):
                sections.append(_section("Front matter", before, 1, "other"))
            sections.append(_section("Abstract", after, 1, "abstract"))
        elif not headings:
            prose = [b for b in blocks if b.prose]
            first_words = len(prose[0].text.split()) if prose else 0
            if len(prose) > 1 and 30 <= first_words <= 400:
                abstract = prose[0].text
                sections.append(_section("Abstract", [prose[0]], 1, "abstract"))
                blocks = [b for b in blocks if b is not prose[0]]
            sections.append(_section("Body", blocks, 1, "body"))
        elif len(text.split()) >= 30 or (lang == "zh" and len(text) >= 80):
            abstract = text if preamble[0].page == 0 else ""
            kind = "abstract" if abstract else "other"
            sections.append(_section("Abstract" if abstract else "Front matter", blocks, 1, kind))
        elif len(text.split()) > 12:  # a few words are the author block, already read
            sections.append(_section("Front matter", blocks, 1, "other"))

    for h in headings:
        if kind_from_title(h.title) == "abstract":
            h.level = 1
    titles = [h.title for h in headings]
    kinds = assign_kinds(titles, [h.level for h in headings])
    for n, h in enumerate(headings):
        end = headings[n + 1].index if n + 1 < len(headings) else len(lines)
        body_lines = lines[h.end:end]
        if kinds[n] == "abstract":
            body_lines = _drop_author_lines(body_lines)
        blocks = blocks_of(body_lines)
        if kinds[n] == "abstract":
            cut = _strip_run_in(blocks, _RUN_IN_ABSTRACT)
            if cut and not prose_text(cut[0]):
                blocks = cut[0] + cut[1]
        section = _section(h.title, blocks, h.level, kinds[n], lines[h.index].page + 1)
        sections.append(section)
        if kinds[n] == "abstract" and not abstract:
            abstract = section.text

    if not headings and sections:
        sections = _split_headingless(sections, lang)
    if captions:
        sections.append(_section("Figure and table captions", captions, 1, "caption"))
        sections[-1].text = "\n\n".join(b.text for b in captions)
    if not any(s.text.strip() for s in sections):
        raise InputError("No readable text was found in this PDF.")
    return Document(title=title or source, source=source, sections=sections, authors=authors,
                    abstract=abstract, language=lang, genre="paper", page_count=page_count, notices=notices)


_AFFILIATION = re.compile(r"@|universit|institut|department|laborator|college|school|centre|center|[†‡§¶∗]|\d{4,}"
                          r"|大学|研究所|学院", re.I)


def _drop_author_lines(lines: list[Line]) -> list[Line]:
    """Author and affiliation lines that the reading order put under an abstract heading."""
    k = 0
    while k < len(lines) and len(lines[k].text.split()) < 9 and (_AFFILIATION.search(lines[k].text) or
                                                                  lines[k].bold or len(lines[k].text.split()) <= 4):
        k += 1
    return lines[k:] if k < len(lines) else lines


def _split_headingless(sections: list[Section], lang: str) -> list[Section]:
    """A paper without headings (a letter): keep the abstract, cut the body into parts."""
    from .text_parser import _chunk_paragraphs

    out = [s for s in sections if s.kind == "abstract"]
    blocks = [b for s in sections if s.kind != "abstract" for b in s.blocks]
    prose = [b for b in blocks if b.prose]
    if out and not prose:
        return sections
    refs = next((i for i, b in enumerate(prose) if re.match(r"^\s*\[?1[\].]\s+\S", b.text) and i > len(prose) * 0.6), None)
    tail = blocks[blocks.index(prose[refs]):] if refs is not None else []
    body = blocks[:len(blocks) - len(tail)]
    chunks = _chunk_paragraphs([b.text for b in body if b.prose], lang)
    parts: list[list[Block]] = [[] for _ in chunks]
    n = seen = 0
    for b in body:  # every block goes with the prose around it, in order
        if b.prose:
            if n < len(chunks) - 1 and seen >= len(chunks[n]):
                n, seen = n + 1, 0
            seen += 1
        if parts:
            parts[n].append(b)
    for k, part in enumerate(parts, 1):
        out.append(_section(f"Part {k}", part, 1, "body"))
    if tail:
        out.append(_section("References", tail, 1, "references"))
    return out
