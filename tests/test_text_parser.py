import pytest

from summarizer.errors import InputError
from summarizer.text_parser import normalise_levels, parse_text


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


def test_plain_article_title_and_parts():
    paras = "\n\n".join(f"Paragraph {i} says something about the council budget and the schools." * 8 for i in range(30))
    doc = parse_text("Council passes budget\n\n" + paras)
    assert doc.title == "Council passes budget"
    assert doc.genre == "article"
    assert len(doc.sections) > 1 and all(s.kind == "body" for s in doc.sections)
    assert doc.sections[0].title == "Part 1"


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
