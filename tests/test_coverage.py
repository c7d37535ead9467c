"""The coverage meter after a stopped run: the sections the run never ran are "not run", not "failed" —
in the meter's line (UI and the Markdown header) and in the JSON coverage."""

from __future__ import annotations

from summarizer.config.settings import Settings
from summarizer.inputs.loading import load_bytes
from summarizer.output.render import render_markdown
from summarizer.run.engine import plan, run
from summarizer.run.runner import stopped_summary
from summarizer.verify.coverage import coverage


def _stopped_after_first_section(paper_pdf):
    """Run the offline backend and stop listening once one section finished (what Stop does), then keep
    what finished, as the app does."""
    doc = load_bytes(paper_pdf, "sparrow.pdf")
    seen = {}
    events = run(doc, Settings(workers=1))
    for event in events:
        if event.kind == "section" and event.result is not None and event.result.ok:
            seen[event.result.index] = event.result
            break
    events.close()
    sections = plan(doc)
    for index, r in seen.items():
        sections[index] = r
    return stopped_summary(doc, "extractive (built-in, offline)", sections, "Stop pressed")


def test_sections_a_stopped_run_never_ran_are_not_run_not_failed(paper_pdf):
    summary = _stopped_after_first_section(paper_pdf)
    cov = coverage(summary)
    todo = sum(1 for r in summary.sections if r.status != "skipped")
    assert cov.summarized == 1 and todo > 2
    assert cov.failed == []
    assert len(cov.not_run) == todo - 1
    text = cov.describe()
    assert "failed" not in text
    assert f"{todo - 1} not run (Stop pressed)" in text
    data = cov.as_json()
    assert data["failed"] == [] and len(data["not_run"]) == todo - 1
    header = next(line for line in render_markdown(summary).splitlines() if line.startswith("**Coverage:**"))
    assert "not run (Stop pressed)" in header and "failed" not in header


def test_a_real_failure_is_still_failed_next_to_sections_not_run(paper_pdf):
    summary = _stopped_after_first_section(paper_pdf)
    broken = next(r for r in summary.sections if r.not_run)
    broken.error = "The server at 127.0.0.1 rejected the request."  # this one was sent, and failed
    cov = coverage(summary)
    assert len(cov.failed) == 1 and "1 failed" in cov.describe()
    assert broken.title.split()[0] in cov.failed[0]
