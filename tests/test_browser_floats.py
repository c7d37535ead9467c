"""Tables and figures beside the summary, in a real browser (issue #30): a corpus paper with a table and figures
is summarized offline; "Tables and figures" lists them by caption at once, and on asking reads the table (a data
frame with its cells) and shows each figure as an image cut from its page."""

from __future__ import annotations

import pytest
from conftest import CORPUS
from test_browser import REASON, _at_least, _idle, _upload_and_summarize, _wait_text, app_log, app_url, browser, chromium  # noqa: F401

pytestmark = pytest.mark.skipif(REASON is not None, reason=REASON or "")

PAPER = CORPUS / "papers" / "radiotherapy-dose-rl-aime2024.pdf"


def _summarized(browser, app_url: str, tmp_path, name: str, data: bytes, height: int):  # noqa: F811
    """A new page at the app with ``data`` uploaded as ``name`` and summarized offline, its rerun over."""
    page = browser.new_context(viewport={"width": 1400, "height": height}).new_page()
    page.set_default_timeout(120_000)
    page.goto(app_url)
    _wait_text(page, "Upload a paper or paste an article")
    _upload_and_summarize(page, tmp_path, name, data)
    _idle(page)
    return page


def test_a_table_and_figures_are_shown_beside_the_summary(app_url, app_log, browser, tmp_path):  # noqa: F811
    if not PAPER.exists():
        pytest.skip(f"the shared corpus is not at {CORPUS}")
    page = _summarized(browser, app_url, tmp_path, PAPER.name, PAPER.read_bytes(), 2600)
    page.get_by_text("Tables and figures (").click()
    _wait_text(page, "Table 1 (p. 6)")
    page.get_by_role("button", name="Read the tables and show the figures").click()
    _wait_text(page, "Figure 1, page 3")  # a figure's image caption
    _idle(page)
    frames = page.locator("[data-testid=stExpander] [data-testid=stDataFrame]")
    assert _at_least(frames, 1) >= 1  # Table 1 as a data frame
    images = page.locator("[data-testid=stExpander] [data-testid=stImage] img")
    assert _at_least(images, 4) >= 4  # the paper's five figures, cut from their pages
    assert "Traceback" not in page.inner_text("body")


def _figure_paper() -> bytes:
    """A short paper whose results name Figure 1, with Figure 1 (an image and its caption) on its page."""
    import pymupdf
    from pdf_factory import make_paper, prose

    data = make_paper([("Abstract", 1, "We present a sparse index for long documents that answers queries fast."),
                       ("1 Introduction", 1, prose("long document retrieval", 2)),
                       ("2 Results", 1, "Figure 1 shows the query time of the sparse index against the dense baseline. "
                                        "The sparse index answers in 12 ms, faster than the 80 ms of the dense one.")],
                      page_break_after=99)
    doc = pymupdf.open(stream=data, filetype="pdf")
    page = doc[-1]
    picture = pymupdf.Pixmap(pymupdf.csRGB, pymupdf.IRect(0, 0, 200, 100), 0)
    picture.clear_with(120)
    page.insert_image(pymupdf.Rect(150, 560, 450, 710), pixmap=picture)
    page.insert_text((150, 728), "Figure 1: Query time of the two indexes.", fontsize=9, fontname="tiro")
    out = doc.tobytes()
    doc.close()
    return out


def test_a_figure_the_summary_names_opens_beside_it(app_url, browser, tmp_path):  # noqa: F811
    """"Figure 1" in a section's summary is a link; a click shows the figure, cut from its page, in a dialog over
    the summary, without reading every table of the paper first."""
    page = _summarized(browser, app_url, tmp_path, "sparse.pdf", _figure_paper(), 2000)
    key_results = page.locator("[data-testid=stMarkdownContainer]", has_text="Key results").first
    assert "12 ms" in key_results.inner_text() and "[§2, p. 1]" in key_results.inner_text()  # under the overview
    link = page.get_by_role("link", name="Figure 1").first
    assert link.get_attribute("href") == "#fr-figure-1"
    link.click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_text("Figure 1, page 1").wait_for()  # the image's caption: the region was found and cut
    assert dialog.locator("[data-testid=stImage] img").count() == 1
    assert "Query time of the two indexes." in dialog.inner_text()
    assert "Traceback" not in page.inner_text("body")
