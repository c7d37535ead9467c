"""Sessions and keys on a server that serves others (issue #25, part A), below the browser:

- a session is named only by an id the server issued and signed, carried in a cookie, never by the
  address; a made-up id (in the address or in a forged cookie) is never adopted;
- a remembered API key is sealed under the server's secret, never stored in plain text, and a key an
  older version stored in plain text is not restored;
- a share link is its own read-only token, kept as a digest, that opens one run;
- the server's shared key goes only to the operator's own endpoint;
- a Base URL typed in a session goes through the network guard when the app serves others;
- session ids stay out of the log.

The endpoints are real HTTP servers on loopback that record every request and the key it carried.
"""

from __future__ import annotations

import logging
import sqlite3
from contextlib import nullcontext
from types import SimpleNamespace

import pytest
from llm_server import LLMServer

from summarizer.config import secret as server_secret
from summarizer.store.history import open_history
from ui import browser_session as ui_session
from ui.session_settings import (
    NO_SHARED_KEY_HERE,
    REFUSED_KEY,
    SETTINGS_KEY,
    SHARED_KEY,
    YOUR_KEY,
    own_prompts_dir,
    session_key,
    settings_from_session,
)

OPERATOR_KEY = "sk-operator-shared-0123456789"
OWNER_KEY = "sk-owner-remembered-9876543210"
PAPER = "# A short paper\n\n## Introduction\n\n" + "Sparrows fly in flocks of 40 birds over the fields. " * 12 + \
        "\n\n## Results\n\n" + "The flocks grew by 12 percent in the second year of the study. " * 12


class KeyRecordingLLM(LLMServer):
    """The test LLM server, also recording every request's method, path and Authorization header."""

    def __init__(self, **behaviour) -> None:
        super().__init__(**behaviour)
        self.seen: list[tuple[str, str, str]] = []
        seen, base = self.seen, self.httpd.RequestHandlerClass

        class Recording(base):  # type: ignore[misc, valid-type]
            def parse_request(self) -> bool:
                ok = super().parse_request()
                if ok:
                    seen.append((self.command, self.path, self.headers.get("Authorization", "")))
                return ok

        self.httpd.RequestHandlerClass = Recording

    def keys(self) -> set[str]:
        return {auth for _, _, auth in self.seen}


class Sidebar:
    def __init__(self, page: FakePage) -> None:
        self.page = page

    def __enter__(self) -> Sidebar:
        return self

    def __exit__(self, *exc) -> None:
        return None

    def checkbox(self, label, key=None, **kwargs) -> bool:
        self.page.checkboxes.append(label)
        self.page.helps.append(kwargs.get("help") or "")
        return bool(self.page.session_state.get(key))


class FakePage:
    """What ``ui_session`` uses of the ``streamlit`` module, for one browser request."""

    def __init__(self, cookies: dict | None = None, query: dict | None = None) -> None:
        self.session_state: dict = {}
        self.query_params: dict = dict(query or {})
        self.context = SimpleNamespace(cookies=dict(cookies or {}), url="http://127.0.0.1:8501/")
        self.secrets: dict = {}
        self.scripts: list[str] = []
        self.checkboxes: list[str] = []
        self.helps: list[str] = []
        self.sidebar = Sidebar(self)

    def html(self, body: str, **kwargs) -> None:
        self.scripts.append(body)

    def warning(self, *args, **kwargs) -> None:
        return None

    def container(self, **kwargs):
        return nullcontext()


def _cookie_set_by(page: FakePage) -> str:
    """The cookie value the page's script sets."""
    import re

    found = re.search(rf"{ui_session.COOKIE}=([0-9a-f]{{32}}\.[0-9a-f]{{64}});", " ".join(page.scripts))
    assert found, page.scripts
    return found.group(1)


# -- session ids -----------------------------------------------------------------------------------


def test_an_id_in_the_address_is_never_adopted():
    chosen = "a" * 32  # an id an attacker made up and put in a link
    page = FakePage(query={"sid": chosen})
    sid = ui_session.init_session(page)
    assert sid != chosen
    assert "sid" not in page.query_params  # the old parameter is removed from the address
    assert ui_session.session_id(FakePage(query={"sid": chosen})) != chosen  # not even while it is there
    assert server_secret.verified_session(_cookie_set_by(page)) == sid


def test_a_cookie_the_server_did_not_sign_is_never_adopted():
    made_up = "b" * 32
    for forged in (made_up, f"{made_up}.{'0' * 64}", server_secret.sign_session(made_up, "another server's secret")):
        page = FakePage(cookies={ui_session.COOKIE: forged, "summarizer_sid": made_up})
        assert ui_session.session_id(page) != made_up, forged


def test_the_signed_cookie_finds_the_same_session_again():
    first = FakePage()
    sid = ui_session.init_session(first)
    cookie = _cookie_set_by(first)
    assert "SameSite=Strict" in first.scripts[0] and "HttpOnly" not in first.scripts[0]
    again = FakePage(cookies={ui_session.COOKIE: cookie})  # a reload, or a new tab of the same browser
    assert ui_session.init_session(again) == sid
    assert again.scripts == []  # the browser sent it: nothing to set


def test_the_server_secret_file_is_owner_only(app_home):
    server_secret._cached.clear()
    server_secret.sign_session("c" * 32)
    path = app_home / server_secret.SECRET_FILE
    assert path.stat().st_mode & 0o777 == 0o600


# -- the remembered key ----------------------------------------------------------------------------


def _owner_with_key(keep: bool) -> tuple[FakePage, str]:
    page = FakePage()
    ui_session.init_session(page)
    page.session_state[SETTINGS_KEY] = {"backend": "llm", "api_key": OWNER_KEY}
    page.session_state[ui_session.KEEP_KEY] = keep
    ui_session.save_session(page)
    return page, _cookie_set_by(page)


def _stored_bytes(home) -> bytes:
    open_history().close()
    return b"".join(p.read_bytes() for p in (home / "data").glob("history.db*"))


def test_the_remembered_key_is_sealed_on_disk_and_restored_for_the_cookie_only(app_home):
    _, cookie = _owner_with_key(keep=True)
    assert OWNER_KEY.encode() not in _stored_bytes(app_home)
    back = FakePage(cookies={ui_session.COOKIE: cookie})
    ui_session.init_session(back)
    assert back.session_state[SETTINGS_KEY]["api_key"] == OWNER_KEY
    assert back.checkboxes == ["Remember my API key"]  # and it says who can use the key
    assert "anyone who opens this app on this server with this browser's session cookie" in back.helps[0]
    assert "encrypted" in back.helps[0] and "share link never" in back.helps[0]
    stranger = FakePage()  # another browser: nothing of it
    ui_session.init_session(stranger)
    assert "api_key" not in (stranger.session_state.get(SETTINGS_KEY) or {})


def test_a_key_not_remembered_is_not_stored(app_home):
    _owner_with_key(keep=False)
    assert OWNER_KEY.encode() not in _stored_bytes(app_home)


def test_a_key_stored_in_plain_text_before_is_not_restored(app_home):
    page = FakePage()
    sid = ui_session.init_session(page)
    open_history().save_session(sid, {"settings": {"backend": "llm"}, "keep_key": True, "api_key": OWNER_KEY})
    back = FakePage(cookies={ui_session.COOKIE: _cookie_set_by(page)})
    ui_session.init_session(back)
    assert "api_key" not in (back.session_state.get(SETTINGS_KEY) or {})
    ui_session.save_session(back)  # and the next save writes over it
    assert OWNER_KEY.encode() not in _stored_bytes(app_home)


def test_the_key_is_never_restored_into_a_shared_view(app_home):
    owner, cookie = _owner_with_key(keep=True)
    store = open_history()
    run_id = _a_run(store, owner.session_state["sid"])
    token = store.share_run(owner.session_state["sid"], run_id)
    viewer = FakePage(cookies={ui_session.COOKIE: cookie}, query={"share": token})  # even in the owner's browser
    viewer.caption = viewer.markdown = viewer.error = viewer.download_button = lambda *a, **k: None
    viewer.popover = lambda *a, **k: nullcontext()  # the export menu of the shared run
    viewer.radio = lambda label, options, **k: options[0]
    assert ui_session.shared_view(viewer)
    assert viewer.session_state == {} and viewer.scripts == [] and viewer.checkboxes == []


# -- share links -----------------------------------------------------------------------------------


def _a_run(store, owner: str) -> str:
    from summarizer.config.settings import Settings
    from summarizer.inputs.loading import load_text
    from summarizer.output.render import render_markdown
    from summarizer.run.engine import run
    from summarizer.store.recorder import RunRecorder

    document, settings = load_text(PAPER), Settings()
    recorder = RunRecorder(store, owner, document, "digest-1", settings)
    summary = None
    for event in run(document, settings):
        recorder(event)
        summary = event.summary if event.kind == "done" else summary
    recorder.finish(summary, render_markdown(summary))
    return recorder.run_id


def test_a_share_link_opens_one_run_read_only_and_is_kept_as_a_digest(app_home):
    store = open_history()
    run_id = _a_run(store, "owner-session")
    assert store.share_run("someone-else", run_id) is None  # only the run's owner shares it
    token = store.share_run("owner-session", run_id)
    assert token and len(token) >= 24
    assert store.shared_run(token).info.id == run_id
    assert store.shared_run(token[:-1] + ("A" if token[-1] != "A" else "B")) is None
    raw = sqlite3.connect(store.path).execute("SELECT digest FROM shares").fetchall()
    assert raw and token not in str(raw)
    store.delete_run("owner-session", run_id)
    assert store.shared_run(token) is None


# -- the shared server key ---------------------------------------------------------------------------


def test_the_shared_key_reaches_only_the_operators_endpoint(monkeypatch):
    from summarizer.inputs.loading import load_text
    from summarizer.run.engine import run

    with KeyRecordingLLM() as operator, KeyRecordingLLM() as visitor:
        monkeypatch.setenv("SUMMARIZER_SHARE_SERVER_KEY", "1")
        monkeypatch.setenv("OPENAI_API_KEY", OPERATOR_KEY)
        monkeypatch.setenv("OPENAI_BASE_URL", operator.base_url)
        monkeypatch.setenv("SUMMARIZER_ALLOWED_ENDPOINTS", "127.0.0.1")  # both are on loopback here
        own = {"backend": "llm", "model": "test-model", "max_attempts": 1, "timeout": 5, "use_cache": False}
        for state, server in (({SETTINGS_KEY: {**own, "base_url": visitor.base_url}}, visitor),
                              ({SETTINGS_KEY: {**own, "base_url": visitor.base_url.replace("/v1", "/v1/")}}, visitor),
                              ({SETTINGS_KEY: dict(own)}, operator)):
            settings = settings_from_session(state)
            for _ in run(load_text(PAPER), settings):
                pass
            assert server.seen, "the run reached its endpoint"
        assert visitor.seen and not any(OPERATOR_KEY in k for k in visitor.keys())
        assert f"Bearer {OPERATOR_KEY}" in operator.keys()  # the operator's endpoint does get it
        assert session_key({SETTINGS_KEY: {"base_url": visitor.base_url}}, None) == ("", NO_SHARED_KEY_HERE)
        assert session_key({SETTINGS_KEY: {"base_url": operator.base_url + "/"}}, None) == (OPERATOR_KEY, SHARED_KEY)
        assert session_key({SETTINGS_KEY: {"base_url": visitor.base_url, "api_key": "sk-mine"}}, None) == ("sk-mine", YOUR_KEY)


# -- the endpoint guard ------------------------------------------------------------------------------


def test_a_typed_endpoint_inside_the_network_is_refused_on_a_shared_server(monkeypatch):
    from summarizer.inputs.loading import load_text
    from summarizer.llm.endpoint import discover_context_window
    from summarizer.run.engine import run

    monkeypatch.setenv("SUMMARIZER_SHARED_SERVER", "1")
    monkeypatch.setenv("OPENAI_BASE_URL", "https://api.example.invalid/v1")
    with KeyRecordingLLM() as intranet:
        for url in ("http://169.254.169.254/latest/v1", intranet.base_url, "http://[::ffff:127.0.0.1]:9/v1"):
            state = {SETTINGS_KEY: {"backend": "llm", "model": "test-model", "base_url": url, "api_key": "sk-visitor"}}
            settings = settings_from_session(state)
            assert "inside this server's network" in state[REFUSED_KEY], url
            assert settings.base_url == "https://api.example.invalid/v1" and settings.api_key == ""
        assert discover_context_window(intranet.base_url, "test-model", "sk-visitor") is None
        assert intranet.seen == []  # nothing reached it
        # the operator allow-lists its own intranet model server: then it is used
        monkeypatch.setenv("SUMMARIZER_ALLOWED_ENDPOINTS", "127.0.0.1")
        state = {SETTINGS_KEY: {"backend": "llm", "model": "test-model", "base_url": intranet.base_url,
                                "max_attempts": 1, "use_cache": False}}
        settings = settings_from_session(state)
        assert REFUSED_KEY not in state and settings.base_url == intranet.base_url
        for _ in run(load_text(PAPER), settings):
            pass
        assert intranet.seen


def test_a_single_user_app_and_the_cli_keep_localhost_endpoints(monkeypatch):
    from summarizer.inputs.netguard import served_to_others

    with KeyRecordingLLM() as local:
        state = {SETTINGS_KEY: {"backend": "llm", "model": "test-model", "base_url": local.base_url}}
        assert not served_to_others()
        assert settings_from_session(state).base_url == local.base_url and REFUSED_KEY not in state
    monkeypatch.setenv("SUMMARIZER_SHARE_SERVER_KEY", "1")
    assert served_to_others()
    monkeypatch.setenv("SUMMARIZER_SHARED_SERVER", "0")
    assert not served_to_others()


def test_an_open_streamlit_address_counts_as_serving_others(monkeypatch):
    import streamlit  # noqa: F401
    from streamlit import config
    from streamlit.runtime import Runtime

    import ui.session_settings  # noqa: F401  (registers the Streamlit server's address with the guard)
    from summarizer.inputs.netguard import served_to_others

    monkeypatch.setattr(Runtime, "exists", classmethod(lambda cls: True))
    for address, shared in (("127.0.0.1", False), ("localhost", False), ("0.0.0.0", True), ("", True), ("10.0.0.5", True)):
        monkeypatch.setattr(config, "get_option", lambda name, a=address: a if name == "server.address" else None)
        assert served_to_others() is shared, address


# -- logs ----------------------------------------------------------------------------------------------


def test_session_ids_stay_out_of_the_log(caplog):
    caplog.set_level(logging.DEBUG)
    page = FakePage(query={"sid": "d" * 32})
    sid = ui_session.init_session(page)
    own_prompts_dir(page.session_state)
    page.session_state[SETTINGS_KEY] = {"backend": "extractive"}
    ui_session.save_session(page)
    assert caplog.records, "something was logged"
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert sid not in text and "d" * 32 not in text


@pytest.fixture(autouse=True)
def _fresh_secret():
    """Each test's app home makes its own secret file."""
    server_secret._cached.clear()
    yield
    server_secret._cached.clear()
