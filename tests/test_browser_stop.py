"""Stop in a real browser: the Stop button in the progress area ends the spending within a second,
and the page keeps the sections that finished and names those that did not.

Uses the app and Chromium fixtures of ``test_browser`` (skipped with them when Chromium or
Playwright is missing) and a slow stand-in LLM server on loopback.
"""

from __future__ import annotations

import time

import pytest
from llm_server import LLMServer
from test_browser import REASON, _paper_with_llm, _wait_text, app_url, browser, chromium  # noqa: F401

pytestmark = pytest.mark.skipif(REASON is not None, reason=REASON or "")


def test_stop_button_stops_requests_and_keeps_finished_sections(app_url, browser, tmp_path):  # noqa: F811
    with LLMServer(latency=2.0) as server:
        page = browser.new_page(viewport={"width": 1280, "height": 2400})
        _paper_with_llm(page, app_url, server, "sk-browser-stop-key", tmp_path)
        page.get_by_role("button", name="Summarize").click()
        page.get_by_text("done", exact=True).first.wait_for(timeout=60_000)  # one section finished
        page.get_by_role("button", name="Stop").click()
        stopped = time.monotonic()
        _wait_text(page, "Stopped (Stop pressed)", timeout=30_000)
        time.sleep(2.0)
        late = [r for r in server.state.chat_requests if r.at > stopped + 1.0]
        assert late == [], f"{len(late)} request(s) started more than 1 s after Stop"
        assert len(server.state.chat_requests) <= 8  # two waves of 4 workers at most, not the paper's 12 sections
        _wait_text(page, "Not run (")  # sections the Stop kept from running: not run, not failed
        assert page.get_by_role("button", name="Download Markdown").count() == 1  # finished sections are kept
