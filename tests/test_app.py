"""The Streamlit app through streamlit.testing (AppTest): upload → sections → summary → download."""

from __future__ import annotations

import pytest
from conftest import ROOT
from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage
from streamlit.testing.v1 import AppTest

APP = str(ROOT / "app.py")
SETTINGS_PAGE = str(ROOT / "pages" / "1_Settings.py")


@pytest.fixture
def media(monkeypatch):
    """Keep the media storage AppTest creates, to read the download button's bytes back."""
    stores: list[MemoryMediaFileStorage] = []

    class Recording(MemoryMediaFileStorage):
        def __init__(self, *a, **k):
            super().__init__(*a, **k)
            stores.append(self)

    import streamlit.testing.v1.app_test as app_test

    monkeypatch.setattr(app_test, "MemoryMediaFileStorage", Recording)

    def read(url: str):
        file_id = url.rsplit("/", 1)[-1].split(".")[0]
        for store in reversed(stores):
            try:
                return store.get_file(file_id)
            except Exception:
                continue
        raise KeyError(url)

    return read


def _upload(at: AppTest, name: str, data: bytes, mime: str = "application/pdf") -> AppTest:
    at.file_uploader(key="upload").set_value((name, data, mime))
    return at.run()


def test_upload_summarize_download(media, paper_pdf):
    at = AppTest.from_file(APP, default_timeout=90).run()
    assert not at.exception
    _upload(at, "sparrow.pdf", paper_pdf)
    assert not at.exception and not at.error
    assert at.session_state["doc"].title == "Sparrow: Fast Retrieval for Long Documents"
    shown = at.dataframe[0].value  # the section review table lists what the parser found
    assert shown[["title", "kind"]].values.tolist()[:3] == [["Abstract", "abstract"], ["1 Introduction", "introduction"],
                                                            ["2 Sparrow", "method"]]
    assert not shown["include"].tolist()[-1]  # references: kept, not summarized by default
    at.button(key="summarize").click().run()
    assert not at.exception and not at.error
    markdown = at.session_state["markdown"]
    assert markdown.startswith("# Sparrow: Fast Retrieval for Long Documents")
    assert "extractive (built-in, offline)" in markdown
    button = at.get("download_button")[0]
    served = media(button.proto.url)
    assert served.filename == "sparrow.summary.md"
    assert served.content.decode("utf-8") == markdown
    # the click does not rerun the app (on_click="ignore") and results stay across reruns
    assert button.proto.ignore_rerun is True
    at.run()
    assert at.session_state["markdown"] == markdown
    assert any("Overall summary" in m.value for m in at.markdown)


def test_paste_article(media):
    at = AppTest.from_file(APP, default_timeout=60).run()
    text = ("Council passes budget\n\nThe city council approved a $3.5 million budget for school repairs on Monday.\n\n"
            "The vote was 7-2 after a long debate. Parents welcomed the plan.")
    at.text_area(key="paste_text").input(text)
    at.button[0].click().run()
    assert at.session_state["doc"].genre == "article"
    at.button(key="summarize").click().run()
    assert "$3.5 million" in at.session_state["markdown"]


def test_bad_upload_shows_one_line_and_keeps_previous_results(paper_pdf):
    at = AppTest.from_file(APP, default_timeout=60).run()
    _upload(at, "sparrow.pdf", paper_pdf)
    at.button(key="summarize").click().run()
    kept = at.session_state["markdown"]
    _upload(at, "broken.pdf", b"%PDF-1.7\n garbage garbage")
    assert not at.exception
    assert at.error and "broken.pdf" in at.error[0].value and "\n" not in at.error[0].value.strip()
    assert at.session_state["markdown"] == kept


def test_settings_page_switches_backend_per_session(llm_server, paper_pdf):
    settings = AppTest.from_file(SETTINGS_PAGE, default_timeout=30).run()
    assert not settings.exception
    settings.radio(key="set_backend").set_value("llm")
    settings.text_input(key="set_base_url").input(llm_server.base_url)
    settings.text_input(key="set_model").input("test-model")
    settings.text_input(key="set_api_key").input("sk-session-only")
    settings.button[0].click().run()
    assert settings.success and "llm (test-model @ 127.0.0.1" in settings.success[0].value
    stored = settings.session_state["summarizer_settings"]

    at = AppTest.from_file(APP, default_timeout=90)
    at.session_state["summarizer_settings"] = stored
    at.run()
    _upload(at, "sparrow.pdf", paper_pdf)
    at.button(key="summarize").click().run()
    assert not at.exception
    assert "llm (test-model @ 127.0.0.1" in at.session_state["markdown"]
    assert "sk-session-only" not in at.session_state["markdown"]
    assert llm_server.state.chat_requests
    # a second, fresh session sees neither the key nor the results
    other = AppTest.from_file(APP, default_timeout=30).run()
    assert "summarizer_settings" not in other.session_state
    assert "doc" not in other.session_state


ARTICLE = ("Council passes budget\n\nThe city council approved a $3.5 million budget for school repairs on Monday.\n\n"
           "The vote was 7-2 after a long debate. Parents welcomed the plan.")


def _paste(at: AppTest, text: str) -> AppTest:
    at.text_area(key="paste_text").input(text)
    return at.button[0].click().run()


def test_pasted_text_after_an_upload_is_the_document_summarized(paper_pdf):
    """The file left in the uploader must not take the document back from a later paste (issue #24)."""
    at = AppTest.from_file(APP, default_timeout=90).run()
    _upload(at, "sparrow.pdf", paper_pdf)
    assert at.session_state["doc"].title.startswith("Sparrow")
    _paste(at, ARTICLE)
    assert at.session_state["doc"].title == "Council passes budget"
    at.button(key="summarize").click().run()  # a rerun with the PDF still in the uploader
    assert not at.exception
    assert at.session_state["doc"].title == "Council passes budget"
    assert at.session_state["markdown"].startswith("# Council passes budget")
    assert at.session_state.get("doc_pdf") is None


def test_upload_after_a_paste_is_the_document_summarized(paper_pdf):
    at = AppTest.from_file(APP, default_timeout=90).run()
    _paste(at, ARTICLE)
    _upload(at, "sparrow.pdf", paper_pdf)
    at.button(key="summarize").click().run()
    assert at.session_state["markdown"].startswith("# Sparrow: Fast Retrieval for Long Documents")


def test_a_pasted_article_names_no_pages(paper_pdf):
    """Text without pages: no 'page' column of Nones in the review, no '1 sections', no claims 'traced to a page'."""
    at = AppTest.from_file(APP, default_timeout=90).run()
    _paste(at, "Council passes budget\n\nThe city council approved a $3.5 million budget for school repairs on Monday.")
    assert len(at.session_state["doc"].sections) == 1
    shown = at.dataframe[0].value
    assert "page" not in shown.columns, shown.to_dict("records")
    assert any(" · 1 section · " in c.value for c in at.caption), [c.value for c in at.caption]
    at.button(key="summarize").click().run()
    assert not at.exception
    coverage = " ".join(i.value for i in at.info if "Coverage" in i.value)
    assert "claims" not in coverage or "page" not in coverage, coverage
    assert "traced to a page" not in at.session_state["markdown"]
    # a PDF keeps its page column
    _upload(at, "sparrow.pdf", paper_pdf)
    assert at.dataframe[0].value["page"].tolist()[:2] == [1, 1]


def test_a_fetched_link_after_an_upload_is_the_document_summarized(paper_pdf, monkeypatch):
    """Upload, then a link: the link's article is summarized (the uploader still holds the PDF)."""
    from test_inputs_web import ARTICLE as PAGE
    from web_server import WebServer

    monkeypatch.setenv("SUMMARIZER_ALLOW_HOSTS", "127.0.0.1")  # the test server is on loopback
    with WebServer() as web:
        web.routes["/news/budget"] = (200, "text/html; charset=utf-8", PAGE.encode())
        at = AppTest.from_file(APP, default_timeout=90).run()
        _upload(at, "sparrow.pdf", paper_pdf)
        at.text_input(key="link_text").input(f"{web.url}/news/budget")
        next(b for b in at.button if b.label == "Fetch").click().run()
        assert at.session_state["doc"].title == "Council passes school budget"
        at.button(key="summarize").click().run()
    assert not at.exception
    assert at.session_state["markdown"].startswith("# Council passes school budget")
