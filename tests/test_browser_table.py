"""The Literature table page in a real browser (the app under `streamlit run`, Debian's Chromium): three corpus
papers uploaded together, a column of the user's own added, the table filled offline, the passage and PDF page
behind a cell shown, the CSV export holding every citation, and the table back from History after a reload."""

from __future__ import annotations

import csv
import io
import re

import pytest
from conftest import CORPUS
from test_browser import REASON, _idle, _wait_text, app_log, app_url, browser, chromium  # noqa: F401

pytestmark = pytest.mark.skipif(REASON is not None, reason=REASON or "")

PAPERS = ("spectral-conv-kernels-2page.pdf", "discouragement-attacks.pdf", "monero-mrl-0006-subaddresses.pdf")


def test_three_papers_a_user_column_offline_cells_cited_pages_and_csv(app_url, app_log, browser, tmp_path):  # noqa: F811
    paths = [CORPUS / "papers" / name for name in PAPERS]
    if not all(p.exists() for p in paths):
        pytest.skip(f"the shared corpus is not at {CORPUS}")
    page = browser.new_context(accept_downloads=True, viewport={"width": 1400, "height": 2600}).new_page()
    page.set_default_timeout(90_000)
    page.goto(f"{app_url}/Literature_table")
    _wait_text(page, "Papers (2 to 50")
    for _ in range(3):  # an input set while the page re-renders can be dropped: set again
        page.locator("input[type=file]").first.set_input_files([str(p) for p in paths])
        try:
            _wait_text(page, "papers × ", 30_000)
            break
        except Exception:
            continue
    page.get_by_label("New column").fill("Sample size")
    page.get_by_label("What its cells should hold").fill("the number of participants, nodes or samples studied")
    page.get_by_role("button", name="Add column").click()
    _wait_text(page, "3 papers × 7 columns, offline")
    page.get_by_role("button", name="Fill the table").click()
    _wait_text(page, "Synthesis", 180_000)
    _idle(page)
    body = page.inner_text("body")
    assert "Traceback" not in body and "3 papers:" in body
    # the passage behind a cell, and its page: the first cell with a citation is chosen by default
    box = page.get_by_label("Passage behind a cell")
    box.wait_for()
    cited = re.search(r"Cited: \[[^\]]*p\. (\d+)\]", page.inner_text("body"))
    assert cited, page.inner_text("body")[-3000:]
    _wait_text(page, f"PDF page {cited.group(1)} of ")
    # a click on a cell of the table (the data frame's canvas) shows that cell's passage: the second paper's
    # first column (the columns come right after the paper and its title)
    frame = page.locator("[data-testid=stDataFrame]").last  # the first is the columns editor
    area = frame.bounding_box()
    page.mouse.click(area["x"] + 320, area["y"] + 35 * 2.5)
    _wait_text(page, "P2 · Research question")
    with page.expect_download() as info:
        page.get_by_role("button", name="⬇️ CSV", exact=True).click()
    rows = list(csv.reader(io.StringIO(info.value.path().read_text(encoding="utf-8-sig"))))
    header = rows[0]
    assert header[:6] == ["Paper", "Title", "Authors", "Year", "Source", "Key"] and header[-1] == "Sample size"
    papers = [r for r in rows[1:] if r and r[0].startswith("P")]
    assert len(papers) == 3
    cells = [c for r in papers for c in r[6:]]
    assert all(c == "not reported" or re.search(r"\[§[^\]]*\]", c) for c in cells), cells
    assert sum(c != "not reported" for c in cells) >= len(cells) // 2
    # kept in History: after a reload the table is listed and opens
    page.reload()
    _wait_text(page, "Earlier tables")
    page.get_by_role("combobox", name="Earlier tables").click()
    page.get_by_role("option", name=re.compile("^3 papers:")).click()
    _wait_text(page, "Synthesis")
    assert "3 papers:" in page.inner_text("body")


def test_a_column_set_saved_on_settings_is_offered_on_the_table_page(app_url, app_log, browser):  # noqa: F811
    page = browser.new_context(viewport={"width": 1400, "height": 2000}).new_page()
    page.set_default_timeout(90_000)
    page.goto(f"{app_url}/Settings")
    page.get_by_role("tab", name="Table columns").click()
    box = page.get_by_label("Columns (JSON5)")
    box.fill('{name: "trials", columns: [{name: "Sample size", description: "the number of patients enrolled"}, '
             '{name: "Outcome", description: "the primary outcome measured"}]}')
    page.get_by_role("textbox", name="Save as", exact=True).fill("trials")
    page.get_by_role("button", name="Save column set").click()
    _wait_text(page, "Saved 'trials' (2 columns).")
    box.fill("{columns: [{name: 'Outcome', description: ''}]}")
    page.get_by_role("textbox", name="Save as", exact=True).fill("broken")
    page.get_by_role("button", name="Save column set").click()
    _wait_text(page, "has no description")
    page.goto(f"{app_url}/Literature_table")
    _wait_text(page, "Papers (2 to 50")
    page.get_by_role("combobox", name="Column set").click()
    page.get_by_role("option", name="trials").click()
    assert "Traceback" not in page.inner_text("body")


def test_stop_keeps_the_papers_filled_and_asks_nothing_more(browser, tmp_path):  # noqa: F811
    """With a model one paper at a time (each answer ~2 s), Stop after the first paper: the table comes back
    marked stopped with the rows filled; no request is sent for a paper after the Stop, and no synthesis."""
    from llm_server import LLMServer
    from test_browser import streamlit_app

    texts = [f"# Study {i}\n\n## Abstract\nIn this paper we ask how ferry route {i} affects harbour traffic. The route "
             f"carried {1000 + i} passengers a day.\n\n## 2 Method\nWe counted passengers on {20 + i} days." for i in range(4)]
    paths = []
    for i, text in enumerate(texts):
        paths.append(tmp_path / f"study{i}.md")
        paths[-1].write_text(text, encoding="utf-8")
    with LLMServer(latency=2.0) as server, streamlit_app(
            tmp_path, SUMMARIZER_BACKEND="llm", SUMMARIZER_BASE_URL=server.base_url, SUMMARIZER_MODEL="test-model",
            SUMMARIZER_API_KEY="sk-table-stop", SUMMARIZER_WORKERS="1", SUMMARIZER_CONTEXT_WINDOW="16000") as url:
        page = browser.new_context(viewport={"width": 1400, "height": 2200}).new_page()
        page.set_default_timeout(90_000)
        page.goto(f"{url}/Literature_table")
        _wait_text(page, "Papers (2 to 50")
        page.locator("input[type=file]").first.set_input_files([str(p) for p in paths])
        _wait_text(page, "4 papers × 6 columns with test-model")
        page.get_by_role("button", name="Fill the table").click()
        _wait_text(page, "1 of 4 papers", 60_000)
        page.get_by_role("button", name="Stop").click()
        _wait_text(page, "stopped: papers not started are missing", 60_000)
        asked = len(server.state.chat_requests)
        page.wait_for_timeout(3_000)
        # nothing is asked once the page says stopped, and the papers not started were never asked (how many had
        # started when the Stop landed depends on the machine's load: one, or two on a loaded one)
        assert len(server.state.chat_requests) == asked < len(texts)
        assert not any("<table>" in r.body["messages"][-1]["content"] for r in server.state.chat_requests)
        assert "Traceback" not in page.inner_text("body")
