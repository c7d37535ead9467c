"""Every threshold of the PDF parser's text steps, named and documented in one dataclass.

Sizes are in multiples of the line's font size (so they hold for any page size and font);
shares are fractions of a line's visible characters.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class LayoutSettings:
    """Settings of paragraph rebuilding and block typing (``summarizer.pdf.blocks``)."""

    #: A baseline-to-baseline distance larger than this multiple of the document's usual one
    #: (for the same font size) is a paragraph break (space between paragraphs).
    paragraph_gap: float = 1.45
    #: Lines whose font sizes differ by more than this many points are not one paragraph
    #: (footnotes, insets, headings left in the body).
    size_jump: float = 1.0
    #: After a line that ends a sentence, a next line indented by more than this many font sizes
    #: starts a paragraph (first-line indent).
    indent: float = 0.8
    #: After a line that ends a sentence, the line ending this many font sizes short of the
    #: paragraph's right edge was the paragraph's last line.
    short_last_line: float = 1.5
    #: A page whose lines are in blocks of their own this often (some producers, notably
    #: Chinese ones, make every line a block) ignores block boundaries as paragraph evidence.
    blocks_are_lines: float = 0.7
    #: A line with at least this share of characters in a monospaced font is code.
    code_share: float = 0.7
    #: A line with at least this share of characters in math fonts is part of a display equation.
    math_share: float = 0.4
    #: A line in math fonts with at least this many words of running text (Latin words of three
    #: letters or more, CJK characters counted by two) is prose with inline math, not an equation.
    prose_words: int = 4
    #: A line whose letters are below this share of its visible characters is not prose
    #: (an equation when it has math, a table row when it is mostly digits).
    letter_share: float = 0.5
    #: A non-prose line where digits make at least this share of the visible characters is a table row.
    digit_share: float = 0.3
    #: A paragraph of at least this many lines whose median width is below ``table_width`` of
    #: the body's usual line width, with few sentence ends, is a table (cells read as lines).
    table_lines: int = 3
    table_width: float = 0.45
    #: Of the lines of such a paragraph, at most this share may end a sentence.
    table_sentence_ends: float = 0.3
    #: A paragraph without a sentence end and shorter than this (words; twice as many CJK
    #: characters) is a label: a figure panel, an axis, a stray heading.
    label_words: int = 4
    #: How many blocks back a paragraph cut by a page or column break is looked for
    #: (footnotes and figure labels may sit between its parts).
    continuation_lookback: int = 6
    #: A line that continues a paragraph across a break without starting in lower case must be
    #: at least this share of the body's usual line width (figure labels are narrow).
    continuation_width: float = 0.5
    #: Unfinished text set off the body size in at most this many lines is a figure's title or legend.
    label_lines: int = 2


DEFAULT_LAYOUT = LayoutSettings()


@dataclass(frozen=True)
class RunningSettings:
    """Settings of the running-line step (``summarizer.pdf.running``)."""

    #: Lines in the top or bottom share of the page are at its edge (headers, footers).
    edge: float = 0.09
    #: The outermost rows of text of a page (top and bottom) are at its edge too, wherever the margins put them.
    edge_rows: int = 1
    #: Lines whose tops lie within this many points of each other are one row.
    row_gap: float = 2.0
    #: A line at the edge is a running header or footer when its text (digits ignored) recurs at
    #: the edge of at least this share of the pages (and of at least two pages).
    repeat_share: float = 0.3
    #: Documents shorter than this have no running lines to speak of.
    min_pages: int = 3
    #: A line of only digits and roman numerals up to this length is a page or line number.
    number_chars: int = 8


@dataclass(frozen=True)
class HeadingSettings:
    """Settings of heading detection (``summarizer.pdf.headings.detect_headings``), in points."""

    #: A line this much larger than the body text is set larger.
    larger: float = 0.9
    #: ... or whose largest letters are this much larger (small-caps headings), on a short line.
    larger_letters: float = 1.5
    short_line: int = 80
    #: A bold line counts as bolder than a plain body only when it is at most this much smaller.
    bold_smaller: float = 0.6
    #: A style is rare (a heading style, not body) when at most this share of the lines use it.
    rare_share: float = 0.25
    #: A numbered heading's largest letters may be at most this much smaller than the body.
    numbered_smaller: float = 1.5
    #: Body prose near a heading: a line within this size of the body with at least ``prose_words`` words.
    prose_size: float = 1.6
    prose_words: int = 5
    #: Lines after a candidate in which prose must appear.
    prose_window: int = 4
    #: A heading wraps onto at most this many lines of one block and style.
    max_lines: int = 3
    #: A heading named only by its kind ("Conclusion") has at most this many words.
    named_words: int = 4
    #: A title repeated this often (on one page, or with Greek letters) is a table header.
    repeats: int = 3


DEFAULT_RUNNING = RunningSettings()
DEFAULT_HEADINGS = HeadingSettings()
