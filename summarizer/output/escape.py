"""Text from a document is data, also in the viewer's browser (field note 29).

Two functions, applied wherever document text enters Markdown (the download and ``st.markdown``):

- ``escape_text`` for plain text (titles, authors, section names, notices, quoted fragments): every
  character Markdown or HTML would act on is escaped, so it shows exactly as written and does nothing.
- ``safe_markdown`` for Markdown we write around document text (summaries, reasoning): bullets,
  emphasis and headings stay, but images (which a browser fetches on sight), raw HTML tags and
  comments (``<script>``, ``<img onerror>``, ``<iframe>``, autolinks) and links with an active
  scheme (``javascript:``, ``data:``, ``vbscript:``, ``file:``) are made inert text. Fenced code
  blocks are left alone: nothing in them is rendered.

``safe_markdown_math`` is ``safe_markdown`` for renderers that typeset TeX (Obsidian): ``$…$`` and ``$$…$$``
spans are kept as written (an escaped ``\\_`` would break a subscript), their ``<`` and ``>`` written ``\\lt`` and
``\\gt`` so no tag can open inside them either.

Two more for the exports (batch ``index.md``, the comparison as Markdown or CSV):

- ``markdown_cell``: ``escape_text`` for one cell of a Markdown table (its ``|`` escaped too).
- ``csv_cell``: a CSV value a spreadsheet shows as text, never runs as a formula (OWASP "CSV
  injection": a cell opening with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a
  leading ``'``). The package ``defusedcsv`` does the same but misses the tab and carriage return.
"""

from __future__ import annotations

import re

_PLAIN_SPECIALS = re.compile(r"([\\`*_\[\]<>])")
_ENTITY = re.compile(r"&(?=#?[A-Za-z0-9]+;)")
# a fenced block that opens and closes at the start of a line (anything less strict could be read
# differently by a renderer, so inline code is escaped like the rest: safe, at worst "&lt;" shows)
_CODE = re.compile(r"(^ {0,3}(?:```|~~~)[^\n`]*\n[\s\S]*?^ {0,3}(?:```|~~~)[ \t]*$)", re.M)
_ACTIVE_SCHEME = re.compile(r"^\s*<?\s*(?:javascript|vbscript|data|file)\s*:", re.I)
_LINK_TARGET = re.compile(r"\]\(\s*")
_REF_DEF = re.compile(r"(\[(?!\^)[^\]\n]*\]:)")  # anywhere (list items hold them too); [^n]: footnotes are ours


def escape_text(text: object) -> str:
    """Plain text that Markdown and HTML show literally, on one line."""
    value = " ".join(str(text).split())
    value = _ENTITY.sub("&amp;", value)
    value = _PLAIN_SPECIALS.sub(r"\\\1", value)
    return re.sub(r"^(#|>|[-+] )", r"\\\1", value)  # no heading, quote or list opens the line


def _inert(part: str) -> str:
    part = _ENTITY.sub("&amp;", part)
    part = part.replace("<", "&lt;")  # no tag, comment or autolink can open
    part = re.sub(r"!(\s*)\[", r"!\1\\[", part)  # ![alt](src) and ![alt][ref] become text, not images
    part = re.sub(r"(?<!\\)\[(?=[^\]\n]*\]\()", r"\\[", part) if _has_active_link(part) else part
    return _REF_DEF.sub(lambda m: "\\" + m.group(1), part)  # "[x]: url" definitions are never used


def _has_active_link(part: str) -> bool:
    return any(_ACTIVE_SCHEME.match(part[m.end():]) for m in _LINK_TARGET.finditer(part))


def safe_markdown(markdown: str) -> str:
    """Markdown whose formatting stays but which cannot load, run or link anything active."""
    pieces = _CODE.split(markdown)
    return "".join(p if i % 2 else _inert(p) for i, p in enumerate(pieces))


# $$…$$ (one line or several), or $…$ on one line that opens on a non-space and closes on one not followed by a
# digit (Pandoc's and Obsidian's rule: "$3 and $4" is money, not math). No span holds a backtick: "`$` … `$`" is two
# code spans around text, which must be made inert like any other text, not kept as math.
_MATH = re.compile(r"(\$\$[^$`]+?\$\$|(?<![\\$])\$(?=[^\s$`])[^$\n`]*?[^\s\\$`]\$(?![\d$])|(?<![\\$])\$[^\s$`]\$(?![\d$]))")


def safe_markdown_math(markdown: str) -> str:
    """``safe_markdown`` that keeps TeX math (``$x_i$``, ``$$\\sum …$$``) as written, its angle brackets made TeX's
    ``\\lt``/``\\gt``: inert as HTML, the same symbol when typeset."""
    pieces = _CODE.split(markdown)
    out = []
    for i, piece in enumerate(pieces):
        if i % 2:
            out.append(piece)
            continue
        parts = _MATH.split(piece)
        out.append("".join(p.replace("<", "\\lt{}").replace(">", "\\gt{}") if j % 2 else _inert(p)
                           for j, p in enumerate(parts)))
    return "".join(out)


def markdown_cell(text: object) -> str:
    """Plain text for one cell of a Markdown table: escaped, on one line, its pipes kept inside the cell."""
    return escape_text(text).replace("|", "\\|") or " "


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: object) -> object:
    """A CSV value that a spreadsheet shows as written: text a formula could start with (also after
    leading white space, which some spreadsheets skip) gets a leading apostrophe. Numbers stay numbers."""
    if not isinstance(value, str):
        return value
    return "'" + value if value.startswith(_FORMULA_START) or value.lstrip().startswith(_FORMULA_START) else value
