"""PDFs whose text is missing or garbled get one clear sentence with the way out, never a summary of garbage."""

from __future__ import annotations

import pymupdf
import pytest
from pdf_factory import prose, unmapped_pdf

from summarizer.model.errors import GarbledPdfError
from summarizer.pdf.parser import parse_pdf
from summarizer.pdf.quality import check_pages, garbled_share, page_list

PAGES = [prose("retrieval", 4), prose("indexing", 4), prose("evaluation", 4)]


@pytest.mark.parametrize("mode", ["private", "none"])
def test_a_pdf_whose_fonts_have_no_character_map_is_refused_with_the_way_out(mode):
    with pytest.raises(GarbledPdfError, match="no character map.*Nougat"):
        parse_pdf(unmapped_pdf(PAGES, mode=mode))


def test_a_garbled_page_is_named_and_left_out():
    doc = parse_pdf(unmapped_pdf(PAGES, broken={1}))
    assert any("Page(s) 2 have unreadable text" in n and "Nougat" in n for n in doc.notices)
    text = doc.text
    assert "retrieval" in text and "evaluation" in text and "indexing" not in text
    blocks = [b.text for s in doc.sections for b in s.blocks]
    assert not any("\ue000" <= c <= "\uf8ff" or c == "\ufffd" for t in blocks for c in t)


def test_a_picture_only_page_is_named():
    src = pymupdf.open(stream=unmapped_pdf(PAGES, broken=set()), filetype="pdf")
    page = src.new_page(pno=1, width=595, height=842)
    pix = pymupdf.Pixmap(pymupdf.csRGB, pymupdf.IRect(0, 0, 400, 560), False)
    pix.clear_with(200)
    page.insert_image(page.rect, pixmap=pix)
    doc = parse_pdf(src.tobytes())
    assert any("Page(s) 2 carry only images" in n and "OCR" in n for n in doc.notices)


def test_page_lists_and_shares():
    assert page_list([2, 4, 5, 6]) == "3, 5–7"
    layer = check_pages(["plain readable text on this page", "\ue001\ue002\ue003 \ue004\ue005" * 10, ""], [0, 0, 0.9])
    assert layer.garbled_pages == (1,) and layer.picture_pages == (2,)
    assert garbled_share("+HOOR\x03ZRUOG\x03WKLV") == 1.0  # glyph ids read as codes: \x03 is a space
    assert garbled_share("Plain text, with digits 12 and symbols ±∑.") == 0.0
