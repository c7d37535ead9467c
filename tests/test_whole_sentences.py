"""The downloaded Markdown, scored by the project's own fragment rule (``../shared/tools/fragments.py``):
the extractive summary of real papers, English and Chinese, page marks included, is whole sentences."""

from __future__ import annotations

import importlib.util
import re

import pytest
from conftest import CORPUS

from summarizer.config.settings import Settings
from summarizer.output.render import render_markdown
from summarizer.pdf.parser import parse_pdf
from summarizer.run.engine import summarize_document

TOOL = CORPUS.parent / "tools" / "fragments.py"


def _tool():
    if not TOOL.is_file():
        pytest.skip(f"the fragment rule is not at {TOOL}")
    spec = importlib.util.spec_from_file_location("fragments_tool", TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("paper", ["casper-ffg", "zh-network-alarm-diagnosis"])
def test_extractive_markdown_bullets_are_whole_sentences(paper):
    tool = _tool()
    pdf = CORPUS / "papers" / f"{paper}.pdf"
    if not pdf.exists():
        pytest.skip(f"the shared corpus is not at {pdf}")
    markdown = render_markdown(summarize_document(parse_pdf(pdf.read_bytes(), pdf.name), Settings(use_cache=False)))
    bullets = tool.bullets(markdown)
    assert len(bullets) >= 10
    assert sum("(p. " in b for b in bullets) >= 0.9 * len(bullets)  # page marks are there, and do not break them
    assert not re.search(r"[\u4e00-\u9fff] \(pp?\. ", markdown)  # Chinese takes its page mark without a space
    fragments = [b for b in bullets if tool.is_fragment(b)]
    assert len(fragments) <= 0.03 * len(bullets), fragments[:5]
