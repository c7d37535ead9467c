"""Tables and figures beside the summary, in a real browser (issue #30): a corpus paper with a table and figures
is summarized offline; "Tables and figures" lists them by caption at once, and on asking reads the table (a data
frame with its cells) and shows each figure as an image cut from its page."""

from __future__ import annotations

import pytest
from conftest import CORPUS
from test_browser import REASON, _idle, _wait_text, app_log, app_url, browser, chromium  # noqa: F401

pytestmark = pytest.mark.skipif(REASON is not None, reason=REASON or "")

PAPER = CORPUS / "papers" / "radiotherapy-dose-rl-aime2024.pdf"


def test_a_table_and_figures_are_shown_beside_the_summary(app_url, app_log, browser):  # noqa: F811
    if not PAPER.exists():
        pytest.skip(f"the shared corpus is not at {CORPUS}")
    page = browser.new_context(viewport={"width": 1400, "height": 2600}).new_page()
    page.set_default_timeout(120_000)
    page.goto(app_url)
    _wait_text(page, "Upload a paper or paste an article")
    page.locator("input[type=file]").first.set_input_files(str(PAPER))
    _wait_text(page, "Sections found")
    page.get_by_role("button", name="Summarize").click()
    _wait_text(page, "Download Markdown")
    _idle(page)
    page.get_by_text("Tables and figures (").click()
    _wait_text(page, "Table 1 (p. 6)")
    page.get_by_role("button", name="Read the tables and show the figures").click()
    _wait_text(page, "Figure 1, page 3")  # a figure's image caption
    _idle(page)
    frames = page.locator("[data-testid=stExpander] [data-testid=stDataFrame]")
    assert frames.count() >= 1  # Table 1 as a data frame
    images = page.locator("[data-testid=stExpander] [data-testid=stImage] img")
    assert images.count() >= 4  # the paper's five figures, cut from their pages
    assert "Traceback" not in page.inner_text("body")
