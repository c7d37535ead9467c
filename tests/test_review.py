"""The section review (``apply_review``): a merge keeps one document model — the merged section's text,
its paragraphs for page grounding and its passages for Ask move together (issue #26: the merge once
extended ``text`` only, so grounding and Ask lost the merged part)."""

from __future__ import annotations

from summarizer.pdf.parser import parse_pdf
from summarizer.run.review import apply_review, default_choices
from summarizer.text.retrieval import document_passages
from summarizer.verify.grounding import ground_summary


def _merged(paper_pdf):
    doc = parse_pdf(paper_pdf, "sparrow.pdf")
    titles = [s.title for s in doc.sections]
    experiments = next(i for i, t in enumerate(titles) if t.endswith("Experiments"))
    choices = default_choices(doc)
    choices[experiments].merge_up = True
    reviewed, _ = apply_review(doc, choices)
    return doc, doc.sections[experiments], reviewed.sections[experiments - 1]


def test_a_merged_section_keeps_its_paragraphs_and_pages_for_grounding(paper_pdf):
    doc, absorbed, merged = _merged(paper_pdf)
    assert absorbed.blocks and merged.blocks
    claim = "We test on PubMed and arXiv collections with 10,000 queries."
    assert claim in merged.text
    assert any(claim in b.text for b in merged.paragraphs)  # the merged part is prose of the section
    bullet = ground_summary(f"- {claim}", merged, "en")[0]
    assert bullet.support is not None and bullet.pages == [absorbed.page_start]


def test_ask_finds_the_merged_text_in_its_new_section_with_its_page(paper_pdf):
    doc, absorbed, merged = _merged(paper_pdf)
    choices = default_choices(doc)
    choices[doc.sections.index(absorbed)].merge_up = True
    reviewed, _ = apply_review(doc, choices)
    found = [p for p in document_passages(reviewed) if "10,000 queries" in p.text]
    assert found and all(p.section_title == merged.title and p.page == absorbed.page_start for p in found), \
        [(p.section_title, p.page, p.text[:40]) for p in document_passages(reviewed)]


def test_a_sections_prose_lives_in_one_place(paper_pdf):
    """With blocks, a section's text is their prose: whatever a caller or a later change passes as text, the
    summary (text) and grounding and Ask (blocks) read the same words."""
    from dataclasses import replace

    from summarizer.model.document import Block, Section

    doc, _, merged = _merged(paper_pdf)
    for section in [*doc.sections, merged]:
        if any(b.prose for b in section.blocks):
            assert section.text == "\n\n".join(b.text for b in section.paragraphs)
    stale = Section("Method", "old words nobody reads", blocks=[Block("paragraph", "New words.", 2)])
    assert stale.text == "New words."
    grown = replace(stale, blocks=[*stale.blocks, Block("paragraph", "More words.", 3)])
    assert grown.text == "New words.\n\nMore words." and [p.page for p in grown.paragraphs] == [2, 3]
    assert Section("Note", "plain text only").text == "plain text only"  # no blocks: the text is the prose


def test_merging_the_captions_keeps_their_text_and_pages(paper_pdf):
    """The captions section's text is not prose blocks (its blocks are captions): merged into the section
    before it, or given a section of its own merged into it, every caption stays in the text."""
    from summarizer.model.document import Block, Section
    from summarizer.run.review import merged

    body = Section("Results", "We found X.", blocks=[Block("paragraph", "We found X.", 2)])
    captions = Section("Figure and table captions", "Figure 1: A cat.\n\nTable 2: Dogs.", kind="caption",
                       blocks=[Block("caption", "Figure 1: A cat.", 3), Block("caption", "Table 2: Dogs.", 4)])
    down = merged(body, captions.title, captions)
    assert down.text == "We found X.\n\nFigure and table captions\n\nFigure 1: A cat.\n\nTable 2: Dogs."
    assert [p.page for p in down.paragraphs][-2:] == [3, 4]
    up = merged(captions, "Notes", Section("Notes", "A note.", blocks=[Block("paragraph", "A note.", 5)]))
    assert up.text.startswith("Figure 1: A cat.\n\nTable 2: Dogs.") and up.text.endswith("A note.")
