"""The Settings page (AppTest): the common fields first and the rest under "Advanced"; Save and "Test
connection" look at the endpoint (bounded) and say when it cannot be reached; the Prompts tab says which
backends use prompts, and Save does not promise a re-run the backend in use would not change."""

from __future__ import annotations

import socket

from conftest import ROOT
from streamlit.testing.v1 import AppTest

SETTINGS_PAGE = str(ROOT / "pages" / "1_Settings.py")
COMMON = {"set_backend", "set_model_path", "set_base_url", "set_model", "set_api_key", "set_clear_key", "set_language",
          "set_length"}


def _page(settings: dict | None = None) -> AppTest:
    at = AppTest.from_file(SETTINGS_PAGE, default_timeout=30)
    if settings is not None:
        at.session_state["summarizer_settings"] = settings
    return at.run()


def _keys(block) -> set[str]:
    """The widget keys inside an element tree."""
    found = set()
    for child in getattr(block, "children", {}).values():
        key = getattr(child, "key", None)
        if isinstance(key, str) and key.startswith("set_"):
            found.add(key)
        found |= _keys(child)
    return found


def _closed_port() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}/v1"


def test_common_fields_first_the_rest_under_advanced():
    at = _page()
    assert not at.exception
    advanced = [e for e in at.expander if e.label.startswith("Advanced")]
    assert len(advanced) == 1
    inside = _keys(advanced[0])
    everything = _keys(at.main)
    assert COMMON <= everything and not COMMON & inside
    assert {"set_workers", "set_context", "set_temperature", "set_timeout", "set_run_timeout", "set_group_below",
            "set_parser", "set_max_pages", "set_cache", "set_reasoning", "set_threads"} <= inside
    assert any(k.startswith("set_price_in_") for k in inside)
    assert everything - inside == COMMON  # every other field is under Advanced, none is lost


def test_save_warns_about_an_unreachable_endpoint():
    at = _page()
    at.radio(key="set_backend").set_value("llm")
    at.text_input(key="set_base_url").input(_closed_port())
    at.text_input(key="set_model").input("test-model")
    at.button[0].click().run()
    assert at.success and at.success[0].value.startswith("Saved.")  # saved all the same
    warned = [w.value for w in at.warning]
    assert len(warned) == 1 and "Could not connect to 127.0.0.1" in warned[0] and "Runs will fail" in warned[0]


def test_save_says_nothing_more_for_a_working_endpoint(llm_server):
    at = _page()
    at.radio(key="set_backend").set_value("llm")
    at.text_input(key="set_base_url").input(llm_server.base_url)
    at.text_input(key="set_model").input("test-model")
    at.button[0].click().run()
    assert at.success and not at.warning and not at.error
    assert any(path.endswith("/models") for path in llm_server.state.gets)  # the endpoint was asked


def test_test_connection_reports_what_it_found(llm_server):
    at = _page()
    at.radio(key="set_backend").set_value("llm")
    at.text_input(key="set_base_url").input(llm_server.base_url)
    at.text_input(key="set_model").input("test-model")
    at.button[1].click().run()  # "Test connection": nothing is saved
    assert at.success[0].value == "Connected to 127.0.0.1: the model 'test-model' is available."
    assert "summarizer_settings" not in at.session_state  # tested, not saved
    at.text_input(key="set_base_url").input(_closed_port())
    at.button[1].click().run()
    assert at.warning and "Could not connect" in at.warning[0].value


def _edit_method_prompt(at: AppTest) -> None:
    at.selectbox(key="pe_name").set_value("method").run()
    system = next(t for t in at.text_area if t.key.startswith("pe_system_method"))
    system.input(system.value + " Always name the algorithm.").run()


def test_prompts_tab_says_the_extractive_backend_uses_no_prompts():
    at = _page()
    assert any("Prompts are used by the LLM backends" in c.value for c in at.caption)
    assert any("does not use prompts" in i.value for i in at.info)
    _edit_method_prompt(at)
    at.button(key="pe_save").click().run()
    saved = [s.value for s in at.success if s.value.startswith("Saved 'method'")]
    assert saved and "does not use prompts" in saved[0] and "asked again" not in saved[0] and "re-run" not in saved[0]


def test_prompt_save_with_an_llm_backend_says_sections_are_asked_again(llm_server):
    at = _page({"backend": "llm", "base_url": llm_server.base_url, "model": "test-model"})
    assert not any("does not use prompts" in i.value for i in at.info)
    _edit_method_prompt(at)
    at.button(key="pe_save").click().run()
    saved = [s.value for s in at.success if s.value.startswith("Saved 'method'")]
    assert saved and "asked again" in saved[0]


def test_test_connection_never_reaches_inside_a_shared_servers_network(llm_server, monkeypatch):
    monkeypatch.setenv("SUMMARIZER_SHARED_SERVER", "1")  # the app serves others: a typed loopback URL is refused
    at = _page()
    at.radio(key="set_backend").set_value("llm")
    at.text_input(key="set_base_url").input(llm_server.base_url)
    at.text_input(key="set_model").input("test-model")
    at.button[1].click().run()
    assert at.error and "inside this server's network" in at.error[0].value
    assert llm_server.state.gets == []  # refused before any request


def test_main_page_offers_no_prompt_choice_the_backend_ignores(paper_pdf, llm_server):
    app = str(ROOT / "app.py")
    said = "Prompts apply to the LLM backends only"
    offline = AppTest.from_file(app, default_timeout=60).run()
    offline.file_uploader(key="upload").set_value(("sparrow.pdf", paper_pdf, "application/pdf"))
    offline.run()
    assert any(said in c.value for c in offline.caption)
    assert _prompt_column(offline).get("disabled") is True
    with_llm = AppTest.from_file(app, default_timeout=60)
    with_llm.session_state["summarizer_settings"] = {"backend": "llm", "base_url": llm_server.base_url,
                                                     "model": "test-model"}
    with_llm.run()
    with_llm.file_uploader(key="upload").set_value(("sparrow.pdf", paper_pdf, "application/pdf"))
    with_llm.run()
    assert not any(said in c.value for c in with_llm.caption)
    assert not _prompt_column(with_llm).get("disabled")


def _prompt_column(at: AppTest) -> dict:
    """The section review table's "prompt" column as configured (editable or not)."""
    import json

    return json.loads(at.dataframe[0].proto.columns)["prompt"]


def test_test_connection_shows_a_servers_model_ids_as_text(llm_server):
    """The server names its models and the user types the base URL: neither becomes a link or an image."""
    llm_server.state.behaviour.models = ("[open me](https://evil.example/x)", "![x](https://evil.example/p.png)")
    at = _page()
    at.radio(key="set_backend").set_value("llm")
    at.text_input(key="set_base_url").input(llm_server.base_url)
    at.text_input(key="set_model").input("test-model")
    at.button[1].click().run()
    said = at.warning[0].value
    assert "does not list the model" in said
    assert "[open me](" not in said and "![x](" not in said


def test_saved_settings_are_stored_before_saved_is_shown(monkeypatch):
    """A reload the moment "Saved" shows ends the page's run before its last line (the session saved at the end of
    every page): the settings are stored when Save is handled, so the reload finds them, not the ones before."""
    import ui.literature_table
    from ui.browser_session import store

    at = _page()
    at.number_input(key="set_workers").set_value(3)
    monkeypatch.setattr(ui.literature_table, "column_sets_editor", lambda st: st.stop())  # the run cut after Save
    at.button[0].click().run()
    assert not at.exception
    assert any(s.value.startswith("Saved.") for s in at.success)
    saved = store().load_session(at.session_state["sid"])
    assert saved and saved["settings"]["workers"] == 3, saved
