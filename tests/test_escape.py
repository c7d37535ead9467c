"""Documents cannot make the viewer's browser do anything: HTML and Markdown from a document are
inert in the downloaded Markdown (checked with a real CommonMark renderer with raw HTML on and no
link sanitising, the worst viewer) and in the page (AppTest, and a real Chromium that must make zero
requests to a beacon server on loopback)."""

from __future__ import annotations

import html
import json
import re

import pytest
from conftest import ROOT
from markdown_it import MarkdownIt
from streamlit.testing.v1 import AppTest
from web_server import WebServer

from summarizer.config.settings import Settings
from summarizer.inputs.loading import load_bytes, load_text
from summarizer.output.escape import escape_text, safe_markdown
from summarizer.output.render import render_markdown
from summarizer.run.engine import run

BEACON = "http://127.0.0.1:{port}"


def hostile_article(base: str) -> str:
    return (f"Harbour <b>reopens</b> ![t]({base}/title.png)\n\n"
            f"The storm that closed the port for nine days has passed and the first ships came in today.\n\n"
            f"# Harbour <b>news</b> ![h]({base}/heading.png)\n\n"
            f"The harbour reopened on Monday after a storm closed it for nine days. ![pixel]({base}/beacon.png) "
            f"Officials said <img src=\"{base}/img.png\" onerror=\"alert(1)\"> repairs were overdue.\n\n"
            f"Shipping firms welcomed the news, and [click here](javascript:alert(1)) said trade would recover. "
            f"<script src=\"{base}/x.js\"></script> The port expects full traffic within two weeks, officials said.\n\n"
            f"[logo]: {base}/ref.png\n\nA third paragraph ![logo] mentions the ferry timetable for the summer season.")


HTML_INPUT = ("<html><head><title>Budget</title></head><body><article><h1>Budget &lt;script&gt;x&lt;/script&gt;</h1>"
              + "<p>The council said &lt;script&gt;alert(1)&lt;/script&gt; was found in the budget report on Monday "
                "morning, and &lt;img src=x onerror=alert(2)&gt; appeared in the appendix.</p>"
              + "<p>Another paragraph follows with more words about repairs and schools in the city for two years.</p>"
              + "</article></body></html>").encode()


def worst_viewer(markdown: str) -> str:
    """HTML as a permissive viewer renders it: raw HTML passed through, every link scheme accepted."""
    md = MarkdownIt("commonmark")
    md.validateLink = lambda url: True
    return md.render(markdown)


def assert_inert(rendered: str) -> None:
    assert not re.search(r"<(img|script|iframe|b|svg)\b", rendered, re.I), rendered
    hrefs = re.findall(r'href="([^"]*)"', rendered)
    assert not [h for h in hrefs if not h.startswith(("http://", "https://"))], hrefs
    assert not [h for h in hrefs if "ref.png" in h], hrefs  # reference definitions from the text are inert


def _markdown_of(doc) -> str:
    for event in run(doc, Settings()):
        if event.kind == "done":
            return render_markdown(event.summary)
    raise AssertionError("no result")


def test_downloaded_markdown_of_a_hostile_article_is_inert():
    markdown = _markdown_of(load_text(hostile_article("http://127.0.0.1:9"), "pasted text"))
    rendered = worst_viewer(markdown)
    assert_inert(rendered)
    assert "beacon.png" in html.unescape(rendered)  # the text is kept, only made inert
    assert "<li>" in rendered and "<h2>" in rendered  # our own formatting still works


def test_entities_in_an_html_input_stay_text_in_the_download():
    doc = load_bytes(HTML_INPUT, "budget.html")
    markdown = _markdown_of(doc)
    rendered = worst_viewer(markdown)
    assert_inert(rendered)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in rendered  # shown as text, exactly


@pytest.mark.parametrize("text", [
    "Attention <script>alert(1)</script> is all you need", "![x](http://e/b.png) and [a](javascript:x)",
    "# not a heading", "snake_case *bold* `code` \\ back", "&lt;script&gt; stays as written", "> not a quote",
    "- not a list", "A & B < C > D",
])
def test_escape_text_shows_exactly_what_was_written(text):
    rendered = worst_viewer(escape_text(text))
    assert rendered.startswith("<p>") and rendered.rstrip().endswith("</p>")
    assert html.unescape(rendered.strip()[3:-4]) == text


def test_safe_markdown_keeps_formatting_and_fenced_code():
    md = safe_markdown("- **Key**: <img src=x onerror=alert(1)> ![a](http://e/i.png)\n- [ok](https://example.org)\n\n"
                       "```\n<b>code</b>\n```\n\n[r]: javascript:alert(1)\n\nsee [r] and <!-- c --> <http://e/x>")
    rendered = worst_viewer(md)
    assert_inert(rendered)
    assert "<strong>Key</strong>" in rendered and 'href="https://example.org"' in rendered
    assert "&lt;b&gt;code&lt;/b&gt;" in rendered  # code block kept as written (the renderer escapes it)
    assert "<!--" not in rendered and 'href="http://e/x"' not in rendered
    both = worst_viewer(safe_markdown("![a](http://e/i.png) and [x](javascript:y)"))  # one escape, never two
    assert_inert(both)
    assert "i.png" not in " ".join(re.findall(r'href="([^"]*)"', both)) and "\\" not in both


def test_page_shows_document_text_inert(tmp_path):
    """Every Markdown string the page puts on screen, rendered: no image, tag or active link."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90).run()
    at.text_area(key="paste_text").input(hostile_article("http://127.0.0.1:9"))
    next(b for b in at.button if b.label == "Use this text").click().run()
    at.button(key="summarize").click().run()
    assert not at.exception and "markdown" in at.session_state
    shown = [m.value for m in at.markdown] + [c.value for c in at.caption] + [h.value for h in at.subheader] \
        + [i.value for i in at.info] + [w.value for w in at.warning]
    assert any("beacon.png" in s for s in shown)
    for value in shown:
        assert_inert(worst_viewer(value))


try:
    from test_browser import REASON, _wait_text, app_url, browser, chromium  # noqa: F401  (fixtures)
except Exception as exc:  # pragma: no cover - the browser module itself failed to import
    REASON = f"browser test helpers unavailable: {exc}"


@pytest.mark.skipif(REASON is not None, reason=str(REASON))
def test_beacon_in_a_pasted_article_is_never_fetched_by_the_browser(app_url, browser, tmp_path):  # noqa: F811
    with WebServer() as beacon:
        page = browser.new_page(viewport={"width": 1280, "height": 2400})
        page.goto(app_url)
        page.get_by_role("tab", name="Paste text").click()
        page.get_by_label("Article or paper text").fill(hostile_article(beacon.url))
        page.get_by_role("button", name="Use this text").click()
        _wait_text(page, "Sections found")
        page.get_by_role("button", name="Summarize").click()
        _wait_text(page, "Download Markdown")
        page.wait_for_timeout(2000)
        assert "beacon.png" in page.inner_text("body")
        assert beacon.hits == [], beacon.hits


def table_viewer(markdown: str) -> str:
    """``worst_viewer`` with GFM tables (the exports are tables)."""
    md = MarkdownIt("commonmark").enable("table")
    md.validateLink = lambda url: True
    return md.render(markdown)


FORMULA = '=WEBSERVICE("http://127.0.0.1:9/csv")'


def _hostile_text() -> str:
    return (hostile_article("http://127.0.0.1:9") + f"\n\n# {FORMULA} | ![s](http://127.0.0.1:9/section.png)\n\n"
            "+1 more pipe | the harbour master said the new crane lifts 40 tonnes, twice the old one.\n\n"
            "The crane arrived on a barge from the north and was installed over three days of calm weather.")


def test_batch_index_md_shows_titles_and_errors_as_text(tmp_path):
    from summarizer.run.batch import index_markdown, run_batch

    source = tmp_path / "a.jsonl"
    source.write_text(json.dumps({"id": "h<1>", "text": _hostile_text()}) + "\n")
    run_batch(source, tmp_path / "out", Settings(), history=False)
    written = (tmp_path / "out" / "index.md").read_text()
    records = {"x": {"id": "x|<b>", "status": "failed", "file": "", "error": "bad ![e](http://127.0.0.1:9/err.png) | <img src=x>"}}
    for markdown in (written, index_markdown(records)):
        rendered = table_viewer(markdown)
        assert_inert(re.sub(r'href="[\w.-]+\.summary\.md"', "", rendered))  # our link to each summary stays
        assert rendered.count("<td>") == 4  # a pipe in a title stays inside its cell
    assert "title.png" in html.unescape(table_viewer(written)) and "err.png" in html.unescape(table_viewer(index_markdown(records)))


def _two_hostile_runs(tmp_path):
    from summarizer.run.engine import summarize_document
    from summarizer.store.history import SQLiteHistory
    from summarizer.store.recorder import RunRecorder

    store = SQLiteHistory(tmp_path / "history.db")
    doc = load_text(_hostile_text(), "harbour.txt")
    ids = []
    for length in ("short", "long"):
        settings = Settings(length=length)
        recorder = RunRecorder(store, "me", doc, "same-doc", settings, markdown=lambda s: "md")
        summarize_document(doc, settings, on_event=recorder)
        ids.append(recorder.run_id)
    store.rate("me", ids[0], 0, 2, "=1+1 <img src=http://127.0.0.1:9/comment.png>")
    return store.get_run("me", ids[0]), store.get_run("me", ids[1])


def test_compare_markdown_export_is_inert(tmp_path):
    from summarizer.store.compare import export_markdown

    a, b = _two_hostile_runs(tmp_path)
    rendered = table_viewer(export_markdown(a, b))
    assert_inert(rendered)
    text = html.unescape(rendered)
    assert "heading.png" in text and "section.png" in text and "comment.png" in text  # shown as text
    assert "<h2>Overall summary</h2>" in rendered and not re.search(r"<h2>[^<]*<(?!/h2)", rendered)


def test_compare_csv_export_has_the_overall_summary_and_no_formulas(tmp_path):
    import csv
    import io

    from summarizer.store.compare import export_csv

    a, b = _two_hostile_runs(tmp_path)
    rows = list(csv.DictReader(io.StringIO(export_csv(a, b))))
    assert rows[0]["section"] == "Overall summary" and rows[0]["summary_a"] == a.overview.strip() != ""
    assert rows[-1]["section"] == "(whole run)"
    cells = [v for row in rows for v in row.values() if v]
    assert not [v for v in cells if v.lstrip()[:1] in ("=", "+", "-", "@", "\t", "\r")], cells
    assert any(r["section"].startswith("'" + FORMULA) for r in rows)  # the title is kept, as text
    assert rows[1]["comment_a"] == "'=1+1 <img src=http://127.0.0.1:9/comment.png>"
    assert any(r["summary_a"].startswith("'- ") for r in rows)  # a bullet list is text too


@pytest.mark.parametrize("value, expected", [
    ("=1+1", "'=1+1"), ("+1", "'+1"), ("-2", "'-2"), ("@SUM(A1)", "'@SUM(A1)"), ("\tx", "'\tx"), ("\rx", "'\rx"),
    ("  =cmd", "'  =cmd"), ("plain", "plain"), ("a=b", "a=b"), ("", ""), (0.5, 0.5), (None, None),
])
def test_csv_cell_guards_formulas(value, expected):
    from summarizer.output.escape import csv_cell

    assert csv_cell(value) == expected
