import json

import pymupdf
import pytest
from pdf_factory import make_paper

from summarizer.model.errors import EncryptedPdfError, InputError, ScannedPdfError
from summarizer.pdf.parser import parse_pdf
from summarizer.text.kinds import assign_kinds, kind_from_title, strip_number


def test_generated_paper_structure(paper_pdf):
    doc = parse_pdf(paper_pdf, "sparrow.pdf")
    assert doc.title == "Sparrow: Fast Retrieval for Long Documents"
    assert doc.authors == ["Ada Lovelace", "Alan Turing"]
    assert doc.abstract.startswith("We present Sparrow")
    assert [(s.title, s.level, s.kind) for s in doc.sections] == [
        ("Abstract", 1, "abstract"), ("1 Introduction", 1, "introduction"), ("2 Sparrow", 1, "method"),
        ("2.1 Index construction", 2, "method"), ("3 Experiments", 1, "experiments"),
        ("4 Conclusion", 1, "conclusion"), ("References", 1, "references")]
    assert doc.page_count == 2
    assert doc.sections[4].page_start == 2
    assert "10,000 queries" in doc.sections[4].text
    # page numbers are not body text
    assert not any(s.text.strip().endswith(("\n1", "\n2")) for s in doc.sections)
    assert not doc.sections[-1].summarizable


def test_outline_gives_the_same_structure(paper_pdf):
    with_outline = parse_pdf(make_paper(outline=True))
    without = parse_pdf(paper_pdf)
    assert [(s.title, s.level) for s in with_outline.sections] == [(s.title, s.level) for s in without.sections]


def test_stale_outline_is_ignored():
    doc = pymupdf.open(stream=make_paper(), filetype="pdf")
    doc.set_toc([[1, "Nothing like this exists", 1], [1, "Neither does this", 2]])
    parsed = parse_pdf(doc.tobytes())
    assert [s.title for s in parsed.sections][:3] == ["Abstract", "1 Introduction", "2 Sparrow"]


def test_kind_mapping_english_and_chinese():
    assert kind_from_title("5 Related Work") == "related_work"
    assert kind_from_title("IV. EXPERIMENTAL RESULTS") == "experiments"
    assert kind_from_title("第3章 实验结果") == "results"
    assert kind_from_title("致谢") == "acknowledgements"
    assert kind_from_title("Author Contributions") == "acknowledgements"
    assert kind_from_title("Funding") == "acknowledgements"
    assert kind_from_title("Appendix A Proofs") == "appendix"
    assert kind_from_title("FooNet") is None
    assert strip_number("2.3.4 Setup") == "Setup" and strip_number("（一）背景") == "背景"


def test_named_sections_get_kinds_from_position():
    titles = ["Introduction", "Sparrow", "Training", "Experiments", "Why it works", "Conclusion", "References", "Proofs"]
    levels = [1, 1, 2, 1, 1, 1, 1, 1]
    assert assign_kinds(titles, levels) == ["introduction", "method", "method", "experiments", "discussion",
                                            "conclusion", "references", "appendix"]



def test_a_heading_that_is_its_kinds_name_keeps_it_under_any_parent():
    """A paper's title read as a heading ("… An Empirical Comparison …") named its subsections'
    kind; an "Introduction" or "Methods" heading is that kind wherever it sits, while a loose
    "Overview" or "Model" under Experiments is still experiments."""
    titles = ["The Structure of Chaos: An Empirical Comparison", "Introduction", "Methods", "Results",
              "Experiments", "Overview", "Model"]
    levels = [1, 2, 2, 2, 1, 2, 2]
    assert assign_kinds(titles, levels) == ["experiments", "introduction", "method", "results",
                                            "experiments", "experiments", "experiments"]


def test_not_a_pdf_empty_and_damaged():
    with pytest.raises(InputError, match="empty"):
        parse_pdf(b"")
    with pytest.raises(InputError, match="not a PDF"):
        parse_pdf(b"\x00\x01random bytes" * 100)
    with pytest.raises(InputError, match="damaged"):
        parse_pdf(make_paper()[:400])


def test_encrypted_pdf():
    src = pymupdf.open(stream=make_paper(), filetype="pdf")
    locked = src.tobytes(encryption=pymupdf.PDF_ENCRYPT_AES_256, user_pw="secret", owner_pw="owner")
    with pytest.raises(EncryptedPdfError, match="password"):
        parse_pdf(locked)
    owner_only = src.tobytes(encryption=pymupdf.PDF_ENCRYPT_AES_256, owner_pw="owner", user_pw="")
    assert parse_pdf(owner_only).title.startswith("Sparrow")


def test_scanned_pdf_suggests_nougat():
    doc = pymupdf.open()
    page = doc.new_page()
    pix = pymupdf.Pixmap(pymupdf.csRGB, pymupdf.IRect(0, 0, 200, 200), False)
    pix.clear_with(200)
    page.insert_image(page.rect, pixmap=pix)
    with pytest.raises(ScannedPdfError, match="Nougat"):
        parse_pdf(doc.tobytes())


def test_headingless_letter_is_split_into_parts():
    body = " ".join(["The droplet spreads and retracts on the surface, and the film thins over time."] * 4)
    doc = pymupdf.open()
    for _ in range(2):
        page = doc.new_page()
        y = 60
        for _ in range(6):
            page.insert_textbox(pymupdf.Rect(72, y, 523, y + 120), body, fontsize=10, fontname="tiro")
            y += 125
    parsed = parse_pdf(doc.tobytes(), "letter.pdf")
    assert len(parsed.sections) >= 2
    assert all(s.text for s in parsed.sections)


def test_corpus_papers_parse_with_kinds(corpus_dir):
    """On every corpus paper at once: the authors' top-level headings are found (recall over all papers),
    the title is the paper's, and sections titled Introduction / References get those kinds."""
    import re

    from summarizer.text.kinds import strip_number

    def norm(title: str) -> str:
        return re.sub(r"\W+", " ", strip_number(title)).strip().lower()

    expected = found = titled = papers = 0
    for meta_path in sorted(corpus_dir.glob("*.json")):
        meta = json.loads(meta_path.read_text())
        if "pdf_file" not in meta:
            continue
        doc = parse_pdf((corpus_dir / meta["pdf_file"]).read_bytes(), meta["pdf_file"])
        titles = {norm(s.title) for s in doc.sections}
        top = [h["title"] for h in meta["headings"] if h["level"] == 1 and not h.get("in_appendix")]
        expected += len(top)
        found += sum(norm(t) in titles for t in top)
        papers += 1
        titled += norm(doc.title)[:30] == norm(meta["title"])[:30]
        for s in doc.sections:
            if norm(s.title) in ("introduction", "references", "bibliography"):
                assert s.kind == {"introduction": "introduction"}.get(norm(s.title), "references"), (meta["slug"], s.title)
    assert papers >= 10
    assert found / expected >= 0.85, f"top-level heading recall {found}/{expected}"
    assert titled / papers >= 0.75, f"titles right on {titled}/{papers} papers"


def test_corpus_paper_casper_headings(corpus_dir):
    doc = parse_pdf((corpus_dir / "casper-ffg.pdf").read_bytes())
    titles = [s.title for s in doc.sections]
    assert doc.title == "Casper the Friendly Finality Gadget"
    for expected in ("1. Introduction", "2. The Casper Protocol", "5. Conclusions", "References"):
        assert expected in titles
    assert next(s for s in doc.sections if s.title == "References").kind == "references"


def test_a_paragraph_going_on_on_the_next_page_records_where(corpus_dir):
    """A paragraph the parser joins across a page turn records where the turn is (``Block.breaks``): the text
    right after each recorded break is on the recorded page of the PDF (checked on its page text), so a sentence
    there is cited with its own page, not the paragraph's first."""
    import re
    import unicodedata

    import pymupdf

    from summarizer.model.document import nonspace

    def flat(text: str) -> str:
        return re.sub(r"[\W_]+", "", unicodedata.normalize("NFKC", text)).lower()

    checked = right = 0
    for path in sorted(corpus_dir.glob("*.pdf"))[:12]:
        doc = parse_pdf(path.read_bytes(), path.name)
        with pymupdf.open(path) as pdf:
            pages = [flat(p.get_text()) for p in pdf]
        for block in (b for s in doc.sections for b in s.paragraphs):
            for offset, page in block.breaks:
                at = next(i for i in range(len(block.text) + 1) if nonspace(block.text[:i]) == offset)
                probe = flat(block.text[at:at + 80])[:25]
                checked += 1
                right += bool(probe) and probe in pages[page - 1]
    assert checked >= 20 and right / checked >= 0.9, (right, checked)
