"""Paragraphs rebuilt from geometry and punctuation, and typed blocks (code, equation, note, table),
on real PDFs made for it and on line sequences shaped like the producers that make every line a block."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from pdf_factory import lines_pdf

from summarizer.pdf.blocks import build_blocks, join_text, line_kind, measure
from summarizer.pdf.front import author_names, is_affiliation, name_line
from summarizer.pdf.parser import parse_pdf

P1 = [
    "Parsers that trust the blocks of a PDF producer turn every line of",
    "some papers into a paragraph of its own, and summaries then quote",
    "half sentences.",
    "We rebuild paragraphs from the spacing, the indentation and the",
    "punctuation of the lines, so that a sentence which runs to the end of",
]
P1_NEXT_PAGE = "the page continues on the next page and ends there."
CODE = ["def parse(data):", "    lines = read(data)", "    return join(lines)"]
ZH = [("研究表明，日志结构合并树是一种面向写密集型负载优化的存储结构，已广泛应用于", 92),
      ("多种键值存储系统之中，并在工业界得到了大量的部署和验证。", 72),
      ("本文提出一种新的合并策略，能够在不增加写放大的前提下降低读取延迟，实验表", 92),
      ("明该策略在多种负载下均有效。", 72)]


def _paper() -> bytes:
    page1 = [("Paragraph Rebuilding Test Paper", 72, 70, 18, "tibo"),
             ("Axel Donath7, Ada Lovelace1,2 and Alan", 72, 100, 11, "tiro"),
             ("Turing*", 72, 114, 11, "tiro"),
             ("1 Introduction", 72, 150, 13, "tibo")]
    y = 170
    for n, text in enumerate(P1):
        page1.append((text, 84 if n in (0, 3) else 72, y, 10, "tiro"))
        y += 12
    page2 = [(P1_NEXT_PAGE, 72, 80, 10, "tiro")]
    y = 104
    for text in CODE:
        page2.append((text, 72, y, 10, "cour"))
        y += 12
    page2.append(("TODO: add explanation text here", 72, y + 12, 10, "tiro"))
    page2.append(("x = (a + b) / (c - d) = 0.5 (1)", 200, y + 36, 10, "tiro"))
    page2.append(("where x is the ratio of the two sums, which stays small in practice.", 72, y + 60, 10, "tiro"))
    page2.append(("2 Method", 72, y + 100, 13, "tibo"))
    y += 120
    for text, x in ZH:
        page2.append((text, x, y, 10, "china-s"))
        y += 14
    return lines_pdf([page1, page2])


def test_paragraphs_come_from_geometry_and_continue_across_the_page_break():
    doc = parse_pdf(_paper())
    intro = next(s for s in doc.sections if s.kind == "introduction")
    kinds = [b.kind for b in intro.blocks]
    assert kinds == ["paragraph", "paragraph", "code", "note", "equation", "paragraph"], kinds
    first, second = intro.blocks[0], intro.blocks[1]
    assert first.text == " ".join(P1[:3]) and (first.page, first.page_end) == (1, None)
    assert second.text == " ".join(P1[3:] + [P1_NEXT_PAGE]) and (second.page, second.page_end) == (1, 2)
    assert intro.blocks[2].text == "\n".join(line.strip() for line in CODE) and intro.blocks[2].page == 2
    # Section.text is exactly the prose paragraphs: no code, note or equation in it
    assert intro.text == "\n\n".join(b.text for b in intro.blocks if b.kind == "paragraph")
    assert "def parse" not in intro.text and "TODO" not in intro.text and "0.5 (1)" not in intro.text
    assert [b.page for b in intro.paragraphs] == [1, 1, 2]


def test_chinese_lines_join_without_spaces_and_split_at_first_line_indent():
    doc = parse_pdf(_paper())
    method = next(s for s in doc.sections if s.title == "2 Method")
    assert [b.text for b in method.paragraphs] == [ZH[0][0] + ZH[1][0], ZH[2][0] + ZH[3][0]]


def test_authors_lose_affiliation_marks_and_a_name_is_not_cut_at_the_line_break():
    doc = parse_pdf(_paper())
    assert doc.authors == ["Axel Donath", "Ada Lovelace", "Alan Turing"]


def test_author_lines_of_every_shape():
    assert author_names(["夏智康⊣ 刘祥§ 芦迪† 吴舒登‡"]) == ["夏智康", "刘祥", "芦迪", "吴舒登"]
    assert author_names(["张三 李四"]) == ["张三", "李四"]
    assert author_names(["Maximilian Nöthe ,9 Axel Donath ,10 Erik Tollerud ,2, ∗"]) == [
        "Maximilian Nöthe", "Axel Donath", "Erik Tollerud"]
    assert author_names(["Sam Foreman¹, Xiao-Yong Jin¹² & Dr. James C. Osborn"]) == [
        "Sam Foreman", "Xiao-Yong Jin", "James C. Osborn"]
    assert is_affiliation("Mountain View, CA") and is_affiliation("December 16, 2018")
    assert is_affiliation("1Tokyo Institute of Technology") and not is_affiliation("1 分工情况")
    assert is_affiliation("patrick.hall@h2o.ai") and not name_line("Vivacity Labs NW5 3AQ London")



def test_a_manual_s_title_page_names_its_authors_after_a_long_subtitle():
    """A Texinfo-style title page: title, a subtitle line that names a section kind ("library"),
    a version line, then the authors in large bold type, the last with an email beside the name."""
    from pdf_factory import build_pdf

    page = [("Libwidget", 72, 60, 450, 20, "hebo"),
            ("A widget library for structured documents on the GNU system", 72, 100, 450, 11, "tiro"),
            ("for version 4.19.0, 18 August 2022", 72, 118, 450, 11, "tiro"),
            ("Fabio Fiorina", 72, 500, 450, 14, "hebo"), ("Simon Josefsson", 72, 520, 450, 14, "hebo"),
            ("Nikos Mavrogiannopoulos (help-libwidget@gnu.org)", 72, 540, 450, 14, "hebo")]
    body = [("1 Introduction", 72, 60, 450, 14, "hebo"),
            ("This document describes the widget library and its functions in detail. " * 3, 72, 84, 450, 10, "tiro")]
    doc = parse_pdf(build_pdf([page, body]))
    assert doc.title == "Libwidget"
    assert doc.authors == ["Fabio Fiorina", "Simon Josefsson", "Nikos Mavrogiannopoulos"]
    assert [s.title for s in doc.sections if s.title != "Front matter"] == ["1 Introduction"]


@dataclass
class FakeLine:
    """A line as the extraction step makes it (the fields the paragraph step reads)."""

    text: str
    x0: float
    y1: float
    page: int = 0
    size: float = 10.0
    x1: float = 0.0
    y0: float = 0.0
    first_in_block: bool = True
    last_in_block: bool = True
    mono: float = 0.0
    math: float = 0.0
    prose: str = ""

    def __post_init__(self) -> None:
        self.x1 = self.x1 or self.x0 + 450
        self.y0 = self.y1 - self.size


def _zh_page(page: int, y: float = 100) -> list[FakeLine]:
    """Every line its own block, as several Chinese producers write them; sentences end mid-line."""
    out = []
    for text, x in [("第一段开始，这一句没有在行末结束，", 92), ("而是延续到下一行。第二句也延续到", 72),
                    ("下一行，最后一行正好写满整行。", 72, ), ("第二段由首行缩进开始。", 92), ("这一行属于第二段。", 72)]:
        out.append(FakeLine(text, x, y, page, x1=522 if text != "这一行属于第二段。" else 300))
        y += 14
    return out


def test_one_block_per_line_producers_get_paragraphs_from_indentation_and_short_last_lines():
    lines = _zh_page(0)
    blocks = build_blocks(lines, measure(lines, 10.0), 10.0)
    assert [b.text for b in blocks] == ["第一段开始，这一句没有在行末结束，而是延续到下一行。第二句也延续到下一行，最后一行正好写满整行。",
                                        "第二段由首行缩进开始。这一行属于第二段。"]


def test_short_last_line_ends_a_paragraph_without_indentation_or_space():
    lines = [FakeLine("Block paragraphs have no indentation and no space between them, so the", 72, 100,
                      last_in_block=False),
             FakeLine("short last line is what ends them.", 72, 112, x1=250, first_in_block=False, last_in_block=False),
             FakeLine("The next paragraph starts at the same margin and the same", 72, 124, first_in_block=False),
             FakeLine("distance, in the same block.", 72, 136, x1=200, first_in_block=False)]
    blocks = build_blocks(lines, measure(lines, 10.0), 10.0)
    assert [b.text[:20] for b in blocks] == ["Block paragraphs hav", "The next paragraph s"]


def test_a_figure_label_after_a_column_break_does_not_continue_the_sentence():
    lines = [FakeLine(f"Line {n} of the left column runs from margin to margin and on", 72, 640 + 12 * n, x1=290)
             for n in range(5)]
    lines += [FakeLine("The left column ends in the middle of a sentence about the", 72, 700, x1=290),
              FakeLine("Throughput", 320, 100, x1=370),
             FakeLine("Latency", 320, 300, x1=360)]
    blocks = build_blocks(lines, measure(lines, 10.0), 10.0)
    assert blocks[0].text.endswith("about the") and [b.kind for b in blocks[1:]] == ["caption", "caption"]
    lines[-2].text = "throughput of the system."  # running text does continue the sentence
    assert build_blocks(lines, measure(lines, 10.0), 10.0)[0].text.endswith("about the throughput of the system.")


def test_unfinished_sentence_continues_past_a_footnote_onto_the_next_page():
    lines = [FakeLine("The method reads every page of the document and keeps the", 72, 700, 0, first_in_block=True,
                      last_in_block=False),
             FakeLine("sentence open at the bottom of the page because", 72, 712, 0, first_in_block=False),
             FakeLine("1 A footnote in a smaller font.", 72, 780, 0, size=8.0),
             FakeLine("it goes on here, on the next page.", 72, 80, 1, x1=300),
             FakeLine("A new paragraph starts after a finished one.", 84, 92, 1)]
    blocks = build_blocks(lines, measure(lines, 10.0), 10.0)
    texts = [(b.kind, b.text, b.page, b.page_end) for b in blocks]
    assert texts[0] == ("paragraph", "1 A footnote in a smaller font.", 1, None)
    assert texts[1] == ("paragraph", "The method reads every page of the document and keeps the sentence open at the "
                        "bottom of the page because it goes on here, on the next page.", 1, 2)
    assert texts[2][1].startswith("A new paragraph") and texts[2][2] == 2


def test_finished_sentence_at_a_page_end_does_not_swallow_the_next_page():
    lines = [FakeLine("The last sentence of the page ends here.", 72, 700, 0, x1=300),
             FakeLine("Another paragraph opens the next page.", 72, 80, 1)]
    assert len(build_blocks(lines, measure(lines, 10.0), 10.0)) == 2


def test_line_kinds():
    assert line_kind(FakeLine("for i in range(10): total += i", 72, 100, mono=1.0)) == "code"
    assert line_kind(FakeLine("α(x) = ∑ β_i x_i + γ", 72, 100, math=0.8)) == "equation"
    assert line_kind(FakeLine("0.91 0.88 12.5 3.2 7", 72, 100)) == "table"
    assert line_kind(FakeLine("Add explanation text here", 72, 100)) == "note"
    # running text with inline math in math fonts is prose, in Chinese as in English
    assert line_kind(FakeLine("考虑在有限域GF(2s) 上的m 维射影平面PG(m,2s)。", 72, 100, math=0.5)) == "prose"
    assert line_kind(FakeLine("where ρ(x, y) is the density of the kernel", 72, 100, math=0.45)) == "prose"
    assert line_kind(FakeLine("We use the γ parameter from Table 2 to scale every update by half.", 72, 100,
                              math=0.05)) == "prose"


def test_join_text_repairs_hyphens_and_keeps_cjk_tight():
    assert join_text("the pars-", "ing step") == "the parsing step"
    assert join_text("已广泛应用于", "LevelDB、RocksDB") == "已广泛应用于LevelDB、RocksDB"
    assert join_text("two", "words") == "two words"



def test_without_authors_the_first_paragraph_is_not_taken_for_a_subtitle():
    from pdf_factory import build_pdf

    lines = ["The city council approved the new budget for school repairs", "on Monday after a long debate about roofs and",
             "heating, and parents who came to the meeting said they hope to", "see improvements before the next election in",
             "the spring, when the work on the first schools should begin."]
    page = [("Council Approves School Budget", 72, 60, 450, 20, "hebo")]
    page += [(text, 72, 110 + 13 * n, 450, 10, "tiro") for n, text in enumerate(lines)]
    doc = parse_pdf(build_pdf([page]))
    assert doc.authors == [] and " ".join(lines) in doc.text


def test_an_affiliation_with_an_email_is_no_author():
    from pdf_factory import build_pdf

    names = ["Alice Smith", "Google Research, alice@google.com", "Bob Jones", "Microsoft Research (bob@ms.com)"]
    page = [("Parsing Papers Quickly", 72, 60, 450, 20, "hebo")]
    page += [(text, 72, 100 + 16 * n, 450, 11, "tiro") for n, text in enumerate(names)]
    page += [("Abstract", 72, 200, 450, 12, "hebo"), ("We parse papers quickly and well. " * 4, 72, 220, 450, 10, "tiro")]
    assert parse_pdf(build_pdf([page])).authors == ["Alice Smith", "Bob Jones"]

@pytest.mark.parametrize(("font", "before", "label", "after", "joined"), [
    ("china-s", "它含有丰富的插件，可以将其打造得高", "图7", "大上。对于它的夸赞，这里就不多说了。",
     "它含有丰富的插件，可以将其打造得高大上。对于它的夸赞，这里就不多说了。"),
    ("tiro", "The parser reads every page of the document and then", "Figure 3",
     "joins the lines that belong to one paragraph.",
     "The parser reads every page of the document and then joins the lines that belong to one paragraph."),
])
def test_a_figure_label_between_the_parts_of_a_cut_sentence_stays_out_of_it(font, before, label, after, joined):
    from pdf_factory import build_pdf

    first = [("1 Method", 72, 60, 450, 14, "hebo" if font == "tiro" else font),
             ("This section explains how the text is read from every page. " * 2 if font == "tiro"
              else "本节说明如何从每一页读取文本，并把它们连成段落。" * 2, 72, 90, 450, 10, font),
             (before, 72, 770, 450, 10, font)]
    second = [(label, 280, 250, 100, 10, font), (after, 72, 290, 450, 10, font)]
    doc = parse_pdf(build_pdf([first, second]))
    text = "\n\n".join(s.text for s in doc.sections)
    assert joined in text and label not in text


def test_a_line_that_is_one_web_address_is_a_link_not_code():
    assert line_kind(FakeLine("URL https://arxiv.org/abs/1710.07036.", 72, 100, mono=1.0)) == "prose"
    assert line_kind(FakeLine("https://github.com/shotakoyama/green", 72, 100, mono=1.0)) == "prose"
    assert line_kind(FakeLine("curl -O https://example.org/data.tar.gz", 72, 100, mono=1.0)) == "code"
