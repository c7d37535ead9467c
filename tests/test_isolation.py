"""One user's things stay theirs, through the real shared state: the prompt folder, the answer cache
and the server's environment key, seen by two browser sessions (AppTest) of one server process."""

from __future__ import annotations

import pytest
import tomllib
from conftest import ROOT
from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage
from streamlit.testing.v1 import AppTest

from summarizer.llm.prompts import load_prompts
from ui.session_settings import SESSION_ID_KEY, SETTINGS_KEY, prompts_dir_for, shared_prompts_dir

APP = str(ROOT / "app.py")
SETTINGS_PAGE = str(ROOT / "pages" / "1_Settings.py")
MARKER = "ISOLATION-MARKER-7"


def _settings_page(state: dict | None = None) -> AppTest:
    at = AppTest.from_file(SETTINGS_PAGE, default_timeout=30)
    for k, v in (state or {}).items():
        at.session_state[k] = v
    return at.run()


def _edit_method(at: AppTest) -> None:
    at.selectbox(key="pe_name").set_value("method").run()
    system = next(t for t in at.text_area if t.key.startswith("pe_system_method"))
    system.input(system.value + f" {MARKER}").run()


def _method_text(at: AppTest) -> str:
    if not any(t.key.startswith("pe_system_method") for t in at.text_area):
        at.selectbox(key="pe_name").set_value("method").run()
    return next(t for t in at.text_area if t.key.startswith("pe_system_method")).value


def _session_of(at: AppTest) -> dict:
    return {k: at.session_state[k] for k in (SETTINGS_KEY, SESSION_ID_KEY, "sid") if k in at.session_state}


def _summarize(state: dict, paper_pdf: bytes) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=90)
    for k, v in state.items():
        at.session_state[k] = v
    at.run()
    at.file_uploader(key="upload").set_value(("sparrow.pdf", paper_pdf, "application/pdf"))
    at.run()
    at.button(key="summarize").click().run()
    assert not at.exception
    return at


def test_a_saved_prompt_edit_stays_in_its_session(llm_server, paper_pdf):
    llm = {"backend": "llm", "base_url": llm_server.base_url, "model": "test-model", "api_key": "sk-a"}
    first = _settings_page({SETTINGS_KEY: dict(llm)})
    _edit_method(first)
    assert not any(b.key == "pe_save_shared" for b in first.button)  # not offered unless the server allows it
    first.button(key="pe_save").click().run()
    assert not (shared_prompts_dir() / "method.json5").exists()  # the shared folder is untouched
    assert MARKER in _method_text(first)
    second = _settings_page({SETTINGS_KEY: dict(llm, api_key="sk-b")})  # another browser
    assert MARKER not in _method_text(second)
    # the runs: A's requests carry A's edit; B's, through the same answer cache, never do
    a = _summarize(_session_of(first), paper_pdf)
    sent_a = [r.body["messages"][0]["content"] for r in llm_server.state.chat_requests]
    assert any(MARKER in s for s in sent_a)
    before = len(llm_server.state.chat_requests)
    b = _summarize(_session_of(second), paper_pdf)
    sent_b = [r.body["messages"][0]["content"] for r in llm_server.state.chat_requests[before:]]
    assert sent_b and not any(MARKER in s for s in sent_b)  # the method section is asked again, with B's prompt
    assert a.session_state["markdown"] and b.session_state["markdown"]


def test_save_for_everyone_needs_the_server_switch(monkeypatch):
    monkeypatch.setenv("SUMMARIZER_ALLOW_SHARED_PROMPTS", "1")
    first = _settings_page()
    _edit_method(first)
    first.button(key="pe_save_shared").click().run()
    assert MARKER in (shared_prompts_dir() / "method.json5").read_text()
    assert MARKER in _method_text(_settings_page())  # a new session starts from the shared set


def test_export_right_after_save_exports_the_saved_text(monkeypatch):
    exported: list[bytes] = []
    real = MemoryMediaFileStorage.load_and_get_id

    def record(self, path_or_data, mimetype, kind, filename=None):
        if filename == "summarizer-prompts.json":
            exported.append(path_or_data)
        return real(self, path_or_data, mimetype, kind, filename)

    monkeypatch.setattr(MemoryMediaFileStorage, "load_and_get_id", record)
    at = _settings_page()
    _edit_method(at)
    exported.clear()
    at.button(key="pe_save").click().run()
    assert exported and MARKER in exported[-1].decode()


def test_importing_the_defaults_marks_nothing_as_edited():
    from summarizer.llm.prompts import export_prompt_set

    at = _settings_page()
    at.file_uploader(key="pe_import").set_value(("set.json", export_prompt_set(load_prompts()).encode(),
                                                 "application/json")).run()
    at.button(key="pe_import_go").click().run()
    assert any("Imported" in s.value and "not marked as edited" in s.value for s in at.success)
    folder = prompts_dir_for({k: at.session_state[k] for k in (SESSION_ID_KEY, "sid") if k in at.session_state})
    assert folder.is_dir() and load_prompts(folder).overridden == set()


def _key_run(llm_server, paper_pdf, monkeypatch, share: bool, own_key: str | None):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-server-env-key")
    monkeypatch.setenv("OPENAI_BASE_URL", llm_server.base_url)  # the operator's own endpoint: the shared key goes only there
    if share:
        monkeypatch.setenv("SUMMARIZER_SHARE_SERVER_KEY", "1")
    else:
        monkeypatch.delenv("SUMMARIZER_SHARE_SERVER_KEY", raising=False)
    stored = {"backend": "llm", "base_url": llm_server.base_url, "model": "test-model", "use_cache": False}
    if own_key:
        stored["api_key"] = own_key
    before = len(llm_server.state.chat_requests)
    at = _summarize({SETTINGS_KEY: stored}, paper_pdf)
    keys = {r.headers.get("authorization") for r in llm_server.state.chat_requests[before:]}
    captions = " ".join(c.value for c in at.caption)
    return keys, captions


def test_the_server_key_is_not_used_unless_shared(llm_server, paper_pdf, monkeypatch):
    keys, captions = _key_run(llm_server, paper_pdf, monkeypatch, share=False, own_key=None)
    assert "Bearer sk-server-env-key" not in keys and "Runs use no key" in captions
    keys, captions = _key_run(llm_server, paper_pdf, monkeypatch, share=True, own_key=None)
    assert keys == {"Bearer sk-server-env-key"} and "Runs use the server's shared key" in captions
    keys, captions = _key_run(llm_server, paper_pdf, monkeypatch, share=True, own_key="sk-mine")
    assert keys == {"Bearer sk-mine"} and "Runs use your key (this session only)" in captions


def test_one_sessions_key_never_reaches_another(llm_server, paper_pdf, monkeypatch):
    _key_run(llm_server, paper_pdf, monkeypatch, share=False, own_key="sk-alice")
    keys, _ = _key_run(llm_server, paper_pdf, monkeypatch, share=False, own_key=None)
    assert "Bearer sk-alice" not in keys


def test_settings_page_says_whose_key(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-server-env-key")
    monkeypatch.delenv("SUMMARIZER_SHARE_SERVER_KEY", raising=False)
    at = _settings_page({SETTINGS_KEY: {"backend": "llm"}})
    assert any("runs use no key" in c.value for c in at.caption)
    monkeypatch.setenv("SUMMARIZER_SHARE_SERVER_KEY", "1")
    at = _settings_page({SETTINGS_KEY: {"backend": "llm"}})
    assert any("runs use the server's shared key" in c.value for c in at.caption)


def test_the_app_listens_on_loopback_by_default():
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["server"]["address"] == "127.0.0.1"


@pytest.mark.parametrize("value,shared", [("1", True), ("true", True), ("0", False), ("", False)])
def test_share_switch_values(monkeypatch, value, shared):
    from ui.session_settings import settings_from_session

    monkeypatch.setenv("OPENAI_API_KEY", "sk-env")
    monkeypatch.setenv("SUMMARIZER_SHARE_SERVER_KEY", value)
    assert (settings_from_session({}).api_key == "sk-env") is shared
    assert settings_from_session({}, {"OPENAI_API_KEY": "sk-secret"}).api_key == ("sk-secret" if shared else "")
