"""The chat's answer body: each citation is shown once (as its page button), not in the text and again
as a button."""

from __future__ import annotations

from summarizer.text.retrieval import Passage
from ui.ask import numbered_citations

INTRO = Passage(0, 0, "1 Introduction", "§1", 5, "The intro text.")
METHOD = Passage(1, 1, "3.2 Method", "§3.2", 7, "The method text.")


def test_each_checked_citation_becomes_a_mark_and_one_button():
    answer = "It is fast [§1, p. 5]. It uses a tree [§3.2, p. 7], as said before [§1,p. 5]."
    text, buttons = numbered_citations(answer, [INTRO, METHOD])
    assert text == "It is fast¹. It uses a tree², as said before¹."
    assert [label for label, _ in buttons] == ["¹ [§1, p. 5]", "² [§3.2, p. 7]"]
    assert [p for _, p in buttons] == [INTRO, METHOD]
    shown = text + " " + " ".join(label for label, _ in buttons)
    assert shown.count("[§1, p. 5]") == 1 and shown.count("[§3.2, p. 7]") == 1


def test_a_citation_not_among_the_passages_stays_in_the_text():
    text, buttons = numbered_citations("Maybe [§9, p. 2].", [INTRO])
    assert text == "Maybe [§9, p. 2]." and buttons == []
