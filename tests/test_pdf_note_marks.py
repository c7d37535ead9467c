"""Footnote and citation marks set as superscripts leave the prose; exponents stay.

Real PDFs built with PyMuPDF: a small raised run is what MuPDF flags as a superscript, as it
does for a TeX or Word footnote mark."""

from __future__ import annotations

import pymupdf
import pytest

from summarizer.extractive.ranking import repaired_sentences
from summarizer.pdf.extract import extract_pages, open_pdf
from summarizer.pdf.parser import parse_pdf

BODY, MARK, RAISE = 10.0, 6.5, 3.5


def _pdf(lines: list[list[tuple[str, bool]]], font: str = "helv") -> bytes:
    """One page; each line is (text, raised) runs set one after the other."""
    doc = pymupdf.open()
    page = doc.new_page()
    writer = pymupdf.TextWriter(page.rect)
    face = pymupdf.Font(font)
    for row, runs in enumerate(lines):
        x, y = 72.0, 100.0 + 14 * row
        for text, raised in runs:
            _, end = writer.append((x, y - RAISE if raised else y), text, font=face, fontsize=MARK if raised else BODY)
            x = end.x + (1.0 if raised else 0.0)
    writer.write_text(page)
    return doc.tobytes()


def _lines(data: bytes):
    return [line for page in extract_pages(open_pdf(data), 600) for line in page.lines]


def test_a_footnote_mark_after_a_sentence_leaves_the_paragraph_and_the_sentence_ends_there():
    data = _pdf([[("Banks adopted these models widely in financial services.", False), ("1", True),
                  (" However, some have criticized the whole approach.", False)],
                 [("We used the official implementation", False), ("2,3", True), (" of the metric in all runs.", False)],
                 [("Arrhythmia is common after cardiac surgery.", False), ("20)", True), (" In this study it was rare.", False)]])
    lines = _lines(data)
    assert lines[0].text.startswith("Banks") and "services.1" in lines[0].text  # the raw line keeps it (front matter)
    assert [line.prose for line in lines] == [
        "Banks adopted these models widely in financial services. However, some have criticized the whole approach.",
        "We used the official implementation of the metric in all runs.",
        "Arrhythmia is common after cardiac surgery. In this study it was rare."]
    sentences = repaired_sentences("\n".join(line.prose for line in lines))
    assert sentences[0] == "Banks adopted these models widely in financial services."


@pytest.mark.parametrize("runs", [
    [("The energy is 10", False), ("18", True), (" electronvolts in this run.", False)],  # after a digit
    [("The area was 40 cm", False), ("2", True), (" after the treatment ended.", False)],  # a short unit
    [("The mean grows as k", False), ("2", True), (" for large inputs here.", False)],  # a variable
    [("The rate scales as Re", False), ("1", True), ("/5 in this regime.", False)],  # a fractional exponent
    [("The total is larger than", False), (" 1", True), (" in every case.", False)],  # set apart by a space
    [("The length grows as time", False), ("1", True), ("/2 in this case.", False)],  # a fraction follows
    [("The density ratio is ρgD", False), ("0", True), (") in each run.", False)],  # a Greek symbol name
    [("The yield was 5 mol", False), ("-1", True), (" per litre here.", False)],  # a unit's negative power
    [("The beam reached 10 GeV", False), ("2", True), (" in the second run.", False)],  # a unit with a capital inside
    [("The survey spans 1 Gpc", False), ("3", True), (" of the sky.", False)],  # a known unit
    [("Sorting takes O(n log", False), ("2", True), (" n) time here.", False)],  # a function
])
def test_an_exponent_stays(runs):
    line, = _lines(_pdf([runs]))
    assert line.prose == "" and line.text == "".join(t for t, _ in runs)


def test_a_mark_after_a_chinese_character_leaves_chinese_prose():
    data = _pdf([[("更多内容参考宏包官方文档", False), ("1", True), ("。如果你想完全自定义字体，可以选择其他选项。", False)]],
                font="china-s")
    line, = _lines(data)
    assert line.prose == "更多内容参考宏包官方文档。如果你想完全自定义字体，可以选择其他选项。"


def test_the_document_text_has_no_marks_but_authors_still_split_at_them():
    data = _pdf([[("Note Marks in Practice", False)],
                 [("Alice Smith", False), ("1", True), (" Bob Jones", False), ("2", True)],
                 [("Every paper with footnotes needs clean sentences.", False), ("1", True),
                  (" The marks belong to the notes below.", False)]])
    doc = parse_pdf(data, "marks.pdf")
    assert doc.authors == ["Alice Smith", "Bob Jones"]  # front matter reads the raw line, marks and all
    assert "sentences. The marks" in doc.text and "sentences.1" not in doc.text


def test_a_run_in_heading_leaves_no_copy_of_itself_in_the_prose():
    doc = pymupdf.open()
    page = doc.new_page()
    writer = pymupdf.TextWriter(page.rect)
    regular, bold = pymupdf.Font("helv"), pymupdf.Font("hebo")
    writer.append((72, 80), "Run-in Headings", font=bold, fontsize=18)
    writer.append((72, 120), "1 Data", font=bold, fontsize=14)
    _, end = writer.append((72, 150), "2.1 Datasets. ", font=bold, fontsize=BODY)
    _, end = writer.append(end, "We use the public corpus", font=regular, fontsize=BODY)
    _, end = writer.append((end.x, end.y - RAISE), "1", font=regular, fontsize=MARK)
    writer.append((end.x + 1, 150), " of news articles in all runs.", font=regular, fontsize=BODY)
    writer.write_text(page)
    parsed = parse_pdf(doc.tobytes(), "runin.pdf")
    section = next(s for s in parsed.sections if s.title.startswith("2.1"))
    assert section.text == "We use the public corpus of news articles in all runs."
