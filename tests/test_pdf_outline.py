"""The outline keeps its shape: numbering decides parents, empty parents keep their children,
subsection kinds follow their section."""

from __future__ import annotations

from pdf_factory import LOREM, make_paper

from summarizer.kinds import assign_kinds
from summarizer.pdf.outline import keep_numbering
from summarizer.pdf_parser import parse_pdf


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
