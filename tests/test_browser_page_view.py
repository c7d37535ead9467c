"""The summary's page marks in a real browser (the app under `streamlit run`, Chromium through Playwright,
the fixtures of test_browser.py): a result's sections are drawn as a few Markdown blocks whose page marks
are links — no button per bullet — and a click on a mark opens that page in a dialog over the summary,
where the reader is, at a width that reads (issue #24: ~6,000 elements and 194 buttons made a reload of a
100-bullet run take 9–13 s; a click scrolled the summary back to the top and showed a 330 px page).
"""

from __future__ import annotations

import re

from test_browser import _idle, _paper, _upload_and_summarize, _wait_text, app_url, browser, chromium  # noqa: F401
from test_browser import pytestmark_browser as pytestmark  # noqa: F401

#: The summary block: the bordered container that holds the overall summary and the sections.
SUMMARY = '[data-testid="stVerticalBlock"]:has(> div [data-testid="stMarkdownContainer"] h4)'
MAIN = ".stMain"  # the app's scroll container


def _summarized(browser, app_url, tmp_path, height: int = 1000):  # noqa: F811
    page = browser.new_page(viewport={"width": 1400, "height": height})
    page.goto(app_url)
    _wait_text(page, "Upload a paper or paste an article")
    paper = _paper()
    _upload_and_summarize(page, tmp_path, paper.name, paper.data)
    page.locator('a[href^="#pm-"]').first.wait_for(timeout=30_000)
    return page


def test_page_marks_are_links_not_buttons_and_the_summary_stays_small(app_url, browser, tmp_path):  # noqa: F811
    page = _summarized(browser, app_url, tmp_path)
    marks = page.locator('a[href^="#pm-"]')
    count = marks.count()
    assert count >= 5, count
    assert all(re.fullmatch(r"\(pp?\. [\d–, ]+\)", marks.nth(i).inner_text()) for i in range(count))
    summary = page.locator(SUMMARY).last
    assert "Overall summary" in summary.inner_text()
    assert summary.locator("button").count() == 0  # the old view had a button (and two columns) per bullet
    elements = summary.evaluate("node => node.querySelectorAll('*').length")
    bullets = summary.locator("li").count() or count
    # a bullet is a list item, its text and its mark; a section adds one Markdown block's few wrappers
    assert elements <= 12 * bullets + 200, (elements, bullets)
    # the tooltip names the supporting sentence, as text
    assert marks.first.get_attribute("title").startswith("support ")


def test_a_page_mark_opens_its_page_in_a_dialog_where_the_reader_is(app_url, browser, tmp_path):  # noqa: F811
    page = _summarized(browser, app_url, tmp_path)
    marks = page.locator('a[href^="#pm-"]')
    mark = marks.nth(marks.count() * 2 // 3)  # down the summary
    # Ask's chat input sits in the page, under the conversation: at the page's root Streamlit pins it to the
    # window's bottom and makes the page stick to its end, where a loaded rerun then threw the reader
    assert page.get_by_test_id("stAppScrollToBottomContainer").count() == 0
    expected = int(re.search(r"\d+", mark.inner_text()).group())
    _idle(page)  # under load the page may still be drawing (and growing) after the summary shows
    mark.scroll_into_view_if_needed()
    # Where the reader is when the button goes down: Playwright may scroll the mark again before it clicks
    # (when something covers it for a moment under load, it retries with the mark at the top), so the
    # position is the one the page had at the press itself, not one read before the click began.
    page.evaluate(f"""() => document.addEventListener("mousedown",
        () => {{ window.__scrollAtPress = document.querySelector("{MAIN}").scrollTop; }}, {{capture: true, once: true}})""")
    mark.click()
    before = page.evaluate("() => window.__scrollAtPress")
    assert before > 0  # the reader is down the page
    dialog = page.get_by_role("dialog")
    dialog.get_by_text(re.compile(rf"Page {expected} of \d+")).wait_for(timeout=30_000)
    dialog.get_by_text("sentence highlighted").wait_for(timeout=30_000)
    assert "#pm-" not in page.url  # the link went nowhere: no navigation, no reload
    after = page.locator(MAIN).evaluate("node => node.scrollTop")
    assert abs(after - before) < 5, (before, after)  # the summary did not jump
    image = dialog.locator("img").first
    image.wait_for()
    box = image.bounding_box()
    assert box["width"] >= 700, box  # readable without going fullscreen (it was ~330 px)
    assert box["y"] < 1000  # the page view is in sight, not above or below the viewport
    dialog.get_by_role("button", name="▶").click()
    dialog.get_by_text(re.compile(rf"Page {expected + 1} of \d+")).wait_for(timeout=30_000)


def test_the_sidebar_names_the_main_page_summarize_and_keeps_every_page(app_url, browser):  # noqa: F811
    """Also when the first page a fresh server serves is one of pages/ (a bookmark of /Settings)."""
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(f"{app_url}/Settings")  # pages/ keep their addresses
    _wait_text(page, "Backend in use")
    links = page.locator('[data-testid="stSidebarNavLink"]')
    names = [" ".join(links.nth(i).inner_text().split()) for i in range(links.count())]
    assert names[0].endswith("Summarize") and "app" not in names, names
    assert names[1:] == ["Settings", "Batch", "History", "Compare", "Literature table"], names  # pages/, in order
    page.get_by_role("link", name="Summarize").first.click()
    _wait_text(page, "Upload a paper or paste an article")
    assert page.url.rstrip("/") == app_url
