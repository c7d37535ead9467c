"""PDFs made by the tests with PyMuPDF: papers with real structure, and hostile files."""

from __future__ import annotations

import pymupdf

LOREM = (
    "The proposed approach improves the accuracy of sparse retrieval by 12.5% on three benchmarks. "
    "We evaluate it against strong baselines and report the mean of five runs. "
    "Each component is motivated by an analysis of the errors made by earlier systems. "
    "The results hold across domains, languages and document lengths. "
)

DEFAULT_SECTIONS = [
    ("Abstract", 1, "We present Sparrow, a method for fast retrieval over long scientific documents. "
     "Sparrow reduces latency by 40% while keeping recall within 1 point of the dense baseline."),
    ("1 Introduction", 1, "Retrieval over long documents is slow and expensive. " + LOREM * 3),
    ("2 Sparrow", 1, "Sparrow builds a two-level index of sections and sentences. " + LOREM * 2),
    ("2.1 Index construction", 2, "The index stores section centroids and sentence postings. " + LOREM * 2),
    ("3 Experiments", 1, "We test on PubMed and arXiv collections with 10,000 queries. " + LOREM * 3),
    ("4 Conclusion", 1, "Sparrow makes long-document retrieval practical on commodity hardware. " + LOREM),
    ("References", 1, "[1] A. Author. A paper about retrieval. In Proc. of a Conference, 2020.\n"
     "[2] B. Author. Another paper about indexes. Journal of Things, 2021."),
]


def make_paper(sections=DEFAULT_SECTIONS, title: str = "Sparrow: Fast Retrieval for Long Documents",
               authors: str = "Ada Lovelace and Alan Turing", outline: bool = False, page_break_after: int = 3,
               body_font: str = "tiro", heading_font: str = "tibo") -> bytes:
    """A paper (two pages with the default sections): larger bold headings, body text, a references section;
    a section that does not fit the rest of a page goes on on the next."""
    doc = pymupdf.open()
    page = doc.new_page(width=595, height=842)
    y = 72.0
    toc = []

    def write(text: str, size: float, font: str, gap: float = 6) -> None:
        """``text`` below the last, on a new page when the rest of this one is too short for it."""
        nonlocal page, y
        box = pymupdf.Rect(72, y, 523, 800)
        needed = page.insert_textbox(box, text, fontsize=size, fontname=font)
        if needed < 0 and y > 72.0:  # nothing was written: go on on a new page
            page = doc.new_page(width=595, height=842)
            y = 72.0
            box = pymupdf.Rect(72, y, 523, 800)
            needed = page.insert_textbox(box, text, fontsize=size, fontname=font)
        if needed < 0:
            raise ValueError("text does not fit a page; make it shorter")
        y += max(size * 1.3, box.height - needed) + gap

    write(title, 18, heading_font, 10)
    write(authors, 11, body_font, 18)
    for n, (heading, level, body) in enumerate(sections):
        if n == page_break_after:
            page = doc.new_page(width=595, height=842)
            y = 72.0
        toc.append([level, heading, doc.page_count])
        write(heading, 14 if level == 1 else 12, heading_font, 4)
        for para in body.split("\n"):
            write(para, 10, body_font, 6)
        page.insert_text((290, 820), str(doc.page_count), fontsize=9, fontname=body_font)
    if outline:
        doc.set_toc(toc)
    data = doc.tobytes()
    doc.close()
    return data


def _measurements(topic: str, start: int, n: int) -> str:
    """``n`` sentences about ``topic``, each with its own numbers (no two lines alike, as in a real paper)."""
    return " ".join(
        f"In run {k} the {topic} stage handled {1200 + 37 * k:,} queries with a median latency of {4 + k % 9}.{k % 7} ms, "
        f"and recall stayed at {90 + k % 8}.{k % 10}% of the dense baseline on collection {chr(65 + k % 26)}."
        for k in range(start, start + n))


#: A paper of about 5,500 tokens (five pages): over ``whole_paper_below`` (4,000), so the LLM backend asks
#: it section by section as it does a real paper; title and headings are those of ``DEFAULT_SECTIONS``.
LONG_SECTIONS = [
    ("Abstract", 1, DEFAULT_SECTIONS[0][2]),
    ("1 Introduction", 1, "Retrieval over long documents is slow and expensive. " + "\n".join(
        _measurements("baseline", 10 * i, 8) for i in range(4))),
    ("2 Sparrow", 1, "Sparrow builds a two-level index of sections and sentences. " + "\n".join(
        _measurements("indexing", 100 + 10 * i, 8) for i in range(3))),
    ("2.1 Index construction", 2, "The index stores section centroids and sentence postings. " + "\n".join(
        _measurements("posting", 200 + 10 * i, 8) for i in range(3))),
    ("3 Experiments", 1, "We test on PubMed and arXiv collections with 10,000 queries. " + "\n".join(
        _measurements("evaluation", 300 + 10 * i, 8) for i in range(5))),
    ("4 Conclusion", 1, "Sparrow makes long-document retrieval practical on commodity hardware. " + "\n".join(
        _measurements("deployment", 400 + 10 * i, 6) for i in range(2))),
    DEFAULT_SECTIONS[-1],
]


def make_long_paper() -> bytes:
    """``make_paper`` with ``LONG_SECTIONS``: the generated stand-in for a real paper (tests/test_browser.py)."""
    return make_paper(LONG_SECTIONS)


def build_pdf(pages: list[list[tuple]], outline: list | None = None) -> bytes:
    """A PDF from explicit items: (text, x, y, width, size, font) per item, one list per page.

    Paragraph items wrap inside a box of the given width; fonts are PyMuPDF base-14 names
    ("tiro", "tibo", "tiit", "helv", "hebo") or "china-s" for Chinese.
    """
    doc = pymupdf.open()
    for items in pages:
        page = doc.new_page(width=595, height=842)
        for text, x, y, width, size, font in items:
            rect = pymupdf.Rect(x, y, x + width, y + 400)
            if page.insert_textbox(rect, text, fontsize=size, fontname=font) < 0:
                raise ValueError(f"text does not fit: {text[:40]}")
    if outline:
        doc.set_toc(outline)
    data = doc.tobytes()
    doc.close()
    return data


def prose(topic: str, n: int = 3) -> str:
    """A paragraph of plain sentences about ``topic``."""
    base = [f"This paragraph discusses {topic} in some detail.", f"The {topic} results are reported with care.",
            f"Further work on {topic} remains open."]
    return " ".join((base * n)[: n * 3 // 1])


def lines_pdf(pages: list[list[tuple]]) -> bytes:
    """A PDF from single lines placed exactly: (text, x, baseline_y, size, font) per line, one
    list per page. Fonts as in ``build_pdf``; "cour" is monospaced (code)."""
    doc = pymupdf.open()
    for items in pages:
        page = doc.new_page(width=595, height=842)
        for text, x, y, size, font in items:
            page.insert_text((x, y), text, fontsize=size, fontname=font)
    data = doc.tobytes()
    doc.close()
    return data


_CMAP_HEAD = """/CIDInit /ProcSet findresource begin 12 dict begin begincmap
/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def
/CMapName /Adobe-Identity-UCS def /CMapType 2 def
1 begincodespacerange <0000> <FFFF> endcodespacerange
"""


def unmapped_pdf(pages: list[str], broken: set[int] | None = None, mode: str = "private") -> bytes:
    """A PDF of plain text pages whose font on the ``broken`` pages (0-based; all when None) has no
    usable character map: ``mode="private"`` maps every glyph to private-use code points (as CJK
    PDFs without ToUnicode extract), ``mode="none"`` removes the map (glyph ids come out as codes)."""
    fonts = "/usr/share/fonts/truetype/liberation/Liberation{}-Regular.ttf"
    doc = pymupdf.open()
    for n, text in enumerate(pages):
        page = doc.new_page(width=595, height=842)
        bad = broken is None or n in broken  # the broken font is the serif one; good pages use the sans
        page.insert_textbox(pymupdf.Rect(72, 72, 523, 800), text, fontsize=11,
                            fontfile=fonts.format("Serif" if bad else "Sans"), fontname="Bad" if bad else "Good")
    doc = pymupdf.open(stream=doc.tobytes(), filetype="pdf")
    for xref in range(1, doc.xref_length()):
        if doc.xref_get_key(xref, "Subtype")[1] != "/Type0" or "Serif" not in doc.xref_get_key(xref, "BaseFont")[1]:
            continue
        kind, ref = doc.xref_get_key(xref, "ToUnicode")
        if kind != "xref":
            continue
        if mode == "none":
            doc.xref_set_key(xref, "ToUnicode", "null")
        else:
            ranges = "".join(f"<{hi:02X}00> <{hi:02X}FF> <{0xE000 + hi * 256:04X}>\n" for hi in range(0x18))
            cmap = _CMAP_HEAD + f"24 beginbfrange\n{ranges}endbfrange\nendcmap CMapName currentdict /CMap defineresource pop end end"
            doc.update_stream(int(ref.split()[0]), cmap.encode())
    data = doc.tobytes()
    doc.close()
    return data


def with_screen_annotations(pdf: bytes) -> bytes:
    """``pdf`` with a Screen (media) annotation on every page, as book chapters with embedded media have:
    MuPDF cannot draw its appearance and says so ("MuPDF error: unsupported error: cannot create appearance
    stream for Screen annotations") each time a page is loaded."""
    doc = pymupdf.open(stream=pdf, filetype="pdf")
    for page in doc:
        xref = doc.get_new_xref()
        doc.update_object(xref, f"<< /Type /Annot /Subtype /Screen /Rect [400 700 500 780] /P {page.xref} 0 R >>")
        doc.xref_set_key(page.xref, "Annots", f"[{xref} 0 R]")
    data = doc.tobytes()
    doc.close()
    return data


#: The caption of ``make_figure_paper``'s figures, by number.
FIGURE_CAPTIONS = {1: "Figure 1: Median query latency of Sparrow and the dense baseline as the collection grows.",
                   2: "Figure 2: Recall of the two-level index against the number of sentence postings kept."}


def draw_chart(page, rect: pymupdf.Rect, rising: bool = True) -> None:
    """A line chart drawn with vector strokes inside ``rect``: two axes with ticks and a polyline."""
    x0, y0, x1, y1 = rect
    page.draw_line((x0, y1), (x1, y1), width=1)  # the x axis
    page.draw_line((x0, y0), (x0, y1), width=1)  # the y axis
    for k in range(1, 6):
        x, y = x0 + k * (x1 - x0) / 6, y1 - k * (y1 - y0) / 6
        page.draw_line((x, y1), (x, y1 + 4), width=0.8)
        page.draw_line((x0 - 4, y), (x0, y), width=0.8)
    points = [(x0 + k * (x1 - x0) / 8, y1 - (y1 - y0) * ((k / 8) ** 1.5 if rising else 1 - k / 9)) for k in range(9)]
    page.draw_polyline(points, width=1.6, color=(0.1, 0.3, 0.8))


def make_figure_paper(figures: tuple[int, ...] = (1,)) -> bytes:
    """``make_paper``'s paper whose experiments cite ``figures`` (numbers of ``FIGURE_CAPTIONS``), each a vector line
    chart with its caption below it, on a page of its own after the text (as a paper's float pages are)."""
    cited = " ".join(f"Figure {n} shows how the measurements change." for n in figures)
    sections = [(h, level, f"{body} {cited}" if h.startswith("3 ") else body) for h, level, body in DEFAULT_SECTIONS]
    doc = pymupdf.open(stream=make_paper(sections), filetype="pdf")
    for n in figures:
        page = doc.new_page(width=595, height=842)
        draw_chart(page, pymupdf.Rect(110, 110, 480, 380), rising=n % 2 == 1)
        page.insert_textbox(pymupdf.Rect(72, 400, 523, 460), FIGURE_CAPTIONS[n], fontsize=9, fontname="tiro")
        page.insert_text((290, 820), str(doc.page_count), fontsize=9, fontname="tiro")
    data = doc.tobytes()
    doc.close()
    return data
