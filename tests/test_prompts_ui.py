"""Prompts as data in the UI: the editor round trip, section review changing what is sent,
a broken prompt file reported while the app keeps running, and every shipped prompt rendered
for every kind of a real corpus paper."""

from __future__ import annotations

import json

import pytest
from conftest import ROOT, corpus_papers
from streamlit.testing.v1 import AppTest

from summarizer.config.settings import user_prompts_dir
from summarizer.llm.prompts import export_prompt_set, import_prompt_set, load_prompts, route_prompt
from summarizer.model.document import KINDS
from summarizer.pdf.parser import parse_pdf
from ui.session_settings import SESSION_ID_KEY, prompts_dir_for

APP = str(ROOT / "app.py")
SETTINGS_PAGE = str(ROOT / "pages" / "1_Settings.py")


def _llm_session(server) -> dict:
    return {"backend": "llm", "base_url": server.base_url, "model": "test-model", "api_key": "sk-ui-test"}


def test_every_prompt_renders_for_every_kind_of_a_real_paper():
    doc = parse_pdf((corpus_papers() / "rl-traffic-reward-functions-arxiv.pdf").read_bytes())
    prompts = load_prompts()
    for kind in KINDS:
        section = next((s for s in doc.sections if s.kind == kind), doc.sections[1])
        prompt = route_prompt(prompts, kind, section.title, doc.genre)
        messages = prompt.render({"title": doc.title, "brief": doc.abstract, "section_title": section.title,
                                  "section_text": section.text, "kind": kind, "language": "English"})
        assert section.text[:200] in messages[-1]["content"]
        assert "{section_text}" not in messages[-1]["content"]
    for name in ("synthesis", "brief", "merge"):
        msgs = prompts.get(name).render({"title": doc.title, "brief": doc.abstract, "abstract": doc.abstract,
                                         "section_summaries": "S", "chunk_summaries": "C", "language": "English"})
        assert doc.title in msgs[-1]["content"]


def test_editor_save_reload_reset_round_trip():
    at = AppTest.from_file(SETTINGS_PAGE, default_timeout=30).run()
    assert not at.exception
    at.selectbox(key="pe_name").set_value("method").run()
    system = next(t for t in at.text_area if t.key.startswith("pe_system_method"))
    system.input(system.value + " Always name the algorithm.").run()
    assert any("Valid prompt" in s.value for s in at.success)
    at.button(key="pe_save").click().run()
    ids = {k: at.session_state[k] for k in (SESSION_ID_KEY, "sid") if k in at.session_state}
    folder = prompts_dir_for(ids)  # this session's own folder
    saved = folder / "method.json5"
    assert saved.exists() and "Always name the algorithm." in saved.read_text()
    assert load_prompts(folder).overridden == {"method"}
    assert not (user_prompts_dir() / "method.json5").exists()
    again = AppTest.from_file(SETTINGS_PAGE, default_timeout=30)  # the same session, reloaded: the saved version
    for k, v in ids.items():
        again.session_state[k] = v
    again.run()
    again.selectbox(key="pe_name").set_value("method").run()
    assert "Always name the algorithm." in next(t for t in again.text_area if t.key.startswith("pe_system_method")).value
    again.button(key="pe_reset").click().run()
    assert not saved.exists()
    assert "Always name the algorithm." not in next(t for t in again.text_area if t.key.startswith("pe_system_method")).value


def test_editor_shows_validation_errors_live():
    at = AppTest.from_file(SETTINGS_PAGE, default_timeout=30).run()
    at.selectbox(key="pe_name").set_value("method").run()
    user = next(t for t in at.text_area if t.key.startswith("pe_user_method"))
    user.input("Summarize {sectoin_text}").run()
    assert any("unknown variable {sectoin_text}" in e.value for e in at.error)
    assert at.button(key="pe_save").disabled


def test_broken_user_prompt_file_is_reported_and_the_app_still_runs(paper_pdf):
    folder = user_prompts_dir()
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "method.json5").write_text('{name: "method", user: "no closing quote}')
    at = AppTest.from_file(APP, default_timeout=60).run()
    at.file_uploader(key="upload").set_value(("sparrow.pdf", paper_pdf, "application/pdf"))
    at.run()
    assert not at.exception
    assert any("method.json5" in w.value and "default is used" in w.value for w in at.warning)
    at.button(key="summarize").click().run()
    assert "## 2 Sparrow" in at.session_state["markdown"]


def test_section_review_changes_what_is_sent(llm_server, paper_pdf):
    at = AppTest.from_file(APP, default_timeout=90)
    at.session_state["summarizer_settings"] = _llm_session(llm_server)
    at.run()
    at.file_uploader(key="upload").set_value(("sparrow.pdf", paper_pdf, "application/pdf"))
    at.run()
    editor_key = f"review_{at.session_state['doc_digest']}"
    # exclude "3 Experiments" (row 4), rename "2 Sparrow" (row 2), force the generic prompt on the conclusion (row 5)
    at.session_state[editor_key] = {"edited_rows": {4: {"include": False}, 2: {"title": "2 The Sparrow Index"},
                                                    5: {"prompt": "generic"}}, "added_rows": [], "deleted_rows": []}
    at.run()
    assert any("Estimate before sending" in c.value for c in at.caption)
    at.button(key="summarize").click().run()
    assert not at.exception
    sent = [r.body["messages"][-1]["content"] for r in llm_server.state.chat_requests]
    assert not any("We test on PubMed" in s for s in sent if "<section>" in s)
    assert any("2 The Sparrow Index" in s for s in sent)
    conclusion = next(s for s in sent if "Sparrow makes long-document retrieval practical" in s and "<section>" in s)
    assert "Extract the main points of this section" in conclusion  # the generic prompt's instruction
    assert "## 2 The Sparrow Index" in at.session_state["markdown"]


def test_prompt_sets_export_and_import(tmp_path):
    exported = export_prompt_set(load_prompts(), ["method", "news"])
    data = json.loads(exported)
    data["prompts"][0]["system"] += " Imported."
    data["prompts"].append({"name": "bad", "user": "{nope}"})
    imported, errors = import_prompt_set(tmp_path, json.dumps(data))
    assert imported == ["method", "news"]
    assert len(errors) == 1 and "unknown variable {nope}" in errors[0]
    assert load_prompts(tmp_path).get("method").system.endswith("Imported.")
    with pytest.raises(Exception, match="not a Summarizer prompt set"):
        import_prompt_set(tmp_path, '{"hello": 1}')
