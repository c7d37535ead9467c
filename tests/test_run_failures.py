"""A dead endpoint is one failure, said once: the run's status, the failures box and the page do not
repeat its error for every section (the app through AppTest, the endpoint a closed loopback port)."""

from __future__ import annotations

import socket

from conftest import ROOT
from streamlit.testing.v1 import AppTest

from summarizer.config.settings import Settings
from summarizer.inputs.text_parser import parse_text
from summarizer.run.engine import failure_groups, run_status, summarize_document

APP = str(ROOT / "app.py")


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _paper(sections: int) -> str:
    body = "\n\n".join(f"## {i} Part {i}\nPart {i} of the study measures retrieval quality on corpus {i}. "
                       f"It reports what was found in part {i}." for i in range(1, sections + 1))
    return f"# A study\n\n{body}"


def _dead(**changes) -> Settings:
    return Settings(backend="llm", model="m", base_url=f"http://127.0.0.1:{_closed_port()}/v1", api_key="sk-dead",
                    use_cache=False, backoff_base=0.01, group_below=0, whole_paper_below=0, **changes)


def test_a_dead_endpoint_is_one_failure_with_one_reason():
    result = summarize_document(parse_text(_paper(6)), _dead())
    groups = failure_groups(result.sections)
    assert len(groups) == 1 and len(groups[0].titles) == 6
    assert "Could not connect" in groups[0].cause and not groups[0].cause.startswith("not sent")
    line = groups[0].describe(6)
    assert line.startswith("All 6 sections failed: Could not connect")
    status = run_status(result, "llm (m @ 127.0.0.1)")
    assert "all 6 sections failed, for one reason" in status and "Could not connect" not in status


def test_the_page_says_a_dead_endpoint_once(paper_pdf):
    at = AppTest.from_file(APP, default_timeout=90)
    at.session_state["summarizer_settings"] = {**_dead().to_public_dict(), "api_key": "sk-dead"}
    at.run()
    at.file_uploader(key="upload").set_value(("sparrow.pdf", paper_pdf, "application/pdf"))
    at.run()
    at.button(key="summarize").click().run()
    assert not at.exception
    result = at.session_state["result"]
    todo = sum(1 for r in result.sections if r.status != "skipped")
    assert todo > 3 and not any(r.ok for r in result.sections)
    boxes = [e.value for e in at.error] + [w.value for w in at.warning]
    said = [text for text in boxes if "Could not connect" in text]
    assert len(said) == 1, said  # one message, not one per section
    assert said[0].startswith(f"All {todo} sections failed: Could not connect")
    board = [m.value for m in at.markdown if "failed" in m.value]  # the progress board's line per section
    assert len(board) == todo
    assert sum("Could not connect" in line for line in board) == 1  # the section that met it; the others:
    assert sum(line.endswith("not sent") for line in board) == todo - 1  # "not sent", the reason said once
    assert at.button(key="retry_failed").label == f"Retry the {todo} failed section(s)"


def test_the_markdown_does_not_repeat_the_endpoints_error_under_every_section():
    from summarizer.output.render import render_markdown

    markdown = render_markdown(summarize_document(parse_text(_paper(6)), _dead()))
    assert markdown.count("Could not connect") == 2  # no overall summary (at the top), and the section that met it
    assert markdown.count("not sent (the endpoint failed; the reason is given once, above)") == 5


def test_a_run_stopped_between_a_groups_answer_and_its_checks_keeps_every_answer_written(monkeypatch):
    """A group's answer marks its sections done at once; they are written and checked one by one. A run that
    passes its time limit in between must not show an answered section with no summary."""
    import time

    from summarizer.config.settings import Settings
    from summarizer.extractive.backend import ExtractiveBackend
    from summarizer.inputs.text_parser import parse_text
    from summarizer.model.results import Status
    from summarizer.run import runner
    from summarizer.run.engine import summarize_document

    class Grouping(ExtractiveBackend):
        def plan_requests(self, document, indices):
            return [list(indices)]

    def slow_check(result, document, cache):
        time.sleep(0.8)

    monkeypatch.setattr(runner, "check_section", slow_check)
    text = "\n\n".join(f"## Part {i}\n\nCats are animals number {i}. They sleep a lot in the day. Many live with people."
                       for i in range(1, 4))
    settings = Settings(backend="extractive", run_timeout=1)
    result = summarize_document(parse_text(text), settings, backend=Grouping(settings))
    assert result.stopped
    answered = [r for r in result.sections if r.status == Status.DONE]
    assert answered and all(r.summary.strip() for r in answered), [(r.status, r.summary) for r in result.sections]
