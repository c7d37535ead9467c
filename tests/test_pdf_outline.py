"""The outline keeps its shape: numbering decides parents, empty parents keep their children,
subsection kinds follow their section."""

from __future__ import annotations

from pdf_factory import LOREM, make_paper

from summarizer.pdf.outline import keep_numbering
from summarizer.pdf.parser import parse_pdf
from summarizer.text.kinds import assign_kinds


def test_an_unnumbered_label_cannot_adopt_the_numbered_headings_after_it():
    numbers = ["3", "3.1", "3.2", None, "3.3", "3.4", "4"]
    assert keep_numbering(numbers, [1, 2, 2, 1, 2, 2, 1]) == [1, 2, 2, 3, 2, 2, 1]
    # between "3" and its first child the label sits beside the child
    assert keep_numbering(["3", None, "3.1"], [1, 1, 2]) == [1, 2, 2]
    # an unnumbered parent of numbered children that have no other parent keeps them ("Appendix", "A.1")
    assert keep_numbering(["2", None, "A.1"], [1, 1, 2]) == [1, 1, 2]
    # an unnumbered heading at the level of the next one adopts nothing and stays
    assert keep_numbering(["5.2", None, "6"], [2, 2, 1]) == [2, 2, 1]


def test_empty_parent_heading_keeps_its_place_and_children():
    sections = [("Abstract", 1, "We present a package for gamma-ray astronomy. " + LOREM),
                ("1 Introduction", 1, LOREM * 2), ("2 Gammapy package", 1, ""), ("2.1 Overview", 2, LOREM * 2),
                ("2.2 Data model", 2, LOREM), ("3 Conclusion", 1, LOREM)]
    for outline in (False, True):
        doc = parse_pdf(make_paper(sections, outline=outline, page_break_after=4))
        got = [(s.title, s.level, s.kind) for s in doc.sections if s.kind != "caption"]
        assert got[2:] == [("2 Gammapy package", 1, "method"), ("2.1 Overview", 2, "method"),
                           ("2.2 Data model", 2, "method"), ("3 Conclusion", 1, "conclusion")], (outline, got)


def test_subsection_kinds_follow_their_section():
    titles = ["Introduction", "Experiments", "Overview", "Model", "Setup details", "Results", "System design"]
    levels = [1, 1, 2, 2, 3, 1, 2]
    assert assign_kinds(titles, levels) == ["introduction", "experiments", "experiments", "experiments",
                                            "experiments", "results", "results"]
    # the parent is the enclosing section, not the subsection just before
    assert assign_kinds(["Introduction", "Related work", "Overview"], [1, 2, 2]) == [
        "introduction", "related_work", "introduction"]


def test_a_numbered_line_out_of_sequence_cannot_adopt_the_headings_after_it():
    # "4" between "2.9" and "2.10": a table row or code line taken for a heading sits under 2.9
    assert keep_numbering(["2", "2.9", "4", "2.10", "3"], [1, 2, 1, 2, 1]) == [1, 2, 3, 2, 1]
    # a number that is the next one's parent keeps its children; so does an in-sequence section
    assert keep_numbering(["2", "2.1", "3", "3.1"], [1, 2, 1, 2]) == [1, 2, 1, 2]


def _paper_with_a_stray_number(stray_font: str, outline: bool) -> bytes:
    from pdf_factory import build_pdf

    head, sub, body = ("hebo", 14), ("hebo", 12), ("tiro", 10)

    def item(text, y, style, width=450):
        return (text, 72, y, width, style[1], style[0])

    page = [item("A Study of Stray Numbers", 60, ("hebo", 18)),
            item("1 Introduction", 100, head), item(LOREM, 122, body),
            item("2 Design", 230, head), item("2.1 Layout", 252, sub), item(LOREM, 272, body),
            item("4 SUMMARY COUNTS OFFSET", 380, (stray_font, 10), 300),
            item("2.2 Caches", 410, sub), item(LOREM, 430, body),
            item("3 Results", 540, head), item(LOREM, 562, body)]
    toc = [[1, "1 Introduction", 1], [1, "2 Design", 1], [2, "2.1 Layout", 1], [2, "2.2 Caches", 1],
           [1, "3 Results", 1]]
    return build_pdf([page], outline=toc if outline else None)


def test_an_outline_keeps_a_heading_out_of_its_numbering_out():
    doc = parse_pdf(_paper_with_a_stray_number("hebo", outline=True))
    assert [(s.title, s.level) for s in doc.sections if s.title[:1].isdigit()] == [
        ("1 Introduction", 1), ("2 Design", 1), ("2.1 Layout", 2), ("2.2 Caches", 2), ("3 Results", 1)]
    without = parse_pdf(_paper_with_a_stray_number("hebo", outline=False))
    levels = {s.title: s.level for s in without.sections}
    assert levels["2.2 Caches"] == 2 and levels.get("4 SUMMARY COUNTS OFFSET", 3) == 3


def test_a_code_line_is_no_heading():
    doc = parse_pdf(_paper_with_a_stray_number("cour", outline=False))
    titles = [s.title for s in doc.sections]
    assert "4 SUMMARY COUNTS OFFSET" not in titles and "2.2 Caches" in titles
    assert "SUMMARY COUNTS OFFSET" in next(s for s in doc.sections if s.title == "2.1 Layout").text + \
        "".join(b.text for s in doc.sections for b in s.blocks)


def test_a_heading_set_larger_in_typewriter_type_is_still_a_heading():
    from pdf_factory import build_pdf

    page = [("The Library Reference", 72, 60, 450, 18, "hebo"),
            ("1 Overview", 72, 100, 450, 14, "hebo"), (LOREM, 72, 122, 450, 10, "tiro"),
            ("2 summarize_document()", 72, 260, 450, 14, "cobo"), (LOREM, 72, 282, 450, 10, "tiro"),
            ("3 Settings.from_env()", 72, 420, 450, 14, "cobo"), (LOREM, 72, 442, 450, 10, "tiro")]
    titles = [s.title for s in parse_pdf(build_pdf([page])).sections]
    assert "3 Settings.from_env()" in titles


def test_lettered_subsections_restart_without_being_dropped():
    from pdf_factory import build_pdf

    def item(text, y, size=10, font="tiro"):
        return (text, 72, y, 450, size, font)

    page = [item("Lettered Sections", 50, 18, "hebo"), item("I. Method", 90, 14, "hebo"), item("A. Data", 112, 12, "hebo"),
            item(LOREM, 130), item("B. Model", 220, 12, "hebo"), item(LOREM, 238), item("C. Training", 330, 12, "hebo"),
            item(LOREM, 348), item("II. Results", 440, 14, "hebo"), item("A. Accuracy", 462, 12, "hebo"), item(LOREM, 480)]
    toc = [[1, "I. Method", 1], [2, "A. Data", 1], [2, "B. Model", 1], [1, "II. Results", 1], [2, "A. Accuracy", 1]]
    titles = [s.title for s in parse_pdf(build_pdf([page], outline=toc)).sections]
    assert "C. Training" in titles
