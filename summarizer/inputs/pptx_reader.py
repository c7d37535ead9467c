"""PowerPoint ``.pptx`` decks into a ``Document``, read with python-pptx: one section per slide.

A section is titled by its slide's title placeholder, else "Slide N", and its page is the slide's number, so a
summary's page marks read "p. 7" for slide 7. The slide's text boxes are read top to bottom, left to right (the
file keeps shapes in drawing order, not reading order), grouped shapes included, each paragraph a prose block;
tables become table blocks; footers, dates and slide numbers are left out.

Speaker notes are kept as prose paragraphs of their slide, after the slide's own text, not as "note" blocks:
a slide's bullets are fragments, and the notes are often the only full sentences of a deck (what the speaker
says about the slide), which the summaries, the page grounding and Ask need to see. A deck whose slides and
notes hold no text (pictures of slides) is refused: there is nothing to summarize until it is OCR'd.
"""

from __future__ import annotations

import io
import logging

from summarizer.inputs.outline import Heading, Outline, build_document, tidy
from summarizer.model.document import Block, Document
from summarizer.model.errors import InputError

logger = logging.getLogger(__name__)


def read_pptx(data: bytes, name: str) -> Document:
    """The document in a ``.pptx`` file's bytes (already checked to be a PowerPoint package within the caps)."""
    from pptx import Presentation  # lazy: python-pptx is only needed when a deck comes

    deck = Presentation(io.BytesIO(data))
    if not len(deck.slides):
        raise InputError(f"'{name}' has no slides, so there is nothing to summarize.")
    outline = Outline(title_from_heading=False)
    first_title = ""
    for number, slide in enumerate(deck.slides, 1):
        title_shape = slide.shapes.title
        title = tidy(title_shape.text_frame.text) if title_shape is not None and title_shape.has_text_frame else ""
        first_title = first_title or (title if number == 1 else "")
        outline.items.append(Heading(title or f"Slide {number}", 1, number))
        skip = {title_shape.shape_id} if title_shape is not None else set()
        outline.items.extend(_shape_blocks(slide.shapes, number, skip))
        if slide.has_notes_slide:  # has_notes_slide first: reading notes_slide would add an empty one
            notes = slide.notes_slide.notes_text_frame
            if notes is not None:
                outline.items.extend(Block("paragraph", p.text, number) for p in notes.paragraphs if p.text.strip())
    outline.page_count = len(deck.slides)
    properties = deck.core_properties
    outline.title = tidy(properties.title or "") or first_title or None
    outline.authors = [properties.author or ""]
    return build_document(outline, name, f"'{name}' has no text to summarize: its slides hold only pictures or "
                                         "shapes without text, so OCR it first.")


def _boilerplate(shape) -> bool:
    """A footer, date or slide-number placeholder: the same on every slide, nothing the slide says."""
    if not shape.is_placeholder:
        return False
    from pptx.enum.shapes import PP_PLACEHOLDER

    try:
        kind = shape.placeholder_format.type
    except ValueError:  # a placeholder type python-pptx does not know
        return False
    return kind in (PP_PLACEHOLDER.FOOTER, PP_PLACEHOLDER.DATE, PP_PLACEHOLDER.SLIDE_NUMBER, PP_PLACEHOLDER.HEADER)


def _reading_order(shapes) -> list:
    return sorted(shapes, key=lambda s: ((s.top or 0), (s.left or 0)))


def _shape_blocks(shapes, page: int, skip: set[int]) -> list[Block]:
    """The blocks of a slide's (or a group's) shapes in reading order."""
    from pptx.enum.shapes import MSO_SHAPE_TYPE

    blocks: list[Block] = []
    for shape in _reading_order(shapes):
        if shape.shape_id in skip or _boilerplate(shape):
            continue
        if shape.shape_type == MSO_SHAPE_TYPE.GROUP:
            blocks.extend(_shape_blocks(shape.shapes, page, skip))
        elif getattr(shape, "has_table", False) and shape.has_table:
            rows = [[tidy(cell.text) for cell in row.cells] for row in shape.table.rows]
            rows = [row for row in rows if any(row)]
            if rows:
                blocks.append(Block("table", "\n".join(" | ".join(row) for row in rows), page))
        elif shape.has_text_frame:
            blocks.extend(Block("paragraph", p.text, page) for p in shape.text_frame.paragraphs if p.text.strip())
    return blocks
