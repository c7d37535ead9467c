"""The document a user chose last is the one summarized and downloaded, in a real browser (the app under
`streamlit run`, Chromium through Playwright, the fixtures of test_browser.py), in every order of upload,
paste and History reopen. Issue #24: the file left in the uploader was loaded again on every rerun (its
digest differed from the pasted text's), so Summarize silently summarized the PDF instead of the paste.
"""

from __future__ import annotations

from test_browser import _download, _paper, _wait_text, app_url, browser, chromium  # noqa: F401
from test_browser import pytestmark_browser as pytestmark  # noqa: F401

ARTICLE = ("Harbour ferry returns after repairs\n\nThe harbour ferry returned to service on Friday after $2.1 million "
           "of repairs to its engines and hull.\n\nCommuters said the crossing had been missed for six weeks.")
HEADLINE = "# Harbour ferry returns after repairs"


def _choose_file(page, tmp_path, name: str, data: bytes) -> None:
    path = tmp_path / name
    path.write_bytes(data)
    page.get_by_role("tab", name="Upload a file").click()  # as a user does: the uploader is on its own tab
    page.locator("input[type=file]").first.set_input_files(str(path))


def _paste(page, text: str) -> None:
    page.get_by_role("tab", name="Paste text").click()
    page.get_by_label("Article or paper text").fill(text)
    page.get_by_role("button", name="Use this text").click()


def _summarize_and_download(page, tmp_path, shows: str) -> str:
    """Wait for the chosen document's sections (its title ``shows``), summarize, download the Markdown."""
    page.get_by_role("heading", name=shows).first.wait_for(timeout=90_000)  # not the pasted text in its tab
    page.get_by_role("button", name="Summarize").click()
    page.get_by_text("Summarized with").first.wait_for(timeout=90_000)
    _wait_text(page, "Download Markdown")
    return _download(page, tmp_path)[1]


def test_the_last_choice_is_summarized_upload_paste_upload_and_history(app_url, browser, tmp_path):  # noqa: F811
    paper = _paper()
    page = browser.new_context(accept_downloads=True, viewport={"width": 1280, "height": 2000}).new_page()
    page.goto(app_url)
    _wait_text(page, "Upload a paper or paste an article")

    _choose_file(page, tmp_path, paper.name, paper.data)  # upload, then paste: the pasted text
    _wait_text(page, paper.title)
    _paste(page, ARTICLE)
    # the uploader is emptied once the paste replaced its file: it never shows a file that is not the document
    page.get_by_role("tab", name="Upload a file").click()
    page.get_by_test_id("stFileUploader").get_by_text(paper.name).wait_for(state="detached", timeout=60_000)
    markdown = _summarize_and_download(page, tmp_path, "Harbour ferry returns after repairs")
    assert markdown.startswith(HEADLINE), markdown[:200]
    assert "$2.1 million" in markdown and paper.title not in markdown

    _choose_file(page, tmp_path, paper.name, paper.data)  # paste, then the same file chosen again: the PDF
    markdown = _summarize_and_download(page, tmp_path, paper.title)
    assert markdown.startswith(f"# {paper.title}"), markdown[:200]

    # History: reopen the pasted article's run (the newest but one); Summarize then summarizes the article
    page.get_by_role("link", name="History").first.click()
    _wait_text(page, "Reopen on the main page")
    page.get_by_label("Run", exact=True).click()
    page.get_by_role("option", name="Harbour ferry returns after repairs").first.click()
    page.get_by_role("button", name="Reopen on the main page").click()
    _wait_text(page, "Sections found")
    page.get_by_role("heading", name="Harbour ferry returns after repairs").first.wait_for(timeout=60_000)
    page.get_by_role("tab", name="Upload a file").click()  # the reopened run replaced the file: none is shown
    page.get_by_test_id("stFileUploader").get_by_text(paper.name).wait_for(state="detached", timeout=60_000)
    markdown = _summarize_and_download(page, tmp_path, "Harbour ferry returns after repairs")
    assert markdown.startswith(HEADLINE), markdown[:200]
