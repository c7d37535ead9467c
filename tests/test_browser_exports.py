"""The export menu in a real browser (the app under `streamlit run`, Debian's Chromium), issue #31: a paper is
summarized, then exported from the result page as Word and as BibTeX, and from History as an Obsidian note; each
file is opened by the library the user's tool would use (python-docx, bibtexparser, a YAML parser)."""

from __future__ import annotations

import io

import pytest
import yaml
from test_browser import (  # noqa: F401
    REASON,
    _idle,
    _paper,
    _upload_and_summarize,
    _use_llm,
    _wait_text,
    app_log,
    app_url,
    browser,
    chromium,
)

pytestmark = pytest.mark.skipif(REASON is not None, reason=REASON or "")


def _open_formats(page, key: str) -> None:
    """Open the "More formats" pop-over; a click a rerun swallowed (a loaded machine) is clicked again."""
    for _ in range(4):
        _idle(page)
        page.locator(f".st-key-{key}_formats button").first.click()
        try:
            page.get_by_role("button", name="All formats (.zip)").wait_for(state="visible", timeout=15_000)
            return
        except Exception:
            continue
    raise AssertionError("the More formats pop-over did not open")


def _export(page, label: str, key: str) -> tuple[str, bytes]:
    """The file the "More formats" pop-over gives for ``label``, picked in its list and downloaded by its button."""
    _open_formats(page, key)
    page.get_by_text(label, exact=True).first.click()
    _idle(page)
    with page.expect_download(timeout=60_000) as info:
        page.get_by_role("button", name=f"Download {label}").click()
    download = info.value
    page.keyboard.press("Escape")  # the pop-over stays open after a download: closed, as a user leaves it
    return download.suggested_filename, open(download.path(), "rb").read()


def test_a_summary_exported_as_word_bibtex_and_an_obsidian_note(app_url, browser, tmp_path, llm_server):  # noqa: F811
    import bibtexparser
    import docx

    page = browser.new_page(accept_downloads=True, viewport={"width": 1280, "height": 2400})
    page.set_default_timeout(90_000)
    page.goto(app_url)
    _wait_text(page, "Upload a paper or paste an article")
    paper = _paper()
    _upload_and_summarize(page, tmp_path, paper.name, paper.data)

    name, data = _export(page, "Word (.docx)", "download")
    assert name == paper.name.replace(".pdf", ".docx")
    word = docx.Document(io.BytesIO(data))
    texts = [p.text for p in word.paragraphs]
    assert paper.title in texts and "Overall summary" in texts
    provenance = {row.cells[0].text: row.cells[1].text for row in word.tables[-1].rows}  # the last table
    assert "Provenance" in texts and provenance["Backend"].startswith("extractive")

    name, data = _export(page, "BibTeX (.bib)", "download")
    library = bibtexparser.parse_string(data.decode("utf-8"))
    assert not library.failed_blocks and len(library.entries) == 1
    assert paper.title.split(":")[0].lower() in library.entries[0]["title"].lower()

    _open_formats(page, "download")
    with page.expect_download(timeout=60_000) as info:
        page.get_by_role("button", name="All formats (.zip)").click()
    page.keyboard.press("Escape")
    import zipfile

    with zipfile.ZipFile(info.value.path()) as bundle:
        stem = paper.name.removesuffix(".pdf")
        assert {f"{stem}.docx", f"{stem}.bib", f"{stem}.md", f"{stem}.zotero.html"} <= set(bundle.namelist())

    page.get_by_role("link", name="History").first.click()
    _wait_text(page, "Reopen on the main page")
    name, data = _export(page, "Obsidian note (.md)", "hist")
    text = data.decode("utf-8")
    assert text.startswith("---\n")
    front = yaml.safe_load(text.split("---\n", 2)[1])
    assert front["title"] == paper.title and front["backend"].startswith("extractive")
    assert "[!summary]" in text

    # the settings changed since the run: its export still says how it was made, not what the settings say now
    _use_llm(page, app_url, llm_server, "sk-test-0000")
    page.get_by_role("link", name="Summarize").first.click()
    _wait_text(page, "Download Markdown")
    _, data = _export(page, "Word (.docx)", "download")
    rows = {row.cells[0].text: row.cells[1].text for row in docx.Document(io.BytesIO(data)).tables[-1].rows}
    assert rows["Backend"].startswith("extractive") and "Model" not in rows and "Endpoint host" not in rows, rows
