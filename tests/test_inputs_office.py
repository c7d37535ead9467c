"""Word, EPUB, PowerPoint and OpenDocument text in: each file is made here with the library a user's program would
use (python-docx, ebooklib, python-pptx; the ODT zip written by hand), read by ``load_bytes``, and its sections
checked; every bad input is refused in one sentence."""

from __future__ import annotations

import io
import re
import struct
import subprocess
import sys
import zipfile

import pytest
from conftest import ROOT
from test_cli import run_cli

from summarizer.inputs.loading import load_bytes
from summarizer.inputs.text_parser import parse_text
from summarizer.model.errors import InputError

# --- the inputs, made with the libraries that make them -------------------------------------------------------------


def make_docx(*, core_title: str = "", author: str = "Ada Lovelace; Charles Babbage") -> bytes:
    import docx

    d = docx.Document()
    d.core_properties.title = core_title
    d.core_properties.author = author
    d.add_paragraph("Sparrow: Fast Retrieval for Long Documents", style="Title")
    d.add_heading("Abstract", 1)
    d.add_paragraph("We present Sparrow, a retrieval method for long documents. It answers queries in 12 ms.")
    d.add_heading("1 Introduction", 1)
    d.add_paragraph("Long documents are hard to search. Our study shows why existing methods are slow.")
    d.add_paragraph("First contribution: a compact index.", style="List Bullet")
    d.add_paragraph("Second contribution: a fast scorer.", style="List Number")
    d.add_heading("2 Methods", 1)
    d.add_paragraph("The method builds an index of passages and scores them with BM25.")
    d.add_heading("2.1 Index construction", 2)
    d.add_paragraph("Each passage is split into sentences and hashed.")
    table = d.add_table(rows=3, cols=2)
    for r, row in enumerate([("Dataset", "Latency"), ("Wiki", "12 ms"), ("News", "9 ms")]):
        for c, value in enumerate(row):
            table.cell(r, c).text = value
    d.add_paragraph("Table 1: Latency per dataset.", style="Caption")
    d.add_heading("3 Results", 1)
    d.add_paragraph("Sparrow is 3 times faster than the baseline on all datasets.")
    return _saved(d)


def _saved(document) -> bytes:
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def make_chinese_docx() -> bytes:
    import docx

    d = docx.Document()
    d.core_properties.author = "张三"
    d.add_paragraph("基于图神经网络的交通流量预测", style="Title")
    d.add_heading("摘要", 1)
    d.add_paragraph(ZH["摘要"])
    for title in ("一、引言", "二、研究方法", "三、实验结果"):
        d.add_heading(title, 1)
        d.add_paragraph(ZH[title])
    return _saved(d)


ZH = {"摘要": "本文提出一种基于图神经网络的交通流量预测方法。实验表明，该方法将预测误差降低了12.5%。",
      "一、引言": "城市交通拥堵日益严重。准确的流量预测对交通管理十分重要。",
      "二、研究方法": "我们构建了路网图，并使用时空卷积模型学习流量变化规律。",
      "三、实验结果": "在北京数据集上，模型的平均绝对误差为3.2，优于所有基线方法。"}


def make_pptx(*, images_only: bool = False) -> bytes:
    from pptx import Presentation
    from pptx.util import Inches

    deck = Presentation()
    deck.core_properties.author = "Grace Hopper"
    if images_only:
        for _ in range(2):
            slide = deck.slides.add_slide(deck.slide_layouts[6])  # blank
            slide.shapes.add_picture(io.BytesIO(_png()), Inches(1), Inches(1))
        return _saved(deck)
    slide = deck.slides.add_slide(deck.slide_layouts[0])
    slide.shapes.title.text = "Sparrow: Fast Retrieval"
    slide.placeholders[1].text = "Grace Hopper, Navy Lab"
    slide = deck.slides.add_slide(deck.slide_layouts[1])
    slide.shapes.title.text = "Introduction"
    frame = slide.placeholders[1].text_frame
    frame.text = "Long documents are slow to search"
    frame.add_paragraph().text = "Existing indexes use too much memory"
    slide.notes_slide.notes_text_frame.text = "We show that existing methods waste 40 percent of their time."
    slide = deck.slides.add_slide(deck.slide_layouts[6])  # blank: no title placeholder
    slide.shapes.add_textbox(Inches(1), Inches(1), Inches(6), Inches(1)).text_frame.text = \
        "Sparrow answers queries in 12 ms on average."
    slide = deck.slides.add_slide(deck.slide_layouts[5])  # title only, a table and a text box
    slide.shapes.title.text = "Results"
    # the text box is drawn first but sits lower: reading order is top to bottom
    slide.shapes.add_textbox(Inches(1), Inches(4), Inches(6), Inches(1)).text_frame.text = \
        "Sparrow is three times faster than the baseline."
    table = slide.shapes.add_table(2, 2, Inches(1), Inches(2), Inches(4), Inches(1)).table
    for (r, c), value in zip([(0, 0), (0, 1), (1, 0), (1, 1)], ["Dataset", "Latency", "Wiki", "12 ms"]):
        table.cell(r, c).text = value
    deck.slides.add_slide(deck.slide_layouts[5]).shapes.title.text = "Questions"  # a title and nothing else
    return _saved(deck)


def _png() -> bytes:
    import zlib

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00")) + chunk(b"IEND", b""))


EPUB_CHAPTERS = [
    ("intro.xhtml", "Introduction",
     "<h1>Introduction</h1><p>Long documents are hard to search. We study why.</p>"
     "<h2>Motivation</h2><p>Readers need answers in 12&#160;ms or less.<a epub:type='noteref' href='#n1'>1</a></p>"
     "<ul><li>Fast answers matter.</li></ul><aside epub:type='footnote' id='n1'><p>A footnote.</p></aside>"),
    ("method.xhtml", "Methods",
     "<h1>Methods</h1><p>The method builds an index of passages.</p>"
     "<table><tr><th>Dataset</th><th>Latency</th></tr><tr><td>Wiki</td><td>12 ms</td></tr></table>"
     "<h2>Scoring</h2><p>Passages are scored with BM25 and a learned weight.</p>"),
    ("method2.xhtml", "Methods (continued)", "<p>The weight is learned from 1,000 queries.</p>"),
    ("results.xhtml", "Results", "<h1>Results</h1><p>Sparrow is 3 times faster than the baseline.</p>"),
]


def make_epub(chapters=EPUB_CHAPTERS, *, toc_names: bool = False) -> bytes:
    from ebooklib import epub

    book = epub.EpubBook()
    book.set_identifier("sparrow-1")
    book.set_title("The Sparrow Book")
    book.set_language("en")
    book.add_author("Alan Turing")
    items = []
    for file_name, title, body in chapters:
        chapter = epub.EpubHtml(title=title, file_name=file_name, lang="en")
        chapter.content = f"<html xmlns:epub='http://www.idpf.org/2007/ops'><head><title>{title}</title></head>" \
                          f"<body>{body}</body></html>"
        book.add_item(chapter)
        items.append(chapter)
    book.toc = items if toc_names else [i for i in items if "continued" not in i.title]
    book.add_item(epub.EpubNcx())
    book.add_item(epub.EpubNav())
    book.spine = ["nav", *items]
    out = io.BytesIO()
    epub.write_epub(out, book)
    return out.getvalue()


def with_entries(package: bytes, entries: dict[str, bytes | str]) -> bytes:
    """The zip ``package`` with ``entries`` added, or put in place of those of the same name."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(package)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            if info.filename not in entries:
                target.writestr(info, source.read(info))
        for name, data in entries.items():
            target.writestr(name, data)
    return out.getvalue()


ODF = ('xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
       'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
       'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
       'xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0" '
       'xmlns:meta="urn:oasis:names:tc:opendocument:xmlns:meta:1.0" xmlns:dc="http://purl.org/dc/elements/1.1/"')
ODT_BODY = (
    '<text:table-of-content><text:index-body><text:p>Introduction 1</text:p></text:index-body></text:table-of-content>'
    '<text:p text:style-name="P1">Sparrow: Fast Retrieval</text:p>'
    '<text:h text:outline-level="1">Introduction</text:h>'
    '<text:p>Long documents are<text:s text:c="3"/>hard to search.<text:note><text:note-citation>1</text:note-citation>'
    '<text:note-body><text:p>A footnote.</text:p></text:note-body></text:note> We study why.</text:p>'
    '<text:list><text:list-item><text:p>A compact index.</text:p></text:list-item>'
    '<text:list-item><text:p>A fast scorer.</text:p></text:list-item></text:list>'
    '<text:h text:outline-level="1">Methods</text:h>'
    '<text:p>The method builds an index of passages.</text:p>'
    '<text:h text:outline-level="2">Scoring</text:h>'
    '<text:p>Passages are scored with BM25.</text:p>'
    '<table:table table:name="T1"><table:table-row><table:table-cell><text:p>Dataset</text:p></table:table-cell>'
    '<table:table-cell><text:p>Latency</text:p></table:table-cell></table:table-row>'
    '<table:table-row><table:table-cell><text:p>Wiki</text:p></table:table-cell>'
    '<table:table-cell><text:p>12 ms</text:p></table:table-cell></table:table-row></table:table>'
    '<text:h text:outline-level="1">Results</text:h>'
    '<text:p>Sparrow is 3 times faster than the baseline.</text:p>'
    '<text:h text:outline-level="1">References</text:h>'
    '<text:bibliography><text:index-body><text:index-title><text:p>Bibliography</text:p></text:index-title>'
    '<text:p>Robertson, S. The probabilistic relevance framework: BM25. 2009.</text:p></text:index-body>'
    '</text:bibliography>'
    '<text:alphabetical-index><text:index-body><text:p>BM25, 2</text:p></text:index-body></text:alphabetical-index>')


def make_odt(body: str = ODT_BODY, *, meta_title: str | None = None,
             mimetype: str = "application/vnd.oasis.opendocument.text", encrypted: bool = False) -> bytes:
    """An ODT as LibreOffice lays it out: ``mimetype`` first and stored, then content, meta and the manifest."""
    content = (f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {ODF} office:version="1.3">'
               '<office:automatic-styles><style:style style:name="P1" style:family="paragraph" '
               'style:parent-style-name="Title"/></office:automatic-styles>'
               f'<office:body><office:text>{body}</office:text></office:body></office:document-content>')
    meta = (f'<?xml version="1.0" encoding="UTF-8"?><office:document-meta {ODF} office:version="1.3"><office:meta>'
            + (f"<dc:title>{meta_title}</dc:title>" if meta_title else "")
            + "<meta:initial-creator>Ada Lovelace</meta:initial-creator><dc:creator>Last Editor</dc:creator>"
            "</office:meta></office:document-meta>")
    encryption = ('<manifest:encryption-data manifest:checksum-type="SHA1/1K" manifest:checksum="AAAA">'
                  '<manifest:algorithm manifest:algorithm-name="Blowfish CFB" manifest:initialisation-vector="AAAA"/>'
                  '</manifest:encryption-data>') if encrypted else ""
    manifest = ('<?xml version="1.0" encoding="UTF-8"?><manifest:manifest '
                'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.3">'
                f'<manifest:file-entry manifest:full-path="/" manifest:media-type="{mimetype}"/>'
                f'<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml">{encryption}'
                "</manifest:file-entry></manifest:manifest>")
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr(zipfile.ZipInfo("mimetype"), mimetype)
        z.writestr("content.xml", b"\x8f\x12 ciphertext" if encrypted else content.encode(), zipfile.ZIP_DEFLATED)
        z.writestr("meta.xml", meta, zipfile.ZIP_DEFLATED)
        z.writestr("META-INF/manifest.xml", manifest, zipfile.ZIP_DEFLATED)
    return out.getvalue()


def make_ole(streams: dict[str, bytes]) -> bytes:
    """An OLE compound file (version 3, 512-byte sectors) holding ``streams``, as Word writes an encrypted package
    (``EncryptionInfo`` + ``EncryptedPackage``) or an old .doc (``WordDocument`` …). Each stream is padded to
    4,096 bytes, the mini-stream cutoff, so it lives in ordinary sectors and the file needs no mini FAT."""
    end, free, fat_mark, none = 0xFFFFFFFE, 0xFFFFFFFF, 0xFFFFFFFD, 0xFFFFFFFF
    sectors_each = 8
    fat = [fat_mark, end]  # sector 0: the FAT; sector 1: the directory
    starts = []
    for _ in streams:
        first = len(fat)
        starts.append(first)
        fat += [first + i + 1 for i in range(sectors_each - 1)] + [end]
    fat += [free] * (128 - len(fat))

    def entry(name: str, kind: int, child: int, right: int, start: int, size: int) -> bytes:
        encoded = (name + "\0").encode("utf-16-le")
        return (encoded.ljust(64, b"\0") + struct.pack("<HBB", len(encoded), kind, 1)
                + struct.pack("<III", none, right, child) + b"\0" * 16 + b"\0" * 4 + b"\0" * 16
                + struct.pack("<IQ", start, size))

    names = list(streams)
    directory = entry("Root Entry", 5, 1, none, end, 0)
    for i, name in enumerate(names):
        directory += entry(name, 2, none, i + 2 if i + 1 < len(names) else none, starts[i], 4096)
    directory = directory.ljust(512, b"\0")
    header = (bytes.fromhex("D0CF11E0A1B11AE1") + b"\0" * 16 + struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6)
              + b"\0" * 6 + struct.pack("<IIIIIIIII", 0, 1, 1, 0, 4096, end, 0, end, 0)
              + struct.pack("<I", 0) + struct.pack("<I", free) * 108)
    body = b"".join(data.ljust(4096, b"\0")[:4096] for data in streams.values())
    return header + struct.pack("<128I", *fat) + directory + body


ENCRYPTED_DOCX = {"EncryptionInfo": b"\x04\x00\x04\x00\x40\x00\x00\x00", "EncryptedPackage": b"\x8f" * 4096}


def one_sentence(message: str) -> bool:
    return "\n" not in message and "Traceback" not in message and message.endswith(".") \
        and not re.search(r"[.!?;]\s+[A-Z]", message)


def refused(data: bytes, name: str) -> str:
    with pytest.raises(InputError) as caught:
        load_bytes(data, name)
    message = str(caught.value)
    assert one_sentence(message), message
    assert f"'{name}'" in message
    return message


# --- Word -----------------------------------------------------------------------------------------------------------


def test_docx_headings_lists_tables_and_properties():
    doc = load_bytes(make_docx(), "paper.docx")
    assert doc.title == "Sparrow: Fast Retrieval for Long Documents"  # the Title style; the core title is empty
    assert doc.authors == ["Ada Lovelace", "Charles Babbage"]
    assert [(s.title, s.level, s.kind) for s in doc.sections] == [
        ("Abstract", 1, "abstract"), ("1 Introduction", 1, "introduction"), ("2 Methods", 1, "method"),
        ("2.1 Index construction", 2, "method"), ("3 Results", 1, "results")]
    assert doc.language == "en" and doc.genre == "paper" and doc.abstract.startswith("We present Sparrow")
    intro = doc.sections[1]
    assert [b.kind for b in intro.blocks] == ["paragraph"] * 3  # each list item a prose paragraph
    assert intro.paragraphs[2].text == "Second contribution: a fast scorer."
    index = doc.sections[3]
    assert [b.kind for b in index.blocks] == ["paragraph", "table", "caption"]
    assert index.blocks[1].text == "Dataset | Latency\nWiki | 12 ms\nNews | 9 ms"
    assert "Latency" not in doc.text and "Table 1" not in doc.text  # table and caption are not prose
    assert doc.notices == []


def test_docx_core_title_and_outline_levels():
    """The core properties' title wins over the Title paragraph; a custom style with an outline level is a
    heading at that level; the python-docx template's author is no person."""
    import docx
    from docx.enum.style import WD_STYLE_TYPE
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    d = docx.Document()
    d.core_properties.title = "Core Title"
    d.add_paragraph("Visible Title", style="Title")
    chapter = d.styles.add_style("Chapter Head", WD_STYLE_TYPE.PARAGRAPH)
    level = OxmlElement("w:outlineLvl")
    level.set(qn("w:val"), "0")
    chapter.element.get_or_add_pPr().append(level)
    d.add_paragraph("Background", style="Chapter Head")
    d.add_paragraph("Prior systems index every sentence, which costs memory.")
    sub = d.add_paragraph("Why memory matters")
    sub_level = OxmlElement("w:outlineLvl")
    sub_level.set(qn("w:val"), "1")
    sub._p.get_or_add_pPr().append(sub_level)
    d.add_paragraph("Phones have little of it.")
    d.add_paragraph("Conclusion", style="Heading 1")
    d.add_paragraph("Less memory is better.")
    doc = load_bytes(_saved(d), "core.docx")
    assert doc.title == "Core Title" and doc.authors == []
    assert [(s.title, s.level, s.kind) for s in doc.sections] == [
        ("Background", 1, "background"), ("Why memory matters", 2, "background"), ("Conclusion", 1, "conclusion")]
    assert "Visible Title" not in doc.text


def test_docx_title_from_a_lone_top_heading():
    """No title in the properties or the Title style: a lone Heading 1 above Heading 2 sections is the title,
    as "# Title" above "## Sections" is in Markdown."""
    import docx

    d = docx.Document()
    d.add_heading("Sparrow field notes", 1)
    for title, text in (("Introduction", "Long documents are slow to search."), ("Methods", "We index passages.")):
        d.add_heading(title, 2)
        d.add_paragraph(text)
    doc = load_bytes(_saved(d), "notes.docx")
    assert doc.title == "Sparrow field notes"
    assert [(s.title, s.level) for s in doc.sections] == [("Introduction", 1), ("Methods", 1)]


def test_chinese_docx_reads_as_pasted_chinese_text():
    doc = load_bytes(make_chinese_docx(), "论文.docx")
    assert doc.title == "基于图神经网络的交通流量预测" and doc.authors == ["张三"]
    assert [(s.title, s.kind) for s in doc.sections] == [("摘要", "abstract"), ("一、引言", "introduction"),
                                                        ("二、研究方法", "method"), ("三、实验结果", "results")]
    pasted = parse_text("# 基于图神经网络的交通流量预测\n\n" + "\n\n".join(f"## {t}\n\n{p}" for t, p in ZH.items()))
    assert doc.language == pasted.language == "zh"
    assert doc.genre == pasted.genre == "paper"
    assert [s.kind for s in doc.sections] == [s.kind for s in pasted.sections]
    assert doc.sections[3].text == ZH["三、实验结果"]


def test_docx_without_headings_reads_as_text_and_keeps_its_table():
    import docx

    d = docx.Document()
    d.core_properties.author = "python-docx"
    lines = ["The council approved a budget of 3,000 dollars on Monday after a long debate.",
             "The vote was 5 to 2; the mayor said the schools would get most of it.",
             "Parents welcomed the plan at the meeting."]
    d.add_paragraph(lines[0])
    table = d.add_table(rows=2, cols=2)
    for (r, c), value in zip([(0, 0), (0, 1), (1, 0), (1, 1)], ["Item", "Dollars", "Schools", "2,000"]):
        table.cell(r, c).text = value
    for line in lines[1:]:
        d.add_paragraph(line)
    doc = load_bytes(_saved(d), "budget.docx")
    assert doc.genre == "article" and [s.title for s in doc.sections] == ["Article"]  # as the same text pasted
    assert doc.authors == []
    blocks = doc.sections[0].blocks
    assert [b.kind for b in blocks] == ["paragraph", "table", "paragraph", "paragraph"]
    assert blocks[1].text == "Item | Dollars\nSchools | 2,000" and "Dollars" not in doc.text


# --- EPUB -----------------------------------------------------------------------------------------------------------


def test_epub_chapters_in_spine_order_with_their_headings():
    doc = load_bytes(make_epub(), "book.epub")
    assert doc.title == "The Sparrow Book" and doc.authors == ["Alan Turing"]
    assert [(s.title, s.level, s.kind) for s in doc.sections] == [
        ("Introduction", 1, "introduction"), ("Motivation", 2, "introduction"), ("Methods", 1, "method"),
        ("Scoring", 2, "method"), ("Results", 1, "results")]
    motivation, methods, scoring = doc.sections[1], doc.sections[2], doc.sections[3]
    assert motivation.text == "Readers need answers in 12 ms or less.\n\nFast answers matter."  # no note mark
    assert "footnote" not in doc.text and "Table of contents" not in doc.text  # the nav page is no chapter
    assert [b.kind for b in methods.blocks] == ["paragraph", "table"] and "Latency" not in doc.text
    # a chapter file without a heading that the table of contents does not name continues the section before it
    assert scoring.text.endswith("The weight is learned from 1,000 queries.")
    assert doc.language == "en" and doc.genre == "paper"


def test_epub_title_page_and_chapters_that_are_not_well_formed_xml():
    """A title page repeating the book's title is not a section; a chapter written as HTML rather than XHTML
    (an entity without its DTD, a tag left open) is read by the HTML parser."""
    book = make_epub([("title.xhtml", "Title", "<h1>The Sparrow Book</h1><p>Alan Turing, 1950</p>")] + EPUB_CHAPTERS)
    sloppy = ("<html><head><title>Introduction</title></head><body><h1>Introduction</h1>"
              "<p>Long documents are&nbsp;<em>hard<br>to</em> search.<br>We study why.</body></html>")
    doc = load_bytes(with_entries(book, {"EPUB/intro.xhtml": sloppy}), "book.epub")
    assert [s.title for s in doc.sections][:3] == ["Preamble", "Introduction", "Methods"]
    assert doc.sections[0].text == "Alan Turing, 1950"
    assert doc.sections[1].text == "Long documents are hard to search. We study why."


def test_epub_chapter_without_heading_takes_its_table_of_contents_name():
    doc = load_bytes(make_epub(toc_names=True), "book.epub")
    assert [s.title for s in doc.sections] == ["Introduction", "Motivation", "Methods", "Scoring",
                                               "Methods (continued)", "Results"]


# --- PowerPoint -----------------------------------------------------------------------------------------------------


def test_pptx_one_section_per_slide_paged_by_slide_number():
    doc = load_bytes(make_pptx(), "deck.pptx")
    assert doc.title == "Sparrow: Fast Retrieval" and doc.authors == ["Grace Hopper"] and doc.page_count == 5
    assert [(s.title, s.level, s.page_start, s.page_end) for s in doc.sections] == [
        ("Sparrow: Fast Retrieval", 1, 1, 1), ("Introduction", 1, 2, 2), ("Slide 3", 1, 3, 3), ("Results", 1, 4, 4),
        ("Questions", 1, 5, 5)]
    assert all(b.page == s.page_start for s in doc.sections for b in s.blocks)
    intro = doc.sections[1]
    assert intro.kind == "introduction"
    # the speaker notes are prose of their slide, after its bullets
    assert [b.text for b in intro.blocks] == ["Long documents are slow to search", "Existing indexes use too much memory",
                                              "We show that existing methods waste 40 percent of their time."]
    results = doc.sections[3]
    assert [b.kind for b in results.blocks] == ["table", "paragraph"]  # top to bottom, not drawing order
    assert results.blocks[0].text == "Dataset | Latency\nWiki | 12 ms" and "Latency" not in doc.text


def test_pptx_page_marks_name_the_slide(tmp_path):
    """End to end with the offline backend: a bullet from slide 3 is marked p. 3."""
    from summarizer.config.settings import Settings
    from summarizer.output.render import render_markdown
    from summarizer.run.engine import summarize_document

    doc = load_bytes(make_pptx(), "deck.pptx")
    result = summarize_document(doc, Settings(backend="extractive"))
    markdown = render_markdown(result)
    assert "- Sparrow answers queries in 12 ms on average (p. 3)." in markdown, markdown
    assert "- We show that existing methods waste 40 percent of their time (p. 2)." in markdown  # from the notes


# --- OpenDocument text ----------------------------------------------------------------------------------------------


def test_odt_headings_lists_tables_and_meta():
    doc = load_bytes(make_odt(), "paper.odt")
    assert doc.title == "Sparrow: Fast Retrieval"  # the Title style, through the automatic style P1
    assert doc.authors == ["Ada Lovelace"]  # the initial creator, not the last editor
    assert [(s.title, s.level, s.kind) for s in doc.sections] == [
        ("Introduction", 1, "introduction"), ("Methods", 1, "method"), ("Scoring", 2, "method"),
        ("Results", 1, "results"), ("References", 1, "references")]
    assert doc.sections[-1].paragraphs[-1].text.startswith("Robertson, S.")  # the bibliography, as a paper's references
    assert "BM25, 2" not in doc.text  # an alphabetical index is not
    intro = doc.sections[0]
    assert [b.text for b in intro.blocks] == ["Long documents are hard to search. We study why.", "A compact index.",
                                              "A fast scorer."]  # no footnote body, no table of contents
    assert [b.kind for b in doc.sections[2].blocks] == ["paragraph", "table"]
    assert doc.sections[2].blocks[1].text == "Dataset | Latency\nWiki | 12 ms" and "Latency" not in doc.text
    assert load_bytes(make_odt(meta_title="From meta.xml"), "paper.odt").title == "From meta.xml"
    assert doc.language == "en" and doc.genre == "paper"


def _with_doctype(body: str, doctype: str) -> bytes:
    data = make_odt(body)
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        content = z.read("content.xml").decode()
    return with_entries(data, {"content.xml": content.replace("?>", "?>" + doctype, 1)})


def test_odt_entities_are_not_expanded(tmp_path):
    """An entity naming a file on the server (XXE) is not read; one that expands a billion times is refused before
    it grows."""
    secret = tmp_path / "secret.txt"
    secret.write_text("SECRET-TOKEN-123")
    body = '<text:h text:outline-level="1">Introduction</text:h><text:p>Long documents are hard to search.</text:p>'
    xxe = _with_doctype(body + "<text:p>&xxe;</text:p>",
                        f'<!DOCTYPE office:document-content [<!ENTITY xxe SYSTEM "{secret.as_uri()}">]>')
    doc = load_bytes(xxe, "xxe.odt")
    assert "SECRET" not in doc.text and doc.sections[0].text == "Long documents are hard to search."
    lols = "".join(f'<!ENTITY lol{n} "{f"&lol{n - 1};" * 10}">' for n in range(1, 10))
    laughs = _with_doctype(body + "<text:p>&lol9;</text:p>",
                           f'<!DOCTYPE office:document-content [<!ENTITY lol0 "lol">{lols}]>')
    assert "cannot be read" in refused(laughs, "laughs.odt")


def test_chinese_odt():
    body = "".join(f'<text:h text:outline-level="1">{t}</text:h><text:p>{p}</text:p>' for t, p in ZH.items())
    doc = load_bytes(make_odt(body), "论文.odt")
    assert doc.language == "zh" and doc.genre == "paper"
    assert [s.kind for s in doc.sections] == ["abstract", "introduction", "method", "results"]


# --- dispatch by content, not by name --------------------------------------------------------------------------------


def test_content_decides_over_the_name(paper_pdf):
    as_pdf = load_bytes(make_docx(), "paper.pdf")
    assert as_pdf.sections[0].kind == "abstract"
    assert as_pdf.notices == ["'paper.pdf' is a Word document whatever its name says; it was read as one."]
    pdf_named_docx = load_bytes(paper_pdf, "paper.docx")
    assert pdf_named_docx.title == "Sparrow: Fast Retrieval for Long Documents" and pdf_named_docx.page_count
    assert "is a PDF whatever its name says" in pdf_named_docx.notices[-1]
    text_named_docx = load_bytes(b"# Notes\n\n## Introduction\n\nPlain text saved under a Word name.\n", "notes.docx")
    assert [s.kind for s in text_named_docx.sections] == ["introduction"]
    assert text_named_docx.notices == ["'notes.docx' holds text, not a Word document; it was read as text."]
    assert load_bytes(make_pptx(), "deck.bin").page_count == 5
    assert load_bytes(make_epub(), "book.zip").title == "The Sparrow Book"
    assert load_bytes(make_odt(), "paper.txt").title == "Sparrow: Fast Retrieval"


# --- bad input: one sentence each -----------------------------------------------------------------------------------


def test_password_protected_docx():
    data = make_ole(ENCRYPTED_DOCX)
    message = refused(data, "secret.docx")
    assert "password-protected" in message and "unprotected copy" in message and "Word" in message
    assert "PowerPoint" in refused(data, "secret.pptx")


def test_old_binary_office_files():
    assert "save it as .docx" in refused(make_ole({"WordDocument": b"\xec\xa5", "1Table": b"\0"}), "old.doc")
    assert "save it as .pptx" in refused(make_ole({"PowerPoint Document": b"\0", "Current User": b"\0"}), "old.ppt")
    assert ".doc" in refused(make_ole({"WordDocument": b"\xec\xa5"}), "renamed.docx")  # the name says .docx


def test_damaged_and_truncated_packages():
    data = make_docx()
    assert "damaged or incomplete" in refused(data[: len(data) // 2], "cut.docx")  # no central directory
    info = zipfile.ZipFile(io.BytesIO(data)).getinfo("word/document.xml")
    start = info.header_offset + 30 + len(info.filename) + len(info.extra)
    broken = bytearray(data)
    for i in range(start + 40, start + 80):  # the entry's deflated bytes, garbled
        broken[i] ^= 0x5A
    assert "cannot be read" in refused(bytes(broken), "garbled.docx")
    assert "damaged or incomplete" in refused(b"PK\x03\x04" + b"\0" * 200, "stub.pptx")


def test_zip_bombs_are_not_inflated():
    from summarizer.inputs.limits import MAX_PACKAGE_BYTES, MAX_PACKAGE_ENTRIES

    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        with z.open("word/document.xml", "w") as entry:
            chunk = b"\0" * (1 << 20)
            for _ in range(MAX_PACKAGE_BYTES // len(chunk) + 1):
                entry.write(chunk)
    assert len(bomb.getvalue()) < 1_000_000
    assert "would unpack to more than 100 MB" in refused(bomb.getvalue(), "bomb.docx")
    many = io.BytesIO()
    with zipfile.ZipFile(many, "w") as z:
        for i in range(MAX_PACKAGE_ENTRIES + 1):
            z.writestr(f"e{i}", b"")
    assert "more than 10,000 files" in refused(many.getvalue(), "many.docx")
    # an entry that declares 100 bytes and inflates to 10 MB: zipfile stops at the declared size (a CRC error)
    liar = io.BytesIO()
    with zipfile.ZipFile(liar, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", b"\0" * 10_000_000)
    forged = bytearray(liar.getvalue())
    entry = zipfile.ZipFile(io.BytesIO(liar.getvalue())).getinfo("word/document.xml")
    struct.pack_into("<I", forged, entry.header_offset + 22, 100)  # the local header's uncompressed size
    struct.pack_into("<I", forged, forged.rfind(b"PK\x01\x02") + 24, 100)  # the central directory's
    assert "cannot be read" in refused(bytes(forged), "liar.docx")


def test_epub_with_drm_is_refused_and_font_obfuscation_is_not():
    book = make_epub()
    encrypted = ('<encryption xmlns="urn:oasis:names:tc:opendocument:xmlns:container" '
                 'xmlns:enc="http://www.w3.org/2001/04/xmlenc#"><enc:EncryptedData>'
                 '<enc:EncryptionMethod Algorithm="http://www.w3.org/2001/04/xmlenc#aes128-cbc"/>'
                 '<enc:CipherData><enc:CipherReference URI="EPUB/intro.xhtml"/></enc:CipherData>'
                 "</enc:EncryptedData></encryption>")
    assert "DRM" in refused(with_entries(book, {"META-INF/encryption.xml": encrypted}), "locked.epub")
    assert "DRM" in refused(with_entries(book, {"META-INF/rights.xml": "<rights/>"}), "adobe.epub")
    fonts = encrypted.replace("http://www.w3.org/2001/04/xmlenc#aes128-cbc", "http://www.idpf.org/2008/embedding") \
        .replace("EPUB/intro.xhtml", "EPUB/fonts/serif.otf")
    assert load_bytes(with_entries(book, {"META-INF/encryption.xml": fonts}), "fonts.epub").title == "The Sparrow Book"


def test_image_only_deck_and_documents_without_text():
    message = refused(make_pptx(images_only=True), "scans.pptx")
    assert "no text to summarize" in message and "OCR" in message
    import docx
    from pptx import Presentation

    assert "no slides" in refused(_saved(Presentation()), "empty.pptx")

    assert "no text to summarize" in refused(_saved(docx.Document()), "blank.docx")
    assert "no text to summarize" in refused(make_odt("<text:p/>"), "blank.odt")
    assert "no text to summarize" in refused(make_epub([("c.xhtml", "C", "<p> </p>")]), "blank.epub")


def test_other_archives_and_formats_are_named():
    assert "zip archive but not" in refused(make_odt(mimetype="application/x-unknown"), "odd.odt")
    assert "only OpenDocument text" in refused(make_odt(mimetype="application/vnd.oasis.opendocument.spreadsheet"),
                                               "sheet.ods")
    workbook = io.BytesIO()
    with zipfile.ZipFile(workbook, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/workbook.xml", "<workbook/>")
    assert "Excel workbook" in refused(workbook.getvalue(), "sheet.xlsx")
    plain = io.BytesIO()
    with zipfile.ZipFile(plain, "w") as z:
        z.writestr("notes.txt", "hello")
    assert "unpack it" in refused(plain.getvalue(), "notes.zip")
    assert "RTF" in refused(b"{\\rtf1\\ansi Hello}", "letter.doc")
    assert "password-protected" in refused(make_odt(encrypted=True), "secret.odt")
    assert "is not a Word document" in refused(bytes(range(256)) * 64, "noise.docx")


# --- the front ends -------------------------------------------------------------------------------------------------


def test_cli_refuses_a_protected_docx_in_one_line(tmp_path):
    path = tmp_path / "secret.docx"
    path.write_bytes(make_ole(ENCRYPTED_DOCX))
    for command in ("sections", "summarize"):
        proc = run_cli(command, str(path))
        err = proc.stderr.decode().strip()
        assert proc.returncode == 2, err
        assert len(err.splitlines()) == 1 and err.startswith("error: ") and "password-protected" in err
        assert "Traceback" not in err


def test_cli_summarizes_a_docx_end_to_end(tmp_path):
    path = tmp_path / "paper.docx"
    path.write_bytes(make_docx())
    out = tmp_path / "paper.summary.md"
    proc = run_cli("summarize", str(path), "--backend", "extractive", "-o", str(out), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    markdown = out.read_text(encoding="utf-8")
    assert markdown.startswith("# Sparrow: Fast Retrieval for Long Documents\n")
    assert "## 2 Methods" in markdown and "### 2.1 Index construction" in markdown and "## Overall summary" in markdown
    assert "3 times faster" in markdown
    assert "Traceback" not in proc.stderr.decode()


def test_every_front_end_offers_the_new_types():
    from summarizer.inputs.packages import SUFFIXES
    from summarizer.output.render import summary_filename
    from summarizer.run.batch import FILE_TYPES

    assert {".docx", ".pptx", ".epub", ".odt"} <= set(FILE_TYPES)
    for suffix in (".docx", ".pptx", ".epub", ".odt"):
        assert summary_filename("T", f"dir/My Paper{suffix}") == "My_Paper.summary.md"
        assert suffix in SUFFIXES
    for page in ("app.py", "pages/2_Batch.py", "ui/literature_table.py"):
        source = (ROOT / page).read_text(encoding="utf-8")
        assert all(f'"{kind}"' in source for kind in ("docx", "pptx", "epub", "odt")), page


def test_batch_folder_picks_up_office_files(tmp_path):
    from summarizer.run.batch import read_items

    (tmp_path / "a.docx").write_bytes(make_docx())
    (tmp_path / "b.pptx").write_bytes(make_pptx())
    (tmp_path / "c.epub").write_bytes(make_epub())
    (tmp_path / "d.odt").write_bytes(make_odt())
    (tmp_path / "e.xlsx").write_bytes(b"ignored")
    assert sorted(item.id for item in read_items(tmp_path)) == ["a", "b", "c", "d"]


def test_readers_are_imported_only_when_a_file_needs_them():
    code = ("import sys, summarizer.inputs.loading as l; l.load_bytes(b'# T\\n\\nSome text here.', 'a.md'); "
            "print(sorted({'docx', 'pptx', 'ebooklib', 'summarizer.inputs.docx_reader'} & set(sys.modules)))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert out.stdout.strip() == "[]", out.stderr


def test_a_word_file_that_names_no_title_takes_its_file_name_not_a_cut_sentence():
    """No Title paragraph and no title in its properties: the file's name is the title ("cycling_survey_2025.docx"),
    unless the name says nothing ("Document1.docx"), when the text's first sentence is, as for pasted text."""
    import io

    import docx

    d = docx.Document()
    d.add_heading("Introduction", 1)
    d.add_paragraph("Urban cycling has grown quickly in the last decade. This study asks why riders choose it.")
    d.add_heading("Results", 1)
    d.add_paragraph("Riders name safety first and speed second, in every district surveyed.")
    out = io.BytesIO()
    d.save(out)
    assert load_bytes(out.getvalue(), "cycling_survey_2025.docx").title == "cycling survey 2025"
    assert load_bytes(out.getvalue(), "Document1.docx").title.startswith("Urban cycling")
