"""Open a PDF and read its lines in reading order, each with its style and place (step 1).

Two columns are handled, margin line numbers dropped, ligatures and TeX spacing accents
repaired, and captions set apart as caption blocks."""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache

from summarizer.model.document import Block
from summarizer.model.errors import EncryptedPdfError, InputError
from summarizer.pdf.blocks import join_text

_LIGATURES = str.maketrans({"ﬀ": "ff", "ﬁ": "fi", "ﬂ": "fl", "ﬃ": "ffi", "ﬄ": "ffl", "ﬅ": "st", "ﬆ": "st"})

#: A caption's opening: the float's word and number ("Figure 2.1:", "Fig. SI 3.", "TABLE IV", "表 1"), then a
#: delimiter, the line's end, or a capitalised word; "Figure 5 shows …" opens a paragraph of prose, not a caption.
CAPTION = re.compile(r"^(?:fig\.?|figure|table|tab\.|algorithm|listing|图|表)\s*"
                     r"(?:[0-9]+(?:\.[0-9]+)*[A-Za-z]?|S?I?\s?[0-9]+|[IVXLC]+|[A-Z])"
                     r"(?:\s*[.:：|]|\s*$|\s+(?-i:(?=[A-Z(\[“\"]))|\s*(?=[\u4e00-\u9fff]))", re.I)

_BOLD_FONT = re.compile(r"bold|black|heavy|semibold|demi|medi|\.B$|-B$|CMBX|CMSSBX", re.I)

#: Monospaced font families by name (PyMuPDF's monospace flag is unset for some of them, e.g. URW's
#: Nimbus Mono, and set for some math fonts).
_MONO_FONT = re.compile(r"mono|courier|cmtt|txtt|inconsolata|consola|menlo|monaco|sourcecode|firacode|lucidacons"
                        r"|nimbusmon|cascadia|cousine|lettergothic|texgyrecursor|pragmata", re.I)

_MATH_FONT = re.compile(r"^(cmmi|cmsy|cmex|cmbsy|msbm|msam|eurm|eusm|rtxmi|rtxbmi|rntxmi|rntxbmi|txsys|txexs|txsy|ntxsy"
                        r"|ntxmi|stixmath|cambriamath|latinmodernmath|mathjax|symbol|lmmath|esint|wasy|rsfs)", re.I)

_ITALIC_FONT = re.compile(r"italic|ital|oblique|-It$|-BoldIt|CMTI|CMSL", re.I)

#: A footnote or citation mark set as a superscript: digits, ranges, lists and note symbols, with the
#: closing bracket some journals set after them ("surgery.²⁰⁾"); never a leading minus ("mol⁻¹").
_NOTE_MARK = re.compile(r"[\d*∗†‡§¶][\d,\-–—*∗†‡§¶]{0,11}\)?")
#: What a note mark is set against, unlike an exponent: a Latin word of three or more letters
#: ("services¹", not "cm²", "k²" or "ρD⁰"), a CJK character or a closing quote, with no space; or a
#: sentence or clause mark, with or without one ("blocks.¹", "block. ¹").
_BEFORE_NOTE_MARK = re.compile(r"(?:[A-Za-z\u00c0-\u024f]{3}|[\"'”’\u3400-\u4dbf\u4e00-\u9fff])$|[.,;:!?]\s*$")
#: What follows a note mark: a space, the line's end, punctuation or a CJK character; never a letter,
#: a digit or a slash ("Re¹ᐟ⁵" is an exponent).
_AFTER_NOTE_MARK = re.compile(r"$|[\s.,;:!?)\]\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef]")
#: Words an exponent follows, unlike a note mark: units and functions of three letters or more
#: ("GeV²", "Gpc³", "log² n", "mol⁻¹") and any word with a capital inside it ("TeV", "MeV").
_EXPONENT_BASE = re.compile(r"(?:\b(?:[kMGTPmµμ]?eV|[kMG]?pc|log|ln|sin|cos|tan|exp|sinh|cosh|tanh|arcsin|arccos|arctan|sec"
                            r"|min|deg|rad|erg|mol|day|yr|Hz|kHz|MHz|GHz|THz|dB|dBm|mag|arcsec|arcmin)"
                            r"|\b[A-Za-z]*[a-z][A-Z][A-Za-z]*)$")
#: A superscript is a note mark only when its letters are at most this share of the line's size.
NOTE_MARK_SIZE = 0.85

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
    prose: str = ""  # the text without footnote and citation marks, for paragraphs ("" when none were set)

    @property
    def centered(self) -> bool:
        return abs((self.x0 + self.x1) / 2 - self.page_width / 2) < 12 and (self.x1 - self.x0) < self.page_width * 0.6

    @property
    def style(self) -> tuple[float, bool, bool]:
        return (round(self.size * 2) / 2, self.bold, self.italic)

@dataclass
class PageText:
    lines: list[Line] = field(default_factory=list)
    captions: list[Block] = field(default_factory=list)
    caption_boxes: list[tuple[float, float, float, float]] = field(default_factory=list)  # one per caption

def open_pdf(data: bytes, password: str = ""):
    """Open PDF bytes; translate every failure into a sentence a person understands."""
    from summarizer.pdf.engine import pymupdf as _load_pymupdf

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

def repaired(doc) -> bool:
    return bool(getattr(doc, "is_repaired", False))

_SPACING_ACCENT = {"ˇ": "\u030c", "˜": "\u0303", "¨": "\u0308", "´": "\u0301", "ˆ": "\u0302", "˚": "\u030a"}

_WORD_CHAR = re.compile(r"\w")
_MARGIN_NUMBER = re.compile(r"\d{1,4}")
_LEAD_NUMBER = re.compile(r"[\dA-Z]+(\.\d+)*\.?")
_ACCENT_BEFORE_LETTER = re.compile("([" + "".join(_SPACING_ACCENT) + "])([A-Za-z])")

def _accented(m: re.Match) -> str:
    """TeX fonts without composed glyphs put a spacing accent before its letter ("Hubiˇcka")."""
    return unicodedata.normalize("NFC", m.group(2) + _SPACING_ACCENT[m.group(1)])

def clean_text(text: str) -> str:
    text = text.translate(_LIGATURES).replace("\u00ad", "").replace("\x00", "")
    if _ACCENT_BEFORE_LETTER.search(text):
        text = _ACCENT_BEFORE_LETTER.sub(_accented, text)
    return " ".join(text.split())

@lru_cache(maxsize=4096)
def _font_traits(font: str) -> tuple[bool, bool, bool, bool]:
    """(bold, italic, monospaced, math) from a font name; a document has few fonts, so each is read once."""
    base = font.split("+")[-1]
    return (bool(_BOLD_FONT.search(font)), bool(_ITALIC_FONT.search(font)), bool(_MONO_FONT.search(base)),
            bool(_MATH_FONT.match(base)))


@lru_cache(maxsize=4096)
def _span_style(font: str, flags: int) -> tuple[bool, bool, bool, bool]:
    """(bold, italic, monospaced, math) of a span from its font name and PyMuPDF's flags (16 bold,
    2 italic); a document has few (font, flags) pairs, so each is worked out once."""
    bold, italic, mono, math = _font_traits(font)
    return bold or bool(flags & 16), italic or bool(flags & 2), mono, math


def _styled(span: dict) -> tuple[bool, bool]:
    """(bold, italic) of a span."""
    return _span_style(span.get("font", ""), span["flags"])[:2]


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

def _strip_line_numbers(spans: list[dict]) -> list[dict]:
    """Drop margin line numbers (review copies): a small number set apart at either end of a row."""
    visible = [sp for sp in spans if sp["text"].strip()]
    if len(visible) < 2:
        return spans

    def is_margin_number(num: dict, neighbour: dict, gap: float) -> bool:
        return bool(_MARGIN_NUMBER.fullmatch(num["text"].strip())) and num["size"] < neighbour["size"] - 1 and gap > 6

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

def _without_note_marks(spans: list[dict], size: float) -> str:
    """The line's text without its superscript footnote and citation marks ("financial services.¹
    However" reads "financial services. However"), or "" when it has none. Exponents stay: they
    follow a digit, a symbol or a short symbol name ("10¹⁸", "k²", "cm²")."""
    kept: list[str] = []
    dropped = False
    for i, s in enumerate(spans):
        text = s["text"]
        if s["flags"] & 1 and s["size"] <= NOTE_MARK_SIZE * size and _NOTE_MARK.fullmatch(text.strip()) \
                and _BEFORE_NOTE_MARK.search(before := "".join(kept) + text[:len(text) - len(text.lstrip())]) \
                and not _EXPONENT_BASE.search(before) \
                and _AFTER_NOTE_MARK.match(text[len(text.rstrip()):] + (spans[i + 1]["text"] if i + 1 < len(spans) else "")):
            kept.append(" " if text[:1].isspace() or text[-1:].isspace() else "")
            dropped = True
        else:
            kept.append(text)
    return clean_text("".join(kept)) if dropped else ""


def _block_lines(block: dict, page_no: int, block_no: int, page_width: float) -> list[Line]:
    out: list[Line] = []
    for spans in _rows(block):
        spans = _strip_line_numbers(spans)
        text = clean_text("".join(s["text"] for s in spans))
        if not text:
            continue
        weights: Counter = Counter()
        fonts: Counter = Counter()
        bold_chars = italic_chars = chars = mono_chars = math_chars = 0
        max_size = 0.0
        for s in spans:
            n = len(s["text"].strip())
            if not n:  # a space counts for nothing, but its size and font enter first (ties go to the first)
                weights[round(s["size"], 1)] += 0
                fonts[s.get("font", "")] += 0
                continue
            font = s.get("font", "")
            bold, italic, mono, math = _span_style(font, s["flags"])
            mono_chars += n if mono else 0
            math_chars += n if math else 0
            weights[round(s["size"], 1)] += n
            fonts[font] += n
            chars += n
            bold_chars += n if bold else 0
            italic_chars += n if italic else 0
            if s["size"] > max_size and _WORD_CHAR.search(s["text"]):
                max_size = s["size"]
        size = weights.most_common(1)[0][0] if weights else 0.0
        visible = [s for s in spans if s["text"].strip()]
        # a run-in lead: leading spans whose weight/slant differ from the rest of the line
        lead = ""
        if len(visible) > 1:
            # an optional plain number ("1.1."), then bold/italic spans, then plain text to the end
            a = 1 if not any(_styled(visible[0])) and _LEAD_NUMBER.fullmatch(visible[0]["text"].strip()) else 0
            first = _styled(visible[a]) if a < len(visible) else (False, False)
            # a code name in the title ("3.2. Scoring forecasts with eval_forecasts()") is no text after a lead; once
            # the lead has its stop ("Parameters." then the code name "x" opening the text), the text has begun
            n, so_far = None, ""
            for k in range(a, len(visible)):
                mono = _span_style(visible[k].get("font", ""), visible[k]["flags"])[2]
                if _styled(visible[k]) != first and not (mono and not re.search(r"[.:—]\s*$", so_far)):
                    n = k
                    break
                so_far += visible[k]["text"]
            uniform = n is not None and all(_styled(sp) == _styled(visible[n]) for sp in visible[n:])
            if n is not None and any(first) and not any(_styled(visible[n])) and (uniform or a == 1 or bool(
                    _LEAD_NUMBER.match(visible[a]["text"].split(" ")[0].strip()))):
                lead_parts = []
                for sp in spans:
                    if sp is visible[n]:
                        break
                    lead_parts.append(sp["text"])
                lead = clean_text("".join(lead_parts))
                if _LEAD_NUMBER.fullmatch(lead.strip()):
                    lead = ""  # a bold section number before a plain title ("1.1 问题背景"): a heading, not a run-in lead
                elif not uniform and not re.search(r"[.:—]$", lead.strip()):
                    # a numbered lead ("4.1. World State.") ends with its stop, and the text after it may stress a word
                    # or set a symbol in italics ("The world state (*state*), is …"); a plain superscript inside a bold
                    # title ("2.1 M² (Dahlmeier and Ng, 2012)") ends no lead
                    lead = ""
        x0, y0, x1, y1 = spans[0]["_bbox"]
        line = Line(text, size, chars > 0 and bold_chars / chars >= 0.85, fonts.most_common(1)[0][0] if fonts else "",
                    x0, y0, x1, y1, page_no, block_no, style_break=bool(lead))
        line.max_size = max_size or size
        line.italic = chars > 0 and italic_chars / chars >= 0.85
        line.lead = lead
        line.page_width = page_width
        line.mono = mono_chars / chars if chars else 0.0
        line.math = math_chars / chars if chars else 0.0
        if any(s["flags"] & 1 for s in visible):
            line.prose = _without_note_marks(spans, size)
        out.append(line)
    if out:
        out[0].first_in_block = True
        out[-1].last_in_block = True
    return out

#: A block that is a float's label and nothing else ("图9", "Fig. 8."): a caption whose title, if any, is apart.
LABEL_ONLY = re.compile(r"^\s*(?:fig\.?|figure|table|图|表)\s*[0-9]+(?:\.[0-9]+)*[.:：]?\s*$", re.I)


def _sideways_caption(block: dict) -> tuple[str, tuple[float, float, float, float]] | None:
    """The caption of a table set sideways on a portrait page (its caption turned with it), from a block's rotated
    lines, which the body's lines leave out (margins, arXiv stamps): its text and box; None when the block's
    rotated lines open with no caption ("Table 1 continued on next page" is none)."""
    turned = [raw for raw in block.get("lines", []) if abs(raw.get("dir", (1, 0))[1]) > 0.5]
    texts = [clean_text("".join(s["text"] for s in raw["spans"])) for raw in turned]
    if not texts or not CAPTION.match(texts[0]) or len(texts[0].split()) <= 2:
        return None
    text = ""
    for piece in texts:
        text = join_text(text, piece)
    boxes = [raw["bbox"] for raw in turned]
    return text, (min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes), max(b[3] for b in boxes))


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
    from summarizer.pdf.engine import pymupdf as _load_pymupdf

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
        width = page.rect.width
        for block in _reading_order(blocks, width):
            lines = _block_lines(block, page_no, block_no, width)
            block_no += 1
            # a caption: its opening, and more than the label alone ("TABLE IV" over its title's line counts)
            if lines and CAPTION.match(lines[0].text) and (len(lines[0].text.split()) > 2 or len(lines) > 1
                                                           or len(re.findall(r"[\u4e00-\u9fff]", lines[0].text)) >= 4
                                                           or LABEL_ONLY.match(lines[0].text)):
                text = ""
                for line in lines:
                    text = join_text(text, line.text)
                pt.captions.append(Block("caption", text, page_no + 1))
                pt.caption_boxes.append(tuple(block["bbox"]))
                continue
            sideways = _sideways_caption(block)
            if sideways is not None:  # a landscape table's caption, turned with it: the table is named, not read
                pt.captions.append(Block("caption", sideways[0], page_no + 1))
                pt.caption_boxes.append(sideways[1])
            pt.lines.extend(lines)
        pages.append(pt)
    return pages
