"""Work that survives, in a real browser (the app under `streamlit run`, Debian's Chromium):
a reload keeps the result, the History page lists it, reopen and re-download give the same
Markdown, another browser sees nothing of it, a run cut by a reload can be finished, and two runs
of one paper made with different prompts are compared and exported as CSV with their ratings.
"""

from __future__ import annotations

import csv
import io
import re

import pytest
from test_browser import (  # noqa: F401
    REASON,
    _download,
    _idle,
    _paper,
    _paper_with_llm,
    _upload_and_summarize,
    _wait_text,
    app_log,
    app_url,
    browser,
    chromium,
)

pytestmark = pytest.mark.skipif(REASON is not None, reason=REASON or "")

VIEW = {"width": 1280, "height": 2400}


def _wait_listed(page, title: str) -> None:
    """The History table lists ``title`` (its cells live in a canvas grid: attached, not 'visible')."""
    page.locator("[data-testid=stDataFrame] td", has_text=title).first.wait_for(state="attached", timeout=60_000)


def _session_cookie(page) -> str:
    """The signed session cookie this page's browser holds ("" when none)."""
    return next((c["value"] for c in page.context.cookies() if c["name"] == "summarizer_session"), "")


def _open_history_page(page) -> None:
    page.get_by_role("link", name="History").first.click()
    _wait_text(page, "Your past summaries in this browser")


def test_reload_history_reopen_redownload(app_url, browser, tmp_path):  # noqa: F811
    context = browser.new_context(accept_downloads=True, viewport=VIEW)
    page = context.new_page()
    page.goto(app_url)
    _wait_text(page, "Upload a paper or paste an article")
    paper = _paper()
    name, data = paper.name, paper.data
    _upload_and_summarize(page, tmp_path, name, data)
    _, first = _download(page, tmp_path)
    assert "sid=" not in page.url and _session_cookie(page), page.url  # the session is in a cookie, not the address

    page.reload()  # F5: the document, its result and the download are still there
    _wait_text(page, "Download Markdown", timeout=60_000)
    assert page.get_by_text("Sections found").count() >= 1
    _, after_reload = _download(page, tmp_path)
    assert after_reload == first
    _open_a_page_mark(page)  # the PDF page view came back with it

    _open_history_page(page)
    title = first.splitlines()[0].lstrip("# ").strip()
    _wait_listed(page, title[:40])
    assert "sid=" not in page.url  # the address never carries the session
    _, from_history = _download(page, tmp_path)  # the History page's own download
    assert from_history == first

    page.get_by_role("button", name="Reopen on the main page").click()
    # the History page has its own download button: wait until the main page replaced it
    page.get_by_text("Your past summaries in this browser").first.wait_for(state="detached", timeout=60_000)
    _wait_text(page, "Sections found", timeout=60_000)
    _wait_text(page, "Download Markdown", timeout=60_000)
    _, reopened = _download(page, tmp_path)
    assert reopened == first
    _open_a_page_mark(page)

    # a new tab of the same browser (no id in its address) finds the same history through the cookie
    other_tab = context.new_page()
    other_tab.goto(f"{app_url}/History")
    _wait_listed(other_tab, title[:40])
    context.close()


def test_an_extractive_run_costs_free_in_history(app_url, browser, tmp_path):  # noqa: F811
    """The cost column says "free" for the offline backend, never "None"."""
    page = browser.new_context(viewport=VIEW).new_page()
    page.goto(app_url)
    _wait_text(page, "Upload a paper or paste an article")
    paper = _paper()
    _upload_and_summarize(page, tmp_path, paper.name, paper.data)
    _open_history_page(page)
    _wait_listed(page, paper.title[:40])
    cells = page.locator("[data-testid=stDataFrame] td")
    cells.filter(has_text=re.compile(r"^free$")).first.wait_for(state="attached", timeout=30_000)
    assert cells.filter(has_text=re.compile(r"^None$")).count() == 0


def test_another_browser_sees_no_history(app_url, browser, tmp_path):  # noqa: F811
    first = browser.new_context(accept_downloads=True, viewport=VIEW).new_page()
    first.goto(app_url)
    _wait_text(first, "Upload a paper or paste an article")
    paper = _paper()
    name, data = paper.name, paper.data
    _upload_and_summarize(first, tmp_path, name, data)
    title = _download(first, tmp_path)[1].splitlines()[0].lstrip("# ").strip()
    _open_history_page(first)
    _wait_listed(first, title[:40])

    second = browser.new_context(viewport=VIEW).new_page()
    second.goto(f"{app_url}/History")
    _wait_text(second, "Nothing here yet")
    assert second.get_by_text(title[:40]).count() == 0
    assert _session_cookie(second) != _session_cookie(first)
    second.goto(app_url)
    _wait_text(second, "Upload a paper or paste an article to begin.")


def test_run_cut_by_a_reload_is_finished_after_it(app_url, browser, tmp_path, llm_server):  # noqa: F811
    page = browser.new_context(accept_downloads=True, viewport=VIEW).new_page()
    _paper_with_llm(page, app_url, llm_server, "sk-history-reload", tmp_path)
    llm_server.state.reset(latency=3.0)
    page.get_by_role("button", name="Summarize").click()
    page.get_by_text(re.compile(r"^[1-9]\d*/\d+ sections$")).first.wait_for(timeout=60_000)  # one has finished
    page.reload()
    _wait_text(page, "This run did not finish", timeout=60_000)
    llm_server.state.reset()
    _, partial = _download(page, tmp_path)  # what finished before the reload is shown and downloadable
    assert "Not summarized yet" in partial and "This part (" in partial
    page.get_by_role("button", name=re.compile(r"Finish the remaining \d+ section")).click()
    page.get_by_text("This run did not finish").first.wait_for(state="detached", timeout=90_000)
    _wait_text(page, "Download Markdown", timeout=90_000)
    _, markdown = _download(page, tmp_path)
    assert "Not summarized yet" not in markdown and "This part (" in markdown
    assert "No overall summary" not in markdown


def _open_a_page_mark(page) -> None:
    """The PDF is there: a page mark of the summary is a link, and it opens its page in a dialog."""
    mark = page.locator('a[href^="#pm-"]').first
    mark.wait_for(timeout=30_000)
    mark.click()
    page.get_by_role("dialog").get_by_text(re.compile(r"Page \d+ of \d+")).wait_for(timeout=30_000)
    page.keyboard.press("Escape")
    page.get_by_role("dialog").wait_for(state="detached", timeout=10_000)


def _rate(page, key_prefix: str, stars: int) -> None:
    page.locator(f".st-key-{key_prefix}_stars button").nth(stars - 1).click(timeout=30_000)
    _idle(page)


def test_compare_two_prompts_exports_csv_with_ratings(app_url, browser, tmp_path, llm_server):  # noqa: F811
    page = browser.new_context(accept_downloads=True, viewport=VIEW).new_page()
    page.set_default_timeout(90_000)  # a loaded machine re-renders slowly
    _paper_with_llm(page, app_url, llm_server, "sk-history-compare", tmp_path)
    page.get_by_role("button", name="Summarize").click()
    _wait_text(page, "Download Markdown")
    # a second run of the same paper with an edited prompt
    page.get_by_role("link", name="Settings").first.click()
    page.get_by_role("tab", name="Prompts").click()
    _wait_text(page, "Defaults ship with the app")
    system = page.get_by_role("textbox", name="System message")
    system.fill("You are a terse reviewer. COMPARE-MARKER. " + system.input_value())
    system.press("Tab")
    _wait_text(page, "Valid prompt.")
    page.get_by_role("button", name="Save", exact=True).click()
    _wait_text(page, "Saved '")
    llm_server.state.reset(invent_number=True)  # run B's answers add a number that is not in the paper
    page.get_by_role("link", name="Summarize").first.click()
    _wait_text(page, "Sections found")
    page.get_by_role("button", name="Summarize").click()
    _wait_text(page, "Summarized with llm")  # this run's status (the last result was on the page already)
    assert len(llm_server.state.chat_requests) >= 1  # the edited prompt's section was asked again

    page.get_by_role("link", name="Compare").first.click()
    _wait_text(page, "What differs: prompts changed: abstract")
    # rate run A 2 stars with a comment, run B 5 stars
    keys = page.evaluate("""() => [...document.querySelectorAll('[class*="st-key-cmp_"][class*="_run_stars"]')]
                            .map(e => [...e.classList].find(c => c.startsWith('st-key-')).slice(7, -6))""")
    assert len(keys) == 2, keys
    _rate(page, keys[0], 2)
    comment = page.locator(f".st-key-{keys[0]}_comment input")
    comment.fill("misses the result")
    comment.press("Enter")
    _idle(page)
    _rate(page, keys[1], 5)
    page.get_by_text("Word-level diff").click()
    page.locator("ins").first.wait_for(state="attached")
    inserted = " ".join(page.locator("ins").all_inner_texts())
    assert "97.3%" in inserted  # only run B has the invented sentence, shown as inserted words

    with page.expect_download() as info:
        page.get_by_role("button", name="Export comparison (CSV)").click()
    target = tmp_path / info.value.suggested_filename
    info.value.save_as(target)
    rows = list(csv.DictReader(io.StringIO(target.read_text(encoding="utf-8"))))
    whole = [r for r in rows if r["section"] == "(whole run)"]
    assert len(whole) == 1
    assert whole[0]["rating_a"] == "2" and whole[0]["comment_a"] == "misses the result" and whole[0]["rating_b"] == "5"
    assert whole[0]["run_a"] != whole[0]["run_b"]
    sections = [r for r in rows if r["section"] != "(whole run)"]
    assert sections and all(r["summary_a"] and r["summary_b"] for r in sections if r["status_a"] == "done")
    changed = [r for r in sections if "97.3%" in r["summary_b"]]
    assert changed and all("97.3%" not in r["summary_a"] and "97.3" in r["unverified_b"] for r in changed)
    assert float(changed[0]["similarity"]) < 1.0
