"""Settings in a real browser (the app under `streamlit run`, Chromium through Playwright, the fixtures
of test_browser.py): the common fields show, the rest wait under "Advanced"; a dead endpoint is warned
about on Save and by "Test connection", and a run against it says its error once; the Prompts tab says
that the extractive backend uses no prompts."""

from __future__ import annotations

import re
import socket

import pytest
from test_browser import REASON, _idle, _paper, _upload, _wait_text, app_url, browser, chromium  # noqa: F401

pytestmark = pytest.mark.skipif(REASON is not None, reason=REASON or "")

VIEW = {"width": 1280, "height": 2400}


def _closed_port_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}/v1"


def _open_settings(page, app_url: str) -> None:  # noqa: F811
    page.goto(f"{app_url}/Settings")
    _wait_text(page, "Backend in use")


def test_advanced_fields_wait_under_an_expander(app_url, browser):  # noqa: F811
    page = browser.new_page(viewport=VIEW)
    _open_settings(page, app_url)
    page.get_by_role("textbox", name="Model", exact=True).wait_for(state="visible", timeout=30_000)
    assert page.get_by_role("textbox", name="API key").is_visible()
    workers = page.get_by_role("spinbutton", name="Parallel requests")
    assert not workers.is_visible()  # folded away
    page.get_by_text("Advanced: requests and limits").click()
    workers.wait_for(state="visible", timeout=30_000)
    for _ in range(3):  # the number is the widget's once entered; on a loaded machine a rerun still running when it
        workers.fill("3")  # was typed can draw the widget again with the old value, and a Save then keeps that one
        workers.press("Enter")
        _idle(page)
        if workers.input_value() == "3":
            break
    page.get_by_role("button", name="Save settings").click()
    _wait_text(page, "Saved. Backend in use: extractive")
    page.reload()
    _wait_text(page, "Backend in use")
    page.get_by_text("Advanced: requests and limits").click()
    assert page.get_by_role("spinbutton", name="Parallel requests").input_value() == "3"


def test_a_dead_endpoint_is_warned_about_and_said_once(app_url, browser, tmp_path):  # noqa: F811
    page = browser.new_page(viewport=VIEW)
    _open_settings(page, app_url)
    page.get_by_text("OpenAI-compatible endpoint", exact=True).click()
    page.get_by_role("textbox", name="Base URL").fill(_closed_port_url())
    page.get_by_role("textbox", name="Model", exact=True).fill("test-model")
    page.get_by_role("button", name="Test connection").click()
    _wait_text(page, "Could not connect to 127.0.0.1", timeout=30_000)
    assert page.get_by_text("Saved.").count() == 0  # tested, not saved
    page.get_by_role("button", name="Save settings").click()
    _wait_text(page, "Saved. Backend in use: llm (test-model")
    _wait_text(page, "Saved, but the endpoint does not answer as it should: Could not connect", timeout=30_000)

    page.get_by_role("link", name=re.compile(r"^(app|Summarize)$")).first.click()  # the main page in the sidebar
    _wait_text(page, "Upload a paper or paste an article")
    paper = _paper()
    _upload(page, tmp_path, paper.name, paper.data)
    page.get_by_role("button", name="Summarize").click()
    _wait_text(page, "sections failed: Could not connect", timeout=60_000)
    alerts = page.get_by_test_id("stAlert").filter(has_text="Could not connect")
    assert alerts.count() == 1, [alerts.nth(i).inner_text() for i in range(alerts.count())]
    assert re.search(r"All \d+ sections failed: Could not connect", alerts.first.inner_text())
    _wait_text(page, "Nothing summarized with llm")  # the run's status: one line, no error per section


def test_prompts_tab_says_the_extractive_backend_uses_none(app_url, browser):  # noqa: F811
    page = browser.new_page(viewport=VIEW)
    _open_settings(page, app_url)
    page.get_by_role("tab", name="Prompts").click()
    _wait_text(page, "Prompts are used by the LLM backends")
    _wait_text(page, "does not use prompts")
    system = page.get_by_role("textbox", name="System message")
    system.fill("You are a terse reviewer. " + system.input_value())
    system.press("Tab")
    _wait_text(page, "Valid prompt.")
    page.get_by_role("button", name="Save", exact=True).click()
    _wait_text(page, "a summary made now is the same as before")
    assert page.get_by_text("will be re-run").count() == 0
