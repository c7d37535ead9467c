"""The History page (AppTest): what its table shows for a run's cost."""

from __future__ import annotations

from conftest import ROOT
from streamlit.testing.v1 import AppTest

APP = str(ROOT / "app.py")
HISTORY_PAGE = str(ROOT / "pages" / "3_History.py")


def test_an_extractive_run_costs_free_not_none(paper_pdf):
    at = AppTest.from_file(APP, default_timeout=90).run()
    at.file_uploader(key="upload").set_value(("sparrow.pdf", paper_pdf, "application/pdf"))
    at.run()
    at.button(key="summarize").click().run()
    assert not at.exception and "markdown" in at.session_state

    history = AppTest.from_file(HISTORY_PAGE, default_timeout=30)
    history.session_state["sid"] = at.session_state["sid"]
    history.run()
    assert not history.exception
    table = history.dataframe[0].value
    assert table["backend / model"].tolist() == ["extractive"]
    assert table["cost (USD)"].tolist() == ["free"]  # not None: nothing was paid

