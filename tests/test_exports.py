"""The exports of #31 (``summarizer.output.formats``), each opened by the library a user's tool would use: the .docx
by python-docx, the .bib by bibtexparser, the Obsidian properties by PyYAML, the HTML page and the Zotero note by
``html.parser``, the RIS record line by line. Runs are real (the built-in extractive backend over a parsed paper);
hostile documents come out inert in every format; file names stay safe; the command line writes several formats
at once, and a batch writes them per document with an Obsidian index."""

from __future__ import annotations

import io
import json
import os
import re
import struct
import subprocess
import sys
import zlib
from dataclasses import replace
from datetime import datetime, timezone
from html.parser import HTMLParser

import pytest
import yaml
from conftest import ROOT, corpus_papers

from summarizer.config.settings import Settings
from summarizer.inputs.text_parser import parse_text
from summarizer.model.document import Float, FloatKind
from summarizer.model.errors import InputError
from summarizer.model.results import DocumentSummary, SectionResult
from summarizer.output.bibtex import latex, to_bibtex, to_ris
from summarizer.output.citation import Kind, Reference, citation_key, read_reference
from summarizer.output.figures import Figures, figure_file
from summarizer.output.formats import Format, export, export_files, file_name, file_names, output_stem, parse_formats
from summarizer.output.provenance import Provenance
from summarizer.run.engine import summarize_document

WHEN = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)
SECTIONS = [
    ("Abstract", 1, "In this paper we ask how far the cooling of a city park reaches into the streets around it. Parks "
     "larger than two hectares lowered nearby street temperatures by 1.8 degrees. Published in 2023."),
    ("1 Introduction", 1, "Cities grow hotter every summer, and parks are the cheapest way to cool them. We ask how far a "
     "park's cooling reaches into the streets around it and whether small parks help at all."),
    ("2 Experimental Data", 1, "We placed 40 sensors on streets at 50 to 400 metres from six parks and recorded the air "
     "temperature every ten minutes from June to August."),
    ("3 Method", 1, "We compared each street with the street 400 metres away on the same day, and fitted a distance "
     "decay model to the differences."),
    ("4 Results", 1, "Streets within 100 metres of a large park were 1.8 degrees cooler than streets 400 metres away. "
     "The model improved accuracy to 91.2% compared with 85.0% for the baseline. Small parks cooled only the streets "
     "that touched them."),
    ("5 Conclusion", 1, "Large parks cool the streets around them; small ones barely do."),
    ("References", 1, "[1] J. Smith. Urban heat. Journal of Cities, 2019."),
]
PAPER = "# Parks Cool Their Streets\n\n" + "\n\n".join(f"## {h}\n{body}" for h, _, body in SECTIONS) + "\n"
HOSTILE = "<script>alert(1)</script> {{7*7}} --- <img src=x onerror=alert(1)> `x` [a](javascript:alert(1))"


def _png() -> bytes:
    """A 1×1 PNG, made here (no image library needed)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00")) + chunk(b"IEND", b""))


def _with_floats(doc, label: str = ""):
    """A table (its cells read) and a figure (a region on its page) cited by the results section."""
    results = next((i for i, s in enumerate(doc.sections) if s.kind == "results"), 0)
    doc.floats = [Float(FloatKind.TABLE, "1", f"Table 1: Street temperatures {label}", 2,
                        rows=[["Distance", "Cooling"], ["100 m", "1.8"], [label or "400 m", "0.0"]], section=results),
                  Float(FloatKind.FIGURE, "2", f"Figure 2: The six parks {label}", 2, bbox=(0, 0, 10, 10), section=results,
                        description=f"A map of six parks with the cooled streets around each {label}",
                        described_by="test-model")]
    return doc


def _run(text: str = PAPER, source: str = "parks.md", title: str | None = None, authors=(), section_title: str = "",
         floats: bool = True) -> DocumentSummary:
    """A real run over text: parsed, (optionally) its title and the results section's title replaced, summarized
    offline."""
    doc = parse_text(text, source)
    if title is not None:
        doc.title = title
    doc.authors = list(authors)
    if section_title:
        next(s for s in doc.sections if s.kind == "results").title = section_title
    return summarize_document(_with_floats(doc, section_title) if floats else doc, Settings(backend="extractive"))


@pytest.fixture(scope="module")
def parks() -> DocumentSummary:
    """A real run over a PDF (two pages, so every claim has its page), its authors with non-ASCII names."""
    from pdf_factory import make_paper

    from summarizer.inputs.loading import load_bytes

    pdf = make_paper(SECTIONS, title="Parks Cool Their Streets", authors="José Müller and Ærø Ødegård")
    doc = load_bytes(pdf, "parks.pdf", "pymupdf", None)
    doc.authors = ["José Müller", "Ærø Ødegård", "夏智康"]
    assert [s.title for s in doc.sections][2:5] == ["2 Experimental Data", "3 Method", "4 Results"]
    return summarize_document(_with_floats(doc), Settings(backend="extractive"))


@pytest.fixture(scope="module")
def hostile() -> DocumentSummary:
    return _run(title=HOSTILE + "\nsecond line: \" # ' ---", authors=[HOSTILE, "O'Brien, Pat"], section_title=HOSTILE)


class _Html(HTMLParser):
    """Every tag, attribute and piece of text of an HTML document."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.attrs: list[tuple[str, str, str]] = []
        self.text: list[str] = []
        self.feed(text)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attrs += [(tag, k, v or "") for k, v in attrs]

    def handle_data(self, data):
        self.text.append(data)


def assert_inert_html(text: str) -> _Html:
    """No script, frame or object; no event handler; no source but an embedded PNG; no link anywhere."""
    page = _Html(text)
    assert not {"script", "iframe", "object", "embed", "a", "base", "link", "form"} & set(page.tags), page.tags
    assert not [a for a in page.attrs if a[1].lower().startswith("on")], page.attrs
    for tag, name, value in page.attrs:
        if name in ("src", "href", "srcset", "action", "data", "poster", "background"):
            assert (tag, name) == ("img", "src") and value.startswith("data:image/png;base64,"), (tag, name, value)
    return page


def front_matter(note: str) -> dict:
    """The note's properties: the YAML between its first line "---" and the next line that is exactly "---"."""
    lines = note.split("\n")
    assert lines[0] == "---"
    end = lines.index("---", 1)
    return yaml.safe_load("\n".join(lines[1:end]))


RIS_LINE = re.compile(r"^[A-Z][A-Z0-9]  - \S.*$|^ER  - $")


def assert_ris(text: str) -> list[tuple[str, str]]:
    lines = text.splitlines()
    assert lines[0].startswith("TY  - ") and lines[-1] == "ER  - "
    assert all(RIS_LINE.match(line) for line in lines), [line for line in lines if not RIS_LINE.match(line)]
    return [(line[:2], line[6:]) for line in lines]


def _bib(text: str):
    import bibtexparser
    from bibtexparser import middlewares as m

    library = bibtexparser.parse_string(text, append_middleware=[m.LatexDecodingMiddleware()])
    assert library.failed_blocks == [], [b.error for b in library.failed_blocks]
    return library


def _raw_bib(text: str):
    import bibtexparser

    library = bibtexparser.parse_string(text)
    assert library.failed_blocks == []
    return library


# -- the paper's record ---------------------------------------------------------------------------------------

def test_reference_reads_identifiers_year_and_venue_from_the_first_pages():
    doc = parse_text("# Deep Things\n\n## Abstract\nWe study things. Our data date from March 2019.", "arXiv-2101.12345v2.pdf")
    ref = read_reference(doc)
    assert (ref.arxiv, ref.year, ref.kind, ref.doi, ref.venue) == ("2101.12345", "2021", Kind.PREPRINT, "", "")
    old = read_reference(parse_text("# Strings\n\n## Abstract\nText.", "x.pdf"), "arXiv:hep-th/9901001v1 [hep-th] 4 Jan 1999")
    assert (old.arxiv, old.year) == ("hep-th/9901001", "1999")
    conference = read_reference(parse_text("# T\n\n## Abstract\nWords.", "t.pdf"),
                                "Published as a conference paper at ICLR 2021\nDEEP LEARNING HMC\nDOI: 10.1145/3194932.3194938.")
    assert (conference.venue, conference.kind, conference.year, conference.doi) == (
        "ICLR 2021", Kind.INPROCEEDINGS, "2021", "10.1145/3194932.3194938")
    acl = read_reference(parse_text("# T\n\n## Abstract\nWords.", "t.pdf"),
                         "In Proceedings of the 58th Annual Meeting of the Association for Computational\n"
                         "Linguistics, pages 1–10, July 5–10, 2020.")
    assert acl.venue == "Proceedings of the 58th Annual Meeting of the Association for Computational Linguistics"
    assert acl.year == "2020"
    journal = read_reference(parse_text("# T\n\n## Abstract\nWords.", "t.pdf"), "Journal of Statistical Software\nMMMMMM YYYY")
    assert (journal.venue, journal.kind) == ("Journal of Statistical Software", Kind.ARTICLE)
    # conservative: a cited work's DOI beside the paper's gives none; a year in running text gives none
    cited = read_reference(parse_text("# T\n\n## Abstract\nAs shown by 10.1000/aaa and 10.1000/bbb, with data from "
                                      "March 2019 and 1998.", "t.md"))
    assert (cited.doi, cited.year, cited.venue, cited.kind) == ("", "", "", Kind.MISC)


def test_reference_of_real_papers_from_their_first_pages():
    folder = corpus_papers()
    from summarizer.inputs.loading import load_path
    from summarizer.output.formats import first_pages

    def ref(slug: str) -> Reference:
        pdf = folder / f"{slug}.pdf"
        return read_reference(load_path(str(pdf), "pymupdf", 4), first_pages(pdf.read_bytes()))

    acm = ref("sentiment-tools-developer-discussions")
    assert (acm.doi, acm.year, acm.kind) == ("10.1145/3194932.3194938", "2018", Kind.INPROCEEDINGS)
    assert acm.venue == "IEEE/ACM 3rd International Workshop on Emotion Awareness in Software Engineering"
    assert citation_key(acm) == "imtiaz2018sentiment"
    iclr = ref("deep-learning-hmc-iclr2021-workshop")
    assert (iclr.venue, iclr.year, citation_key(iclr)) == ("ICLR 2021", "2021", "foreman2021deep")
    # a paper whose first pages date nothing has no year, rather than a year from its text ("in the 1980s")
    assert ref("rl-traffic-reward-functions-ieee").year == ""


def test_citation_key_is_ascii_stable_and_bibtex_safe():
    key = citation_key(Reference("The Astropy Project: Sustaining", ("Adrian M. Price-Whelan", "B"), "2022"))
    assert key == "pricewhelan2022astropy"
    assert citation_key(Reference("Über Straßen", ("Jürgen Groß",), "2020")) == "gross2020uber"
    assert citation_key(Reference("A Study of Ørsted", ("Søren Ørsted",), "")) == "orstedstudy"
    assert citation_key(Reference("n-gram F-score for GEC", ("Shota Koyama",), "2024")) == "koyama2024ngram"
    assert citation_key(Reference("LDPC 信道编码", ("夏智康",), "2021")) == "ldpc2021"  # no ASCII name: the title's word
    chinese = Reference("信道编码大作业实验报告", ("夏智康",), "2021")
    assert re.fullmatch(r"ref2021_[0-9a-f]{6}", citation_key(chinese)) and citation_key(chinese) == citation_key(replace(chinese))
    for title in (HOSTILE, "{}%&_$#~^\\", ""):
        assert re.fullmatch(r"[a-z0-9_]+", citation_key(Reference(title, (HOSTILE,), "2020")))


# -- BibTeX and RIS --------------------------------------------------------------------------------------------

def test_bibtex_round_trips_latex_specials_and_non_ascii_names():
    title = "Costs {rose} 50% & $5 #1 a_b ~ back\\slash on GPUs: Żółć"
    ref = Reference(title, ("José Müller", "夏智康", "Smith and Sons"), "2023", "Proceedings of the A&B Conference",
                    "10.1000/a_b(1)", kind=Kind.INPROCEEDINGS)
    text = to_bibtex(ref)
    assert text.startswith("@inproceedings{muller2023costs,") and "\\{rose\\}" in text and "{GPUs:}" in text
    entry = _bib(text).entries[0]
    assert entry.entry_type == "inproceedings" and entry.key == "muller2023costs"
    assert entry["title"] == title and entry["booktitle"] == "Proceedings of the A&B Conference"
    raw = _raw_bib(text).entries[0]
    assert raw["author"] == "José Müller and 夏智康 and {Smith and Sons}"  # UTF-8 kept; a name with "and" braced whole
    assert raw["doi"] == "10.1000/a_b(1)" and raw["year"] == "2023"
    assert latex("x ^ y") == "x \\textasciicircum{} y"
    # an arXiv preprint: @misc with eprint; a lone brace cannot unbalance the entry
    preprint = to_bibtex(Reference("A lone { brace", ("Ann Lee",), "2021", arxiv="2101.12345", arxiv_class="cs.CL",
                                   kind=Kind.PREPRINT))
    entry = _raw_bib(preprint).entries[0]
    assert entry.entry_type == "misc" and entry["eprint"] == "2101.12345" and entry["archiveprefix"] == "arXiv"
    assert entry["url"] == "https://arxiv.org/abs/2101.12345" and entry["primaryclass"] == "cs.CL"
    assert "\\textbraceleft{}" in entry["title"]


def test_ris_record_is_well_formed_with_one_author_a_line(parks):
    text = export(parks, Format.RIS, when=WHEN).decode("utf-8")
    fields = assert_ris(text)
    assert [v for t, v in fields if t == "AU"] == ["Müller, José", "Ødegård, Ærø", "夏智康"]
    assert ("TI", "Parks Cool Their Streets") in fields and ("PY", "2023") in fields
    note = dict(fields)["N1"]
    assert note.startswith('<div data-schema-version="') and "Overall summary" in note  # Zotero's import makes it a note
    assert to_ris(Reference("T", (), "", doi="10.1/x", kind=Kind.ARTICLE, venue="J. Things")).splitlines()[:2] == [
        "TY  - JOUR", "TI  - T"]


# -- Obsidian ---------------------------------------------------------------------------------------------------

def test_obsidian_note_properties_callouts_pages_and_figures(parks):
    images = Figures({"Figure 2": _png()}, "parks_assets")
    note = export(parks, Format.OBSIDIAN, images, WHEN,
                  provenance=replace(Provenance.of(parks, Settings(backend="extractive")), when=WHEN)).decode("utf-8")
    props = front_matter(note)
    assert props["title"] == "Parks Cool Their Streets" and props["authors"] == ["José Müller", "Ærø Ødegård", "夏智康"]
    assert props["year"] == "2023" and props["citekey"] == "muller2023parks" and props["tags"] == ["summary", "paper"]
    assert props["backend"].startswith("extractive") and props["date"] == "2026-03-01 12:00 UTC"
    lines = note.splitlines()
    start = lines.index("> [!summary] Overall summary")
    body = lines[start + 1:lines.index("", start)]
    assert body and all(line.startswith(">") for line in body)
    table = lines[lines.index("> [!note] Key results") + 1:]
    assert table[0] == "> | Measure | Value | Against | Source |" and table[2].startswith("> | ")
    assert "91.2%" in note and re.search(r"\(p\. \d+\)", note)  # page references as text
    assert "![Figure 2](parks_assets/figure-2.png)" in note


def test_obsidian_keeps_math_and_neutralises_html():
    doc = parse_text(PAPER, "parks.md")
    section = SectionResult(0, "Results", "results", 1, "done",
                            "- We bound $x_i < y^2$ and $$\\sum_{i} a_i > b$$ while <b>bold</b> costs $3 and $4.")
    note = export(DocumentSummary(doc, "extractive (built-in, offline)", "Overall $\\alpha_1 < 2$.", [section]),
                  Format.OBSIDIAN, when=WHEN).decode("utf-8")
    assert "$x_i \\lt{} y^2$" in note and "$$\\sum_{i} a_i \\gt{} b$$" in note and "$\\alpha_1 \\lt{} 2$" in note
    assert "&lt;b>bold&lt;/b> costs $3 and $4" in note


def test_two_dollar_code_spans_do_not_keep_a_remote_image_as_math():
    """"`$` ![x](https://…) `$`" is two code spans around text: the image between them is made inert, not kept as
    the body of a math span (Obsidian would load it when the note opens)."""
    doc = parse_text(PAPER, "parks.md")
    section = SectionResult(0, "Results", "results", 1, "done",
                            "- Costs `$` ![x](https://tracker.example/p.png) `$` and $x < 1$.")
    note = export(DocumentSummary(doc, "extractive (built-in, offline)", "Overall.", [section]),
                  Format.OBSIDIAN, when=WHEN).decode("utf-8")
    assert "![x](https://tracker" not in note and "$x \\lt{} 1$" in note


def test_obsidian_front_matter_round_trips_a_hostile_title(hostile):
    note = export(hostile, Format.OBSIDIAN, when=WHEN).decode("utf-8")
    props = front_matter(note)
    assert props["title"] == hostile.document.title and props["authors"][0] == HOSTILE
    lines = note.split("\n")
    head = lines[:next(i for i, line in enumerate(lines) if line.startswith("# "))]
    assert head.count("---") == 2  # the title's own "---" never closes the block early
    assert lines[1].startswith('title: "') and lines[2] == "authors:"  # its line breaks escaped, on one line
    assert not re.search(r"(?<!\\)<(script|img)", note.split("\n---\n", 1)[1])


def test_vault_index_links_notes_with_wikilinks():
    from summarizer.output.obsidian import VaultEntry, vault_index

    index = vault_index([VaultEntry("b-paper", "B: a title | with [[brackets]] #tag", ("Ann",)),
                         VaultEntry("a-paper", "A Paper")], WHEN)
    assert front_matter(index)["title"] == "Summaries"
    assert "- [[a-paper|A Paper]]" in index and "- [[b-paper|B: a title with brackets tag]] — Ann" in index
    assert index.index("a-paper") < index.index("b-paper")


# -- Zotero, HTML, Word ---------------------------------------------------------------------------------------

def test_zotero_note_and_extra_field(parks):
    note = export(parks, Format.ZOTERO, {"Figure 2": _png()}, WHEN).decode("utf-8")
    page = assert_inert_html(note)
    assert "img" not in page.tags and "Figure 2" in "".join(page.text)  # a note keeps images as attachments: caption only
    assert note.startswith('<div data-schema-version="9">') and note.endswith("</div>") and "\n" not in note
    assert page.tags[:2] == ["div", "h1"] and "h2" in page.tags and "li" in page.tags
    text = "".join(page.text)
    assert "Overall summary" in text and re.search(r"\(p\. \d+\)", text) and "Provenance" in text
    extra = export(parks, Format.ZOTERO_EXTRA).decode("utf-8").splitlines()
    labels = [line.split(":")[0] for line in extra]
    assert labels == ["Research question", "Method", "Data", "Key results"], extra
    assert "40 sensors" in extra[2] and "91.2%" in extra[3]
    # a run with nothing for a line leaves it out
    bare = _run("# Notes\n\nThe committee met on Tuesday and agreed on three changes to the plan.", "n.md", floats=False)
    assert "Research question" not in export(bare, Format.ZOTERO_EXTRA).decode("utf-8")


def test_html_page_is_standalone_inert_and_carries_its_provenance(parks):
    page_text = export(parks, Format.HTML, {"Figure 2": _png()}, WHEN).decode("utf-8")
    page = assert_inert_html(page_text)
    csp = [v for t, k, v in page.attrs if t == "meta" and k == "content" and "default-src" in v]
    assert csp == ["default-src 'none'; img-src data:; style-src 'unsafe-inline'"]
    assert ("meta", "http-equiv", "Content-Security-Policy") in page.attrs
    assert page.tags.count("img") == 1 and "table" in page.tags
    text = "".join(page.text)
    for fact in ("Backend", "extractive", "Generated", "2026-03-01 12:00 UTC", "Cost", "none (offline)",
                 "Unverified numbers", "Key results", "Table 1 (p. 2): Street temperatures",
                 "Figure shows (test-model): A map of six parks"):
        assert fact in text, fact


def test_docx_opens_with_headings_bullets_tables_figure_and_provenance(parks):
    import docx

    settings = Settings(backend="llm", model="gpt-test", base_url="https://user:secret@api.example.com:8443/v1",
                        api_key="sk-live-0000")
    provenance = Provenance.of(parks, settings, WHEN)
    data = export(parks, Format.DOCX, {"Figure 2": _png()}, WHEN, provenance=provenance)
    document = docx.Document(io.BytesIO(data))
    styles = [(p.style.name, p.text) for p in document.paragraphs]
    headings = [t for s, t in styles if s.startswith("Heading") or s == "Title"]
    assert headings[0] == "Parks Cool Their Streets" and "Overall summary" in headings and "4 Results" in headings
    bullets = [t for s, t in styles if s.startswith("List")]
    assert bullets and any(re.search(r"\(p\. \d+\)", t) for t in bullets)
    cells = [[c.text for c in row.cells] for table in document.tables for row in table.rows]
    assert ["Distance", "Cooling"] in cells and ["Measure", "Value", "Against", "Source"] in cells
    assert any(t.startswith("Figure shows (test-model): A map of six parks with the cooled") for _, t in styles)
    provenance_rows = dict(r for r in cells if len(r) == 2)
    assert provenance_rows["Model"] == "gpt-test" and provenance_rows["Endpoint host"] == "api.example.com:8443"
    assert provenance_rows["Unverified numbers"] == "0" and provenance_rows["Cost"] == "not priced"  # no price known
    assert provenance_rows["Prompts"].startswith("set ") and provenance_rows["Generated"] == "2026-03-01 12:00 UTC"
    assert len(document.inline_shapes) == 1
    everything = "\n".join(t for _, t in styles) + json.dumps(cells)
    assert "secret" not in everything and "sk-live" not in everything and "user" not in everything


# -- hostile documents, every format ------------------------------------------------------------------------

@pytest.mark.parametrize("fmt", list(Format))
def test_a_hostile_document_is_inert_in_every_format(hostile, fmt):
    data = export(hostile, fmt, {"Figure 2": _png()}, WHEN)
    if fmt == Format.DOCX:
        import docx

        text = "\n".join(p.text for p in docx.Document(io.BytesIO(data)).paragraphs)
        assert "<script>alert(1)</script>" in text  # shown as the text it is
        return
    text = data.decode("utf-8")
    if fmt in (Format.HTML, Format.ZOTERO):
        assert "<script>alert(1)</script>" in "".join(assert_inert_html(text).text)
    elif fmt in (Format.MD, Format.OBSIDIAN):
        body = text.split("\n---\n", 1)[1] if fmt == Format.OBSIDIAN else text
        assert not re.search(r"(?<!\\)<(script|img)", body) and not re.search(r"(?<!\\)\]\(javascript:", body)
        if fmt == Format.OBSIDIAN:
            assert front_matter(text)["title"] == hostile.document.title
    elif fmt == Format.BIB:
        entry = _bib(text).entries[0]
        assert "<script>alert(1)</script>" in entry["title"] and re.fullmatch(r"[a-z0-9_]+", entry.key)
    elif fmt == Format.RIS:
        assert ("TI", " ".join(hostile.document.title.split())) in assert_ris(text)
    elif fmt == Format.JSON:
        assert json.loads(text)["title"] == hostile.document.title
    else:
        assert "<script" not in text or fmt == Format.ZOTERO_EXTRA


def test_control_characters_do_not_break_word_or_yaml():
    import docx

    result = _run(title="Bad\x00 title\x0b with\x1f controls\u2028", authors=["A\x07 B"], floats=False)
    document = docx.Document(io.BytesIO(export(result, Format.DOCX, when=WHEN)))
    assert document.paragraphs[0].text == "Bad title with controls"
    assert front_matter(export(result, Format.OBSIDIAN, when=WHEN).decode("utf-8"))["title"] == result.document.title


# -- the registry and file names -----------------------------------------------------------------------------

@pytest.mark.parametrize("title", ['a/b\\c:d*e?f"g<h>i|j', "CON", "nul.txt", "com1", "name...", "..hidden",
                                   "x\u202egnp.exe", "tab\there\x00nul", "论文 标题", "é" * 200, "", "???", HOSTILE])
def test_safe_file_names_for_hostile_titles(title):
    doc = parse_text("# T\n\nSome words here.", "pasted text")
    doc.title = title
    for fmt in Format:
        name = file_name(doc, fmt)
        base = name[: -len(fmt.suffix)]
        assert name.endswith(fmt.suffix) and len(name.encode("utf-8")) <= 120
        assert re.fullmatch(r"[\w\-.]+", base) and not base.startswith(".") and not base.endswith(".")
        assert not re.match(r"(?i)(con|prn|aux|nul|com\d|lpt\d)(\.|$)", base)


def test_registry_parses_formats_and_names_files():
    assert parse_formats("md,bib") == [Format.MD, Format.BIB]
    assert parse_formats(["obsidian", "bib,obsidian", " RIS "]) == [Format.OBSIDIAN, Format.BIB, Format.RIS]
    with pytest.raises(InputError) as refused:
        parse_formats("md,pdf")
    message = str(refused.value)
    assert "\n" not in message and "'pdf'" in message and all(f.value in message for f in Format)
    assert all(f.suffix and f.media_type for f in Format) and [f for f in Format if f.binary] == [Format.DOCX]
    assert len({f.suffix for f in Format}) == len(Format)
    assert [output_stem(n) for n in ("paper.summary.md", "paper.md", "refs.bib", "paper", "x.zotero.html")] == [
        "paper", "paper", "refs", "paper", "x"]
    assert file_names([Format.MD, Format.OBSIDIAN], "My Paper") == {Format.MD: "My_Paper.summary.md",
                                                                   Format.OBSIDIAN: "My_Paper.md"}


def test_export_files_writes_linked_figures_once(parks):
    files = export_files(parks, file_names([Format.MD, Format.OBSIDIAN, Format.BIB], "parks"),
                         figures={"Figure 2": _png()}, assets="parks_assets", when=WHEN)
    assert set(files) == {"parks.summary.md", "parks.md", "parks.bib", "parks_assets/figure-2.png"}
    assert "![Figure 2](parks_assets/figure-2.png)" in files["parks.summary.md"].decode("utf-8")


def test_one_zip_holds_every_format_and_the_figures_the_notes_link(parks):
    """The app's one-click download: every format under the document's name, the figures in the folder the Markdown
    and Obsidian notes link, so the zip unpacked into a vault keeps its links."""
    import zipfile

    from summarizer.output.formats import export_bundle

    data = export_bundle(parks, figures={"Figure 2": _png()}, when=WHEN)
    with zipfile.ZipFile(io.BytesIO(data)) as bundle:
        names = set(bundle.namelist())
        assert names == {f"parks{f.suffix}" for f in Format} | {"parks_assets/figure-2.png"}
        assert "![Figure 2](parks_assets/figure-2.png)" in bundle.read("parks.md").decode("utf-8")
        assert bundle.read("parks_assets/figure-2.png") == _png()
        assert front_matter(bundle.read("parks.md").decode("utf-8"))["title"] == parks.document.title


def test_exports_of_a_real_paper():
    folder = corpus_papers()
    import docx

    from summarizer.inputs.loading import load_path
    from summarizer.output.figures import figure_images
    from summarizer.pdf.floats import locate_floats

    pdf = folder / "radiotherapy-dose-rl-aime2024.pdf"
    data = pdf.read_bytes()
    doc = load_path(str(pdf), "pymupdf", 40)
    locate_floats(data, doc.floats)
    result = summarize_document(doc, Settings(backend="extractive"))
    figures = figure_images(doc, data)
    files = export_files(result, file_names(list(Format), "paper"), figures=figures, assets="paper_assets", pdf=data,
                         when=WHEN)
    entry = _bib(files["paper.bib"].decode("utf-8")).entries[0]
    assert entry.key == "fenogliettoradiotherapy" and entry["author"] == "Pascal Fenoglietto"
    # each figure placed under its section is linked by the notes and embedded by Word and the page, once
    linked = [line for line in files["paper.summary.md"].decode("utf-8").splitlines() if line.startswith("![Figure")]
    assert len(linked) >= 3 and all(files[line[line.index("(") + 1:-1]].startswith(b"\x89PNG") for line in linked)
    note = files["paper.md"].decode("utf-8")
    assert front_matter(note)["citekey"] == "fenogliettoradiotherapy" and note.count("](paper_assets/figure-") == len(linked)
    assert len(docx.Document(io.BytesIO(files["paper.docx"])).inline_shapes) == len(linked)
    assert assert_inert_html(files["paper.html"].decode("utf-8")).tags.count("img") == len(linked)
    assert_ris(files["paper.ris"].decode("utf-8"))
    assert set(files) >= {f"paper_assets/{figure_file(label)}" for label in figures}


# -- the command line and the batch --------------------------------------------------------------------------

def _cli(*args, cwd, home):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "SUMMARIZER_HOME": str(home)}
    return subprocess.run([sys.executable, "-m", "summarizer", *args], capture_output=True, text=True, env=env,
                          cwd=cwd, timeout=120)


def test_cli_writes_several_formats_and_refuses_what_it_cannot(tmp_path):
    (tmp_path / "parks.md").write_text(PAPER, encoding="utf-8")
    home = tmp_path / "home"
    done = _cli("summarize", "parks.md", "--format", "md,obsidian", "--format", "bib,docx", "-o", "out.summary.md",
                "--no-history", cwd=tmp_path, home=home)
    assert done.returncode == 0, done.stderr
    for name in ("out.summary.md", "out.md", "out.bib", "out.docx"):
        assert (tmp_path / name).stat().st_size > 0, name
    assert front_matter((tmp_path / "out.md").read_text(encoding="utf-8"))["title"] == "Parks Cool Their Streets"
    printed = _cli("summarize", "parks.md", "--format", "bib", "--no-history", "-q", cwd=tmp_path, home=home)
    assert printed.returncode == 0 and _raw_bib(printed.stdout).entries[0]["title"] == "Parks Cool Their Streets"
    (tmp_path / "ferry.txt").write_text("Ferry returns after repairs\n\nThe harbour ferry returned on Monday after two "
                                        "weeks of repairs, the port said. Passengers welcomed the return.", encoding="utf-8")
    empty = _cli("summarize", "ferry.txt", "--format", "zotero-extra", "--no-history", "-q", cwd=tmp_path, home=home)
    assert empty.returncode == 0 and "#" not in empty.stdout  # an article's empty Extra field, never the Markdown
    for args, says in ((["--format", "pdf"], "Unknown format 'pdf'; choose from md, obsidian,"),
                       (["--format", "docx"], "--format docx is a binary file and is not printed: give -o PATH."),
                       (["--format", "md,bib"], "Several formats are written as files: give -o PATH")):
        refused = _cli("summarize", "parks.md", *args, cwd=tmp_path, home=home)
        assert refused.returncode == 2 and refused.stdout == ""
        assert refused.stderr.count("\n") == 1 and refused.stderr.startswith(f"error: {says}"), refused.stderr


def test_cli_history_export_in_a_format(tmp_path):
    (tmp_path / "parks.md").write_text(PAPER, encoding="utf-8")
    home = tmp_path / "home"
    assert _cli("summarize", "parks.md", "-q", "-o", "p.md", cwd=tmp_path, home=home).returncode == 0
    listed = json.loads(_cli("history", "list", "--json", cwd=tmp_path, home=home).stdout)
    ris = _cli("history", "export", listed[0]["id"], "--format", "ris", cwd=tmp_path, home=home)
    assert ris.returncode == 0 and ("TI", "Parks Cool Their Streets") in assert_ris(ris.stdout)
    refused = _cli("history", "export", listed[0]["id"], "--format", "docx", cwd=tmp_path, home=home)
    assert refused.returncode == 2 and "give -o PATH" in refused.stderr


def test_batch_writes_formats_per_document_an_index_note_and_one_bibliography(tmp_path):
    from summarizer.run.batch import run_batch

    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "one.md").write_text(PAPER, encoding="utf-8")
    (folder / "two.md").write_text(PAPER.replace("Published in 2023.", "Published in 2023. A second study."),
                                   encoding="utf-8")  # the same key: smith… no author, same title word and year
    out = tmp_path / "out"
    formats = (Format.OBSIDIAN, Format.BIB, Format.RIS, Format.HTML)
    report = run_batch(folder, out, Settings(backend="extractive"), history=False, formats=formats)
    assert report.done == 2
    for stem in ("one", "two"):
        for name in (f"{stem}.bib", f"{stem}.ris", f"{stem}.html", f"obsidian/{stem}.md", f"{stem}.summary.md"):
            assert (out / name).is_file(), name
    index = (out / "obsidian" / "Index.md").read_text(encoding="utf-8")
    assert "[[one|Parks Cool Their Streets]]" in index and "[[two|Parks Cool Their Streets]]" in index
    keys = [e.key for e in _bib((out / "references.bib").read_text(encoding="utf-8")).entries]
    assert keys == ["parks2023cool", "parks2023coolb"]
    assert (out / "references.ris").read_text(encoding="utf-8").count("ER  - ") == 2
    # a re-run adds what a finished document lacks, without summarizing it again
    (out / "one.bib").unlink()
    again = run_batch(folder, out, Settings(backend="extractive"), history=False, formats=formats)
    assert again.skipped == 2 and (out / "one.bib").read_text(encoding="utf-8").startswith("@misc{parks2023cool,")


def test_the_cli_reads_a_pdf_once_for_its_tables_figures_and_formats(tmp_path, paper_pdf, monkeypatch, capsys):
    """--tables, the figures beside the notes and the paper's record each need the PDF's bytes: read once for them
    all (and once by the parser)."""
    from summarizer.cli import main as cli

    pdf = tmp_path / "paper.pdf"
    pdf.write_bytes(paper_pdf)
    monkeypatch.setenv("SUMMARIZER_HOME", str(tmp_path / "home"))
    reads = []
    real_open = open

    def counting_open(file, *args, **kwargs):
        if str(file) in (str(pdf), str(pdf.resolve())):
            reads.append(file)
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr("builtins.open", counting_open)
    monkeypatch.setattr("io.open", counting_open)  # Path.read_bytes opens through io.open
    cli._pdf_bytes.cache_clear()
    code = cli.main(["summarize", str(pdf), "--tables", "--format", "md,docx", "-o", str(tmp_path / "paper.md"),
                     "--no-history", "-q"])
    assert code == 0, capsys.readouterr().err
    assert len(reads) == 2 and (tmp_path / "paper.docx").stat().st_size > 0
