"""Ask the paper and check a page, in a real browser (the app under `streamlit run`, Chromium through
Playwright, the fixtures of test_browser.py): upload a corpus paper, summarize it offline, ask a
question whose answer sits on a known page (found in the PDF with PyMuPDF, not assumed), get an
answer citing that page, then click the citation and a summary page mark and see the PDF view on
those pages.
"""

from __future__ import annotations

import re

import pytest
from conftest import CORPUS
from test_browser import _upload_and_summarize, _wait_text, app_url, browser, chromium  # noqa: F401
from test_browser import pytestmark_browser as pytestmark  # noqa: F401

PAPER = CORPUS / "papers" / "casper-ffg.pdf"
PHRASE = "forward validator set"


def _page_with(phrase: str) -> int:
    import pymupdf

    with pymupdf.open(PAPER) as doc:
        pages = [i + 1 for i, page in enumerate(doc) if page.search_for(phrase)]
    assert pages, f"{phrase!r} is not in {PAPER.name}"
    return pages[0]


def _ask(page, question: str) -> None:
    box = page.get_by_test_id("stChatInputTextArea")
    box.fill(question)
    box.press("Enter")


def test_ask_a_question_and_open_the_cited_page(app_url, browser, tmp_path):  # noqa: F811
    if not PAPER.exists():
        pytest.skip(f"the corpus paper {PAPER} is not here")
    expected = _page_with(PHRASE)
    page = browser.new_page(viewport={"width": 1400, "height": 2400})
    page.goto(app_url)
    _wait_text(page, "Upload a paper or paste an article")
    _upload_and_summarize(page, tmp_path, PAPER.name, PAPER.read_bytes())
    _wait_text(page, "Coverage:")

    _ask(page, "How are the forward and rear validator sets of a dynasty defined?")
    answer = page.get_by_test_id("stChatMessage").nth(1)
    answer.get_by_text("From the paper:").wait_for(timeout=60_000)
    # the answer streams in pieces; its citation buttons come with the finished turn
    answer.get_by_role("button", name=re.compile(r"\[§")).first.wait_for(timeout=60_000)
    text = answer.inner_text()
    assert f"p. {expected}]" in text, text
    assert "validator set" in text

    citation = answer.get_by_role("button", name=re.compile(rf"p\. {expected}\]"))
    citation.first.click()
    _wait_text(page, f"Page {expected} of 10")
    page.get_by_text("sentence highlighted").first.wait_for(timeout=30_000)

    # a page mark of the summary (a link, issue #24): the first one naming a page other than the one shown
    marks = page.locator('a[href^="#pm-"]')
    target = None
    for i in range(marks.count()):
        label = marks.nth(i).inner_text()
        first = int(re.search(r"\d+", label).group())
        if first != expected:
            target = (marks.nth(i), first)
            break
    assert target is not None, "no page mark in the summary"
    target[0].click()
    dialog = page.get_by_role("dialog")  # the page view opens over the summary, where the reader is
    dialog.get_by_text(f"Page {target[1]} of 10").wait_for(timeout=30_000)
    dialog.locator("img").first.wait_for(timeout=30_000)  # the page image (drawn after its caption under load)


def test_a_question_the_paper_does_not_answer(app_url, browser, tmp_path):  # noqa: F811
    if not PAPER.exists():
        pytest.skip(f"the corpus paper {PAPER} is not here")
    page = browser.new_page(viewport={"width": 1400, "height": 2000})
    page.goto(app_url)
    _wait_text(page, "Upload a paper or paste an article")
    path = tmp_path / PAPER.name
    path.write_bytes(PAPER.read_bytes())
    page.locator("input[type=file]").first.set_input_files(str(path))
    _wait_text(page, "Ask the paper")  # available before any summary
    _ask(page, "What is the best recipe for chocolate cake?")
    _wait_text(page, "does not contain the answer", timeout=60_000)


def test_ask_with_the_llm_backend_streams_a_cited_answer(app_url, browser, tmp_path, llm_server):  # noqa: F811
    """Through Settings → LLM backend at the loopback stand-in server: the answer is the model's,
    citing a passage the app sent; the request carried the passages as delimited data."""
    from test_browser import _use_llm

    if not PAPER.exists():
        pytest.skip(f"the corpus paper {PAPER} is not here")
    page = browser.new_page(viewport={"width": 1400, "height": 2000})
    _use_llm(page, app_url, llm_server, "sk-test-ask")
    page.get_by_role("link", name="Summarize").first.click()
    _wait_text(page, "Upload a paper or paste an article")
    path = tmp_path / PAPER.name
    path.write_bytes(PAPER.read_bytes())
    page.locator("input[type=file]").first.set_input_files(str(path))
    _wait_text(page, "Ask the paper")
    _ask(page, "How are the forward and rear validator sets of a dynasty defined?")
    answer = page.get_by_test_id("stChatMessage").nth(1)
    answer.get_by_text("According to the paper,").wait_for(timeout=60_000)
    request = llm_server.state.chat_requests[-1].body
    assert request["stream"] is True and "<passages>\n[§" in request["messages"][-1]["content"]
    answer = page.get_by_test_id("stChatMessage").nth(1)
    answer.get_by_text("tokens in").wait_for(timeout=60_000)  # the stream has ended (its usage is shown)
    cited = re.search(r"\[§[^\]]+, p\. (\d+)\]", answer.inner_text())
    assert cited, answer.inner_text()
    assert answer.inner_text().count(cited.group(0)) == 1, answer.inner_text()  # once: as its button, a mark in the text
    answer.get_by_role("button", name=re.compile(r"\[§")).first.click()
    _wait_text(page, f"Page {cited.group(1)} of 10")
