"""Short PDFs with one line of text are read, not refused as 'no readable text' (issue #25 part C, 5)."""

from __future__ import annotations

import pymupdf
import pytest
from test_faults_storage import run_cli

from summarizer.inputs.loading import load_bytes
from summarizer.model.errors import InputError, ScannedPdfError


def one_line_pdf(text: str, pages: int = 1, size: float = 11) -> bytes:
    doc = pymupdf.open()
    page = doc.new_page()
    page.insert_text((72, 72), text, fontsize=size)
    for _ in range(pages - 1):
        doc.new_page()
    return doc.tobytes()


@pytest.mark.parametrize("text, size", [
    ("Sparrows nest in hedges near farms in the spring.", 11),
    ("Meeting moved to Thursday.", 11),
    ("QUARTERLY REVIEW POSTPONED", 20),  # set large: read as a title first
])
def test_a_one_line_pdf_is_read(text, size):
    doc = load_bytes(one_line_pdf(text, size=size), "note.pdf")
    assert text in " ".join(s.text for s in doc.sections)


def test_a_one_line_pdf_is_summarized_on_the_command_line(tmp_path):
    pdf = tmp_path / "note.pdf"
    pdf.write_bytes(one_line_pdf("Sparrows nest in hedges near farms in the spring.", pages=2))
    proc = run_cli("summarize", str(pdf), "-q")
    assert proc.returncode == 0, proc.stderr.decode()
    assert "Sparrows nest in hedges" in proc.stdout.decode()


def test_a_pdf_without_text_is_still_refused():
    blank = pymupdf.open()
    blank.new_page()
    with pytest.raises((ScannedPdfError, InputError)):
        load_bytes(blank.tobytes(), "blank.pdf")
