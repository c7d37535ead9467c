from datetime import datetime, timezone

from summarizer.document import Document, Section
from summarizer.render import clean_title, render_markdown, summary_filename
from summarizer.results import DocumentSummary, SectionResult


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
