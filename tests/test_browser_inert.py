"""Document text loads nothing in a real browser, wherever the app shows it outside the summary body:
the page marks' tooltips and the page view they open, the tooltips of Ask's citation buttons
(hovered, so they render) and their labels, the Batch page's expander labels and warnings, and the Compare page. A PDF whose section titles
and sentences carry Markdown images and <img> tags pointing at a loopback server goes through each;
the server counts the requests the browser makes to it: none."""

from __future__ import annotations

from pdf_factory import LOREM, make_paper
from test_browser import _idle, _wait_text, app_url, browser, chromium  # noqa: F401
from test_browser import pytestmark_browser as pytestmark  # noqa: F401
from test_escape import hostile_article
from web_server import WebServer

VIEW = {"width": 1400, "height": 2400}


def hostile_paper(base: str) -> bytes:
    """Section titles and sentences with images and tags (the outline makes the titles headings). A
    citation's label holds the first 40 characters of its section's title, its tooltip the whole title:
    the images come after those 40, so the tooltip is where they would load."""
    sections = [
        ("Abstract", 1, f"We present Heron ![x]({base}/abstract.png), a way to count herons <img src=\"{base}/abstract-img.png\"> "
         "in wetlands. Heron reduces counting errors by 40% in surveys."),
        (f"Drone survey of the harbour wetlands in spring ![x]({base}/h1)", 1,
         f"The heron survey used drones over the harbour wetlands ![x]({base}/s1.png) on ten "
         "mornings. " + LOREM * 2),
        (f"Results of the drone counts across the harbour ![x]({base}/h2) <img src=\"{base}/h2.png\">", 1,
         f"The drones counted 412 herons <img src=\"{base}/s2.png\"> across "
         "the harbour. " + LOREM * 2),
        ("Conclusion", 1, "Drone surveys make heron counts cheap and repeatable. " + LOREM),
    ]
    return make_paper(sections, title="Herons of the harbour", outline=True)


def _hover_all(page, buttons) -> int:
    """Hover each button long enough for its tooltip to render; returns how many."""
    n = buttons.count()
    for i in range(n):
        buttons.nth(i).scroll_into_view_if_needed()
        buttons.nth(i).hover()
        page.wait_for_timeout(250)
    return n


def _batch_twice(page, files) -> None:
    """On the Batch page: the files summarized twice (two runs of each document for Compare), every
    expander opened."""
    page.get_by_role("link", name="Batch").first.click()
    _wait_text(page, "or paste articles")
    page.locator("input[type=file]").first.set_input_files([str(f) for f in files])
    _wait_text(page, f"{len(files)} document(s) ready.")
    for _ in range(2):
        page.get_by_role("button", name="Summarize all").click()
        _wait_text(page, f"{len(files)}/{len(files)} documents")
        _idle(page)
        _wait_text(page, "Download all (zip)")
    expanders = page.locator("[data-testid=stExpander] summary")
    assert expanders.count() == len(files)
    for i in range(expanders.count()):
        expanders.nth(i).click()
    page.wait_for_timeout(1000)


def test_hostile_document_text_loads_nothing_in_tooltips_labels_batch_and_compare(app_url, browser, tmp_path):  # noqa: F811
    with WebServer() as beacon:
        pdf = tmp_path / "herons.pdf"
        pdf.write_bytes(hostile_paper(beacon.url))
        article = tmp_path / "harbour.txt"
        article.write_text(hostile_article(beacon.url))
        page = browser.new_context(viewport=VIEW).new_page()
        page.set_default_timeout(90_000)
        page.goto(app_url)
        _wait_text(page, "Upload a paper or paste an article")
        page.locator("input[type=file]").first.set_input_files(str(pdf))
        _wait_text(page, "Sections found")
        page.get_by_role("button", name="Summarize").click()
        _wait_text(page, "Download Markdown")
        marks = page.locator('a[href^="#pm-"]')  # page marks: links with the supporting sentence as tooltip
        marks.first.wait_for()
        assert _hover_all(page, marks) >= 4
        marks.nth(2).click()  # the page view, with the claim, opens in a dialog
        page.get_by_role("dialog").get_by_text("The claim:").wait_for(timeout=60_000)
        page.keyboard.press("Escape")
        page.get_by_role("dialog").wait_for(state="detached")

        box = page.get_by_test_id("stChatInputTextArea")
        box.fill("How many herons did the drones count during the survey of the harbour?")
        box.press("Enter")
        answer = page.get_by_test_id("stChatMessage").nth(1)
        citations = answer.get_by_role("button")  # its citations' page buttons come with the finished turn
        citations.first.wait_for(timeout=90_000)
        assert _hover_all(page, citations) >= 1
        page.wait_for_timeout(1000)
        assert beacon.hits == [], beacon.hits
        labels = " ".join(citations.all_inner_texts())
        assert "§Results of the drone" in labels or "§Drone survey" in labels, labels

        _batch_twice(page, [pdf, article])
        body = page.inner_text("body")
        assert "title.png" in body  # the article's title, with its image as text, labels an expander
        page.wait_for_timeout(1000)
        assert beacon.hits == [], beacon.hits

        page.get_by_role("link", name="Compare").first.click()
        _wait_text(page, "What differs")
        page.get_by_text("Word-level diff").click()
        _idle(page)
        for label in ("Document", "Run A"):  # open the pickers, so their options render
            page.get_by_label(label).first.click()
            page.wait_for_timeout(500)
            page.keyboard.press("Escape")
        page.wait_for_timeout(1500)
        assert "Overall summary" in page.inner_text("body")
        assert beacon.hits == [], beacon.hits
