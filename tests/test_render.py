from datetime import datetime, timezone

from summarizer.model.document import Document, Section
from summarizer.model.results import DocumentSummary, SectionResult
from summarizer.output.render import clean_title, render_markdown, summary_filename


def _result(**kw):
    doc = Document("## My Paper", "my paper.pdf", [Section("## 1 Intro", "x"), Section("Refs", "y", kind="references"),
                                                     Section("1.1 Detail", "z", level=2)])
    sections = [SectionResult(0, "## 1 Intro", "introduction", 1, "done", "- point one\n\n# A model heading"),
                SectionResult(1, "Refs", "references", 1, "skipped"),
                SectionResult(2, "1.1 Detail", "other", 2, "failed", error="The server at h rejected the request.")]
    return DocumentSummary(doc, "extractive (built-in, offline)", "Overall text.", sections, **kw)


def test_headings_are_never_doubled_and_levels_follow_sections():
    md = render_markdown(_result(), when=datetime(2026, 1, 1, tzinfo=timezone.utc))
    assert "## ##" not in md and "# ##" not in md
    lines = md.splitlines()
    assert lines[0] == "# My Paper"
    assert "## 1 Intro" in lines
    assert "### 1.1 Detail" in lines
    # a heading inside an answer is pushed below its section heading
    assert "### A model heading" in lines
    assert "**Backend:** extractive (built-in, offline)" in md


def test_order_failed_and_skipped_sections():
    md = render_markdown(_result())
    assert md.index("Overall summary") < md.index("1 Intro") < md.index("1.1 Detail")
    assert "> **Not summarized:** The server at h rejected the request." in md
    assert "Not summarized (kept in the document): Refs." in md


def test_clean_title_and_filename():
    assert clean_title("### ## Title\nmore") == "Title more"
    assert summary_filename("Title", "dir/My Paper.pdf") == "My_Paper.summary.md"
    assert summary_filename("A: B/C?", "pasted text") == "A_BC.summary.md"


def _grounded(summary: str, bullets, **doc_kw):
    from summarizer.verify.grounding import Bullet, Support  # noqa: F401

    doc = Document("Paper", "paper.pdf", [Section("1 Intro", "x")], **doc_kw)
    section = SectionResult(0, "1 Intro", "introduction", 1, "done", summary)
    section.bullets = bullets
    return DocumentSummary(doc, "extractive (built-in, offline)", "Overall.", [section])


def test_a_page_mark_goes_after_the_closing_bracket_or_quote_not_inside_it():
    from summarizer.verify.grounding import Bullet, Support

    summary = ("- It runs on many chips (CPUs, GPUs, etc.)\n- The authors wrote \"it works.\"\n"
               "- Results improved (see Fig. 2).\n- Plain claim.")
    bullets = [Bullet(t, [p], Support(t, 1.0, [p]), n) for n, (t, p) in enumerate([("a", 14), ("b", 3), ("c", 5), ("d", 7)])]
    md = render_markdown(_grounded(summary, bullets))
    assert "- It runs on many chips (CPUs, GPUs, etc.) (p. 14)\n" in md
    assert "etc (p. 14)" not in md
    assert "- The authors wrote \"it works.\" (p. 3)\n" in md
    assert "- Results improved (see Fig. 2) (p. 5).\n" in md
    assert "- Plain claim (p. 7).\n" in md


def test_section_view_is_one_block_with_page_marks_as_links_and_escaped_text():
    from summarizer.output.render import section_view
    from summarizer.pdf.page_view import mark_anchor, mark_target
    from summarizer.verify.grounding import NOT_FOUND, Bullet, Support

    summary = "- A claim with <img src=x onerror=alert(1)> inside.\n- An untraced claim here.\n- A short one"
    bullets = [Bullet("a", [4, 5], Support('the "source" sentence', 0.9, [4, 5]), 0),
               Bullet("b", [], Support("weak", 0.1), 1), Bullet("c", [], None, 2)]
    result = _grounded(summary, bullets)
    view = section_view(result.sections[0], lambda line: mark_anchor(0, line))
    lines = view.splitlines()
    assert lines[0] == "**1 Intro**"
    assert lines[2] == ("- A claim with &lt;img src=x onerror=alert(1)> inside "
                        "[(pp. 4–5)](#pm-0-0 \"support 0.90: the 'source' sentence\").")
    assert lines[3] == f"- An untraced claim here :orange[*({NOT_FOUND})*]."
    assert lines[4] == "- A short one"
    target = mark_target(result, "pm-0-0")
    assert (target.page, target.sentence) == (4, 'the "source" sentence')
    assert mark_target(result, "pm-0-1") is None and mark_target(result, "javascript:x") is None
    # without a page view the mark is plain text
    assert "- A claim with &lt;img src=x onerror=alert(1)> inside (pp. 4–5)." in section_view(result.sections[0])


def test_counts_agree_with_their_nouns():
    from summarizer.output.render import plural
    from summarizer.verify.coverage import coverage
    from summarizer.verify.grounding import Bullet, Support

    assert (plural(1, "section"), plural(2, "section"), plural(0, "page"), plural(1200, "token")) == \
        ("1 section", "2 sections", "0 pages", "1,200 tokens")
    one = _grounded("- One claim here.", [Bullet("a", [], Support("One claim here.", 1.0), 0)])
    assert coverage(one).describe() == "1 of 1 section summarized; 1 of 1 summary claim traced to the text."
    paged = _grounded("- One claim here.", [Bullet("a", [2], Support("One claim here.", 1.0, [2]), 0)], page_count=3)
    assert "1 of 1 summary claim traced to a page." in render_markdown(paged)
