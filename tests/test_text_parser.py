import pytest

from summarizer.inputs.text_parser import normalise_levels, parse_text
from summarizer.model.errors import InputError


def test_markdown_headings_become_sections_with_kinds():
    doc = parse_text("# My Paper\n\n## Abstract\nWe do X.\n\n## 1 Introduction\nIntro.\n\n### 1.1 Scope\nScope."
                     "\n\n## References\n[1] Foo.")
    assert doc.title == "My Paper"
    assert [(s.title, s.level, s.kind) for s in doc.sections] == [
        ("Abstract", 1, "abstract"), ("1 Introduction", 1, "introduction"), ("1.1 Scope", 2, "introduction"),
        ("References", 1, "references")]
    assert doc.abstract == "We do X."
    assert not doc.sections[-1].summarizable


def test_nougat_style_levels_are_normalised_once():
    mmd = "###### Abstract\nShort abstract.\n\n# Introduction\nText.\n\n## Setup\nMore.\n\n[MISSING_PAGE_EMPTY:3]\n\n# Results\nR."
    doc = parse_text(mmd, "paper.mmd")
    assert [(s.title, s.level) for s in doc.sections] == [("Abstract", 1), ("Introduction", 1), ("Setup", 2), ("Results", 1)]
    assert "MISSING_PAGE" not in doc.text
    assert any("missing" in n for n in doc.notices)


def test_level_jumps_are_closed():
    assert normalise_levels([2, 4, 4, 2], ["A", "B", "C", "D"]) == [1, 2, 2, 1]
    assert normalise_levels([1, 3], ["A", "B"]) == [1, 2]


def test_plain_article_title_and_one_body():
    paras = "\n\n".join(f"Paragraph {i} says something about the council budget and the schools." * 8 for i in range(30))
    doc = parse_text("Council passes budget\n\n" + paras)
    assert doc.title == "Council passes budget"
    assert doc.genre == "article"
    assert [(s.title, s.kind) for s in doc.sections] == [("Article", "body")]
    assert len(doc.sections[0].paragraphs) == 30


# Made-up news articles (the corpus has real ones; these keep the test independent of it).
EN_NEWS = """Harbour town votes to close its last ferry line

PORTVALE -- Residents of Portvale voted on Tuesday to close the ferry line that has linked the town to the mainland since 1952.
The council said the line had lost money for nine years in a row. Ticket sales fell to 41,000 last year, from 120,000 a decade ago.
"We did not take this lightly," the mayor, Ruth Ellery, told reporters. She said a new bridge made the ferry a luxury.
Fishermen who use the ferry to carry their catch said they would have to drive two hours to the nearest market.
The last crossing is planned for the end of March. The ferry itself will be sold to a museum in the north.
A group of residents has started a petition to keep a summer service for tourists. It had 2,300 signatures by Wednesday.
The council will discuss the petition at its next meeting, on February 14.
"""
ZH_NEWS = """临海小镇投票关闭最后一条渡轮航线

本报讯——临海镇居民周二投票决定关闭自1952年起连接小镇与大陆的渡轮航线。
镇议会表示，该航线已连续九年亏损，去年售票4.1万张，十年前为12万张。
镇长表示，新大桥建成后，渡轮已成为小镇负担不起的奢侈品。
依靠渡轮运送渔获的渔民说，今后他们要开车两个小时才能到达最近的市场。
最后一班渡轮计划于三月底开出，渡轮本身将出售给北方的一家博物馆。
部分居民发起请愿，希望为游客保留夏季航班，截至周三已有2300人签名。
"""


@pytest.mark.parametrize("text, headline", [(EN_NEWS, "Harbour town votes to close its last ferry line"),
                                            (ZH_NEWS, "临海小镇投票关闭最后一条渡轮航线")], ids=["en", "zh"])
@pytest.mark.parametrize("layout", ["as pasted", "blank lines", "one block", "markdown"])
def test_a_pasted_news_article_is_one_body_under_its_headline(text, headline, layout):
    head, body = text.split("\n\n", 1)
    lines = [line for line in body.splitlines() if line.strip()] * 8  # long enough to have been cut in parts
    body = "\n\n".join(lines) if layout in ("blank lines", "markdown") else "\n".join(lines)
    pasted = {"one block": f"{head}\n{body}", "markdown": f"# {head}\n\n{body}"}.get(layout, f"{head}\n\n{body}")
    doc = parse_text(pasted)
    assert doc.genre == "article"
    assert doc.title == headline
    assert [s.title for s in doc.sections] == ["Article"]
    assert len(doc.sections[0].paragraphs) == len(lines)  # its paragraphs, one per line as written
    assert not doc.text.startswith(("PORTVALE", "本报讯"))  # the dateline is not prose


@pytest.mark.parametrize("text", [EN_NEWS, ZH_NEWS], ids=["en", "zh"])
def test_a_news_article_without_headline_is_titled_by_its_lead_not_cut_words(text):
    body = text.split("\n\n", 1)[1]
    body = body.replace("\n", " ") if "Portvale" in body else body.replace("\n", "")  # one line, two sentences and more
    doc = parse_text(body)
    assert doc.genre == "article" and [s.title for s in doc.sections] == ["Article"]
    assert "…" not in doc.title and doc.title
    lead = doc.sections[0].text
    assert lead.startswith(doc.title)  # the lead sentence (or its opening clauses), whole
    assert doc.title.count(".") == 0 and "。" not in doc.title  # one sentence, not two


def test_chinese_numbered_headings():
    text = "一、研究背景\n\n近年来，深度学习发展迅速。\n\n二、研究方法\n\n我们提出了新的模型。\n\n三、结论\n\n效果很好。"
    doc = parse_text(text)
    assert [s.kind for s in doc.sections] == ["background", "method", "conclusion"]
    assert doc.language == "zh"


def test_empty_and_symbol_only_text_is_refused():
    for bad in ("", "   \n\t  ", "🙂🙂🙂 🎉"):
        with pytest.raises(InputError):
            parse_text(bad)


def test_control_and_zero_width_characters_removed():
    doc = parse_text("Hello\u200b world\x07 again. Numbers stay: 1,200 and 3.5%.")
    assert doc.sections[0].text == "Hello world again. Numbers stay: 1,200 and 3.5%."
