"""The Compare page with two batch runs, in a real browser (the app under `streamlit run`, Debian's Chromium):
two zips as the Batch page downloads them give a blind rating sheet to download; the sheet filled in (as a
rater would, in the .xlsx) and its key uploaded give the win rate, by kind and by length."""

from __future__ import annotations

import json

import pytest
from test_browser import REASON, _idle, _wait_text, app_log, app_url, browser, chromium  # noqa: F401

from summarizer.config.settings import Settings
from summarizer.run.batch import iter_batch, read_uploads, zip_results

pytestmark = pytest.mark.skipif(REASON is not None, reason=REASON or "")

ARTICLES = [f"The harbour of Bergen reopened on day {i} after a storm closed it for {i + 2} days. Ferries to the "
            f"islands run again on the normal timetable. The port authority said repairs cost {i + 1} million crowns. "
            f"Fishing boats had waited outside the breakwater. A second storm is forecast for next week." for i in range(4)]


def _zip(path, length: str):
    items = read_uploads([], ARTICLES)
    results = list(iter_batch(items, Settings(backend="extractive", length=length)))
    path.write_bytes(zip_results(results))
    return path


def _upload(page, n: int, path) -> None:
    """Give the ``n``-th file uploader ``path`` and wait until the app lists it. On a loaded machine an input
    set while the page re-renders can be dropped (the uploader is drawn anew): each try waits for the rerun
    the last upload started to end first, and a dropped input is set again, up to 4 times."""
    for _ in range(4):
        _idle(page)
        page.locator("input[type=file]").nth(n).set_input_files(str(path))
        try:
            _wait_text(page, path.name, 30_000)
            return
        except Exception:
            continue
    raise AssertionError(f"the upload of {path.name} never showed: " + page.inner_text("body")[-2000:])


def test_two_batch_runs_give_a_sheet_and_the_filled_sheet_gives_win_rates(app_url, app_log, browser, tmp_path):  # noqa: F811
    first, second = _zip(tmp_path / "short-run.zip", "short"), _zip(tmp_path / "long-run.zip", "long")
    page = browser.new_context(accept_downloads=True, viewport={"width": 1280, "height": 2000}).new_page()
    page.set_default_timeout(90_000)
    page.goto(f"{app_url}/Compare")
    _wait_text(page, "Compare two runs")
    page.get_by_text("Two batch runs").click()
    _wait_text(page, "Batch run A (zip)")
    _upload(page, 0, first)
    _upload(page, 1, second)
    _wait_text(page, "4 documents paired")
    saved = {}
    for name in ("Rating sheet (.xlsx)", "Key (keep it)"):
        with page.expect_download() as info:
            page.get_by_role("button", name=name).click()
        saved[name] = tmp_path / info.value.suggested_filename
        info.value.save_as(saved[name])
    key = json.loads(saved["Key (keep it)"].read_text())
    assert key["a"]["label"] == "short-run" and set(key["order"]) == {f"article-00{i}" for i in range(1, 5)}

    from openpyxl import load_workbook

    book = load_workbook(saved["Rating sheet (.xlsx)"])
    sheet = book["ratings"]
    assert sheet.max_row == 5 and "short-run" not in str([c.value for row in sheet.iter_rows() for c in row])
    for row in sheet.iter_rows(min_row=2):  # the rater prefers run B (the long one) on three, a tie on one
        doc = row[0].value
        row[12].value = "tie" if doc.endswith("4") else ("2" if key["order"][doc] == "ab" else "1")
    filled = tmp_path / "ratings-filled.xlsx"
    book.save(filled)
    _upload(page, 2, filled)
    _upload(page, 3, saved["Key (keep it)"])
    try:
        _wait_text(page, "4 rated: 0 A, 3 B, 1 tie")
    except Exception:
        (tmp_path / "page.txt").write_text(page.inner_text("body"))  # what the page said instead, for the log
        raise AssertionError(page.inner_text("body")[-3000:]) from None
    # the bands' table is drawn after the tally's line: under load it may not be there yet when the line is
    page.get_by_text("Length < 1.5k chars").first.wait_for(timeout=30_000)
    assert "Traceback" not in app_log.read_text()
