"""Sessions and keys in a real browser (issue #25, part A): the app under `streamlit run`, an owner and
an attacker in two browser contexts (no shared cookies), and loopback model servers that record every
request with the key it carried.

- A link never opens another browser's session: an id in the address (``?sid=``) or a forged cookie is
  not adopted, and a victim who opens a link with an id the attacker chose gets a session of their own.
- A remembered key is sealed on disk and comes back on reload for its own browser only; a share link
  shows that one result read-only, with none of the owner's History, settings or key.
- With the server key shared, a visitor's Base URL never receives it.
- On a server that serves others, a Base URL inside the server's network is refused before anything
  connects to it.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from test_browser import REASON, _use_llm, _wait_text, browser, chromium, streamlit_app  # noqa: F401
from test_session_security import OPERATOR_KEY, PAPER, KeyRecordingLLM

pytestmark = pytest.mark.skipif(REASON is not None, reason=REASON or "")

VIEW = {"width": 1280, "height": 2400}
OWNER_KEY = "sk-owner-browser-key-24680"
COOKIE = "summarizer_session"


_app = streamlit_app


def _page(browser):  # noqa: F811
    """A page in a browser context of its own (its own cookies: another person's browser)."""
    page = browser.new_context(accept_downloads=True, viewport=VIEW).new_page()
    page.set_default_timeout(90_000)
    return page


def _session_cookie(page) -> str:
    return next((c["value"] for c in page.context.cookies() if c["name"] == COOKIE), "")


def _paste_and_summarize(page, app_url: str) -> None:
    page.goto(app_url)
    _wait_text(page, "Upload a paper or paste an article")
    page.get_by_role("tab", name="Paste text").click()
    page.get_by_label("Article or paper text").fill(PAPER)
    page.get_by_role("button", name="Use this text").click()
    _wait_text(page, "Sections found")
    page.get_by_role("button", name="Summarize").click()
    _wait_text(page, "Download Markdown")


def _wait_cookie_replaced(page, forged_id: str, seconds: float = 15) -> None:
    """The session cookie no longer names ``forged_id`` (the app sets its own from the browser, after drawing)."""
    deadline = time.monotonic() + seconds
    while _session_cookie(page).split(".")[0] == forged_id and time.monotonic() < deadline:
        page.wait_for_timeout(100)
    assert _session_cookie(page).split(".")[0] != forged_id


def _history_of(page, url: str) -> str:
    """What the History page at ``url`` shows: "empty" or "runs"."""
    page.goto(url)
    _wait_text(page, "Your past summaries in this browser")
    page.get_by_text(re.compile(r"Nothing here yet|\d+ run\(s\)")).first.wait_for()
    return "empty" if page.get_by_text("Nothing here yet").count() else "runs"


def _stored_bytes(tmp_path: Path) -> bytes:
    return b"".join(p.read_bytes() for p in (tmp_path / "home" / "data").glob("history.db*"))


def test_a_link_or_a_forged_cookie_never_opens_another_browsers_session(browser, tmp_path):  # noqa: F811
    with _app(tmp_path) as app_url:
        owner = _page(browser)
        _paste_and_summarize(owner, app_url)
        assert "sid=" not in owner.url
        cookie = _session_cookie(owner)
        owner_id = cookie.split(".")[0]
        assert re.fullmatch(r"[0-9a-f]{32}\.[0-9a-f]{64}", cookie), cookie
        assert _history_of(owner, f"{app_url}/History") == "runs"
        owner.reload()  # a reload finds the same session through the cookie
        _wait_text(owner, "Your past summaries in this browser")
        owner.get_by_text(re.compile(r"\d+ run\(s\)")).first.wait_for()

        attacker = _page(browser)  # knows the owner's id (an old link, a log): the address is no credential
        assert _history_of(attacker, f"{app_url}/History?sid={owner_id}") == "empty"
        assert "sid=" not in attacker.url  # the old parameter is removed
        forger = _page(browser)  # a cookie the server did not sign is not adopted either
        forger.context.add_cookies([{"name": COOKIE, "value": f"{owner_id}.{'0' * 64}", "url": app_url},
                                    {"name": "summarizer_sid", "value": owner_id, "url": app_url}])
        assert _history_of(forger, f"{app_url}/History") == "empty"
        _wait_cookie_replaced(forger, owner_id)  # the app writes its own signed cookie a moment after drawing

        chosen = "f" * 32  # fixation: the attacker sends a link with an id of their choosing
        victim = _page(browser)
        victim.goto(f"{app_url}/?sid={chosen}")
        _paste_and_summarize(victim, f"{app_url}/?sid={chosen}")
        assert _session_cookie(victim).split(".")[0] != chosen
        assert _history_of(_page(browser), f"{app_url}/History?sid={chosen}") == "empty"
        assert _history_of(owner, f"{app_url}/History") == "runs"  # the owner still has theirs


def test_a_remembered_key_stays_with_its_browser_and_a_share_link_is_read_only(browser, tmp_path):  # noqa: F811
    with KeyRecordingLLM() as model, _app(tmp_path) as app_url:
        owner = _page(browser)
        _use_llm(owner, app_url, model, OWNER_KEY)
        owner.get_by_text("Remember my API key").first.click()
        owner.get_by_role("checkbox", name="Remember my API key").wait_for(state="attached")
        time.sleep(1.0)  # its change is saved by a rerun
        _paste_and_summarize(owner, app_url)
        assert OWNER_KEY.encode() not in _stored_bytes(tmp_path)  # remembered, but sealed

        owner.get_by_role("button", name="Share link").click()
        code = owner.locator("[data-testid=stCode]").filter(has_text="share=").first
        code.wait_for()
        link = re.search(r"https?://\S+share=[\w-]+", code.inner_text()).group(0)
        assert "sid" not in link and _session_cookie(owner).split(".")[0] not in link

        owner.goto(f"{app_url}/Settings")  # a new page load: the key came back for this browser
        _wait_text(owner, "runs use your key")
        requests_before = len(model.seen)

        visitor = _page(browser)
        visitor.goto(link)
        _wait_text(visitor, "A shared summary (read-only)")
        _wait_text(visitor, "Sparrows fly in flocks")
        assert visitor.get_by_text("Remember my API key").count() == 0
        assert visitor.get_by_role("button", name="Summarize").count() == 0
        assert visitor.get_by_role("button", name="Share link").count() == 0
        assert _history_of(visitor, f"{app_url}/History") == "empty"  # nothing of the owner's session
        visitor.goto(f"{app_url}/Settings")
        _wait_text(visitor, "runs use no key")

        # the owner opening their own share link gets the read-only view too, and no key with it
        owner.goto(link)
        _wait_text(owner, "A shared summary (read-only)")
        assert owner.get_by_text("Remember my API key").count() == 0
        assert len(model.seen) == requests_before  # no one ran anything with the owner's key meanwhile
        assert model.keys() == {f"Bearer {OWNER_KEY}"}


def test_the_shared_server_key_never_reaches_a_visitors_endpoint(browser, tmp_path):  # noqa: F811
    with KeyRecordingLLM() as operator, KeyRecordingLLM() as elsewhere, \
            _app(tmp_path, SUMMARIZER_SHARE_SERVER_KEY="1", OPENAI_API_KEY=OPERATOR_KEY, OPENAI_BASE_URL=operator.base_url,
                 SUMMARIZER_ALLOWED_ENDPOINTS="127.0.0.1") as app_url:
        visitor = _page(browser)
        visitor.goto(f"{app_url}/Settings")
        _wait_text(visitor, "runs use the server's shared key")
        _use_llm(visitor, app_url, elsewhere, "")  # their own Base URL, no key of their own
        _wait_text(visitor, "the server's shared key is used only with the server's own endpoint")
        _paste_and_summarize(visitor, app_url)
        assert elsewhere.seen, "the run went to the visitor's endpoint"
        assert not any(OPERATOR_KEY in key for key in elsewhere.keys())
        assert operator.seen == []


def test_an_endpoint_inside_the_network_is_refused_on_a_shared_server(browser, tmp_path):  # noqa: F811
    with KeyRecordingLLM() as operator, KeyRecordingLLM() as intranet, \
            _app(tmp_path, SUMMARIZER_SHARED_SERVER="1", OPENAI_BASE_URL=operator.base_url) as app_url:
        visitor = _page(browser)
        visitor.goto(f"{app_url}/Settings")
        _wait_text(visitor, "Backend in use")
        visitor.get_by_text("OpenAI-compatible endpoint", exact=True).click()
        visitor.get_by_role("textbox", name="Base URL").fill(intranet.base_url)
        visitor.get_by_role("textbox", name="Model", exact=True).fill("test-model")
        visitor.get_by_role("textbox", name="API key").fill("sk-visitor")
        visitor.get_by_role("button", name="Save settings").click()
        _wait_text(visitor, "is inside this server's network")
        assert visitor.get_by_text("Saved. Backend in use").count() == 0
        visitor.goto(app_url)
        _wait_text(visitor, "Upload a paper or paste an article")
        assert intranet.seen == []  # nothing connected to it, not even a probe
