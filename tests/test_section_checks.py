"""A cached re-run takes each section's faithfulness and grounding checks from the memo kept beside
its answer, and recomputes them wherever anything they depend on changed."""

from __future__ import annotations

import pytest
from conftest import llm_settings

import summarizer.verify.faithfulness
import summarizer.verify.grounding
from summarizer.inputs.text_parser import parse_text
from summarizer.run.engine import summarize_document
from summarizer.verify import section_checks

PAPER = ("# Sparrow routing\n\n## 1 Method\nThe router sends 42 requests per second to the nearest of 7 replicas. "
         "It measures each replica's queue before it sends.\n\n## 2 Results\nLatency fell by 31 percent on the "
         "three clusters we tried. Throughput stayed the same on all of them.")


def _checks(result) -> list:
    return [(s.title, s.unverified_numbers, s.unverified_quotes, s.unverified_names,
             [(b.text, b.pages, b.found) for b in s.bullets]) for s in result.sections if s.status != "skipped"]


def test_a_cached_rerun_checks_nothing_again_and_finds_the_same(llm_server, monkeypatch):
    settings = llm_settings(llm_server)
    first = summarize_document(parse_text(PAPER, "paper.md"), settings)
    assert any(s.bullets for s in first.sections)

    def must_not_run(*args, **kwargs):
        raise AssertionError("a cached section was grounded again")

    checked = []
    real_check = summarizer.verify.faithfulness.check_summary
    monkeypatch.setattr(summarizer.verify.faithfulness, "check_summary", lambda text, source: checked.append(text) or
                        real_check(text, source))
    monkeypatch.setattr(summarizer.verify.grounding, "ground_summary", must_not_run)
    again = summarize_document(parse_text(PAPER, "paper.md"), settings)
    assert all(s.cached for s in again.sections if s.status != "skipped")
    assert checked == [again.overview]  # the overall summary's numbers only: no section's
    assert _checks(again) == _checks(first)


@pytest.mark.parametrize("change", ["nothing", "section text", "section pages", "document title", "language", "code"])
def test_the_checks_are_made_again_when_what_they_read_changed(tmp_path, monkeypatch, change):
    """The same cached summary over a section that changed in anything the checks read is checked again."""
    from summarizer.llm.cache import AnswerCache
    from summarizer.model.results import SectionResult

    cache = AnswerCache(tmp_path / "answers")
    summary = "- The router sends 42 requests per second to the nearest of 7 replicas."

    def run(doc) -> int:
        calls = []
        real = summarizer.verify.grounding.ground_summary
        monkeypatch.setattr(summarizer.verify.grounding, "ground_summary", lambda *a: calls.append(a) or real(*a))
        result = SectionResult(0, "1 Method", "method", 2, status="done", summary=summary, cached=True)
        section_checks.check_section(result, doc, cache)
        assert result.bullets and result.bullets[0].found
        return len(calls)

    assert run(parse_text(PAPER, "paper.md")) == 1
    doc = parse_text(PAPER, "paper.md")
    if change == "section text":
        doc.sections[0].text += " Nothing else moved."
    elif change == "section pages":
        doc.sections[0].page_start = 3
    elif change == "document title":
        doc.title = "Another title"
    elif change == "language":
        doc.language = "zh"
    elif change == "code":
        monkeypatch.setattr(section_checks, "code_digest", lambda: "a newer version of the rules")
    assert run(doc) == (0 if change == "nothing" else 1)


def test_without_a_cache_every_section_is_checked(llm_server, monkeypatch):
    settings = llm_settings(llm_server, use_cache=False)
    summarize_document(parse_text(PAPER, "paper.md"), settings)
    calls = []
    real = summarizer.verify.grounding.ground_summary
    monkeypatch.setattr(summarizer.verify.grounding, "ground_summary", lambda *a: calls.append(a) or real(*a))
    result = summarize_document(parse_text(PAPER, "paper.md"), settings)
    assert len(calls) == sum(1 for s in result.sections if s.status == "done")
