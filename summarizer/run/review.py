"""The user's review of the detected sections before any tokens are spent.

``apply_review`` takes the parsed document and one ``SectionChoice`` per section (include or not,
a new title, merge into the previous section, a chosen prompt) and returns the document to
summarize plus the prompt chosen for each of its sections. Pure: the parsed document is not changed.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from summarizer.model.document import NOT_SUMMARIZED, Block, Document, Section


@dataclass
class SectionChoice:
    include: bool
    title: str
    merge_up: bool = False
    prompt: str | None = None  # None or "auto": routed by kind


def default_choices(document: Document) -> list[SectionChoice]:
    return [SectionChoice(include=s.included and s.kind not in NOT_SUMMARIZED and bool(s.text.strip()), title=s.title)
            for s in document.sections]


def merged(prev: Section, title: str, section: Section) -> Section:
    """``prev`` with ``section`` (headed by ``title``) appended. Where either has blocks (pages), the merged
    section's blocks are both sections' with the heading a paragraph of its own between them, and its text
    follows from them (``Section``); otherwise the texts are joined the same way."""
    if prev.blocks or section.blocks:
        heading = Block("paragraph", title, section.page_start)
        blocks = [*_as_blocks(prev), heading, *_as_blocks(section)]
        return replace(prev, blocks=blocks, page_end=section.page_end or prev.page_end)
    return replace(prev, text=f"{prev.text}\n\n{title}\n\n{section.text}".strip(),
                   page_end=section.page_end or prev.page_end)


def _as_blocks(section: Section) -> list[Block]:
    """A section's blocks with all of its text in prose: a section whose text is not its prose blocks (the
    figure and table captions, set apart) gives that text as paragraphs, so a merge keeps every word."""
    if any(b.prose for b in section.blocks):
        return list(section.blocks)
    if section.blocks and section.text == "\n\n".join(b.text for b in section.blocks):  # captions: their pages kept
        return [Block("paragraph", b.text, b.page, b.page_end) for b in section.blocks]
    return [Block("paragraph", p.strip(), section.page_start) for p in section.text.split("\n\n") if p.strip()] + \
        list(section.blocks)


def apply_review(document: Document, choices: list[SectionChoice]) -> tuple[Document, dict[int, str]]:
    """The reviewed document and ``{section index: prompt name}`` for explicit prompt choices."""
    sections: list[Section] = []
    prompts: dict[int, str] = {}
    for section, choice in zip(document.sections, choices):
        title = choice.title.strip() or section.title
        if choice.merge_up and sections:
            sections[-1] = merged(sections[-1], title, section)
            continue
        kind = section.kind
        if choice.include and kind in NOT_SUMMARIZED:
            kind = "other"  # asked for explicitly: summarize it like any other section
        sections.append(replace(section, title=title, included=choice.include, kind=kind))
        if choice.prompt and choice.prompt != "auto":
            prompts[len(sections) - 1] = choice.prompt
    return replace(document, sections=sections), prompts
