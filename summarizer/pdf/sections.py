"""Cut the lines at the headings into sections of typed blocks, with title, authors and abstract (last step)."""

from __future__ import annotations

import re
from dataclasses import replace

from summarizer.model.document import Block, Document, Section, nonspace
from summarizer.model.errors import InputError
from summarizer.pdf.blocks import build_blocks, measure, prose_text
from summarizer.pdf.extract import LABEL_ONLY, Line
from summarizer.pdf.front import RUN_IN_ABSTRACT, title_and_authors
from summarizer.pdf.headings import Heading, body_style
from summarizer.text.kinds import assign_kinds, kind_from_title
from summarizer.text.language import detect_language, reading_length


def _section(title: str, blocks: list[Block], level: int, kind: str, page: int | None = None) -> Section:
    """A section whose ``text`` is exactly its prose paragraphs, with its pages from its blocks."""
    pages = [b.page for b in blocks if b.page] + [b.page_end for b in blocks if b.page_end]
    start = page or (min(pages) if pages else None)
    end = max(pages + ([start] if start else [])) if pages or start else None
    return Section(title, prose_text(blocks), level, kind, start, end, blocks=list(blocks))

def _strip_run_in(blocks: list[Block], pattern: re.Pattern) -> tuple[list[Block], list[Block]] | None:
    """Split blocks at the first prose paragraph starting with a run-in label ("Abstract—"):
    (before, from the label on, label removed); None when there is no such paragraph."""
    for n, b in enumerate(blocks):
        m = pattern.match(b.text) if b.prose else None
        if m:
            rest = b.text[m.end():].strip()
            cut = nonspace(b.text[:m.end()])  # the label's characters: the page breaks move back by as many
            moved = tuple((o - cut, p) for o, p in b.breaks if o - cut > 0)
            after = ([Block(b.kind, rest, b.page_at(cut), b.page_end, moved)] if rest else []) + blocks[n + 1:]
            return blocks[:n], after
    return None

def _letters(text: str) -> str:
    return re.sub(r"[^0-9a-z\u4e00-\u9fff]", "", text.lower())


def _without_restated_title(headings: list[Heading], title: str) -> list[Heading]:
    """The headings without the paper's title set again at the top of its body (APA manuscripts, theses: the title
    restated over the first page of text, in a heading's style, on one line or several): consecutive headings whose
    text together is the whole title, with nothing between them and the next heading. Set over text, the restated
    title is that text's heading and stays."""
    whole = _letters(title)
    if len(whole) < 12:
        return headings
    drop: set[int] = set()
    for start in range(len(headings)):
        joined, n = "", start
        while n < len(headings) and whole.startswith(joined + _letters(headings[n].title)) and len(joined) < len(whole):
            joined += _letters(headings[n].title)
            n += 1
        run = headings[start:n]
        if joined == whole and n < len(headings) and all(h.end == nxt.index for h, nxt in zip(run, headings[start + 1:n + 1],
                                                                                            strict=True)):
            drop.update(range(start, n))
    return [h for i, h in enumerate(headings) if i not in drop]


#: The deepest heading level a section keeps (the authors' structure is read to level 3).
MAX_LEVEL = 3


def build_document(lines: list[Line], headings: list[Heading], captions: list[Block], source: str,
                   meta_title: str, page_count: int, notices: list[str]) -> Document:
    """Cut the lines at the headings into sections of typed blocks; find title, authors and abstract."""
    lang = detect_language(" ".join(line.text for line in lines[:400]))
    title, authors, front_end = title_and_authors(lines, meta_title)
    # headings inside the title block are the title, not sections
    headings = [h for h in headings if h.index >= front_end or kind_from_title(h.title) == "abstract"]
    headings = _without_restated_title(headings, title)
    # the title read as the top heading put every section a level below it: the body's top heading is level 1
    top = min((h.level for h in headings if kind_from_title(h.title) != "abstract"), default=1)
    # three levels at most, counted from the body's top: a title's size took the first rank, so a third level
    # below it ranks fourth until the title is set aside
    headings = [replace(h, level=min(MAX_LEVEL, max(1, h.level - top + 1))) for h in headings]
    first_heading = headings[0].index if headings else len(lines)
    body_size = body_style(lines)[0]
    # the back matter in small print (a journal's 7 pt "Acknowledgements" under 10 pt prose) is a top-level part:
    # its size says it is fine print, not that it is a subsection
    headings = [replace(h, level=1) if not h.numbered and lines[h.index].size < body_size - 0.5
                and kind_from_title(h.title) in ("references", "acknowledgements") else h for h in headings]
    geo = measure(lines, body_size)

    def blocks_of(part: list[Line]) -> list[Block]:
        return build_blocks(part, geo, body_size)

    sections: list[Section] = []
    preamble = lines[front_end:first_heading]
    abstract = ""
    explicit_abstract = any(kind_from_title(h.title) == "abstract" for h in headings)
    if preamble and explicit_abstract:
        blocks = blocks_of(preamble)
        if reading_length(prose_text(blocks)) > 12:
            sections.append(_section("Front matter", blocks, 1, "other"))
    elif preamble:
        blocks = blocks_of(preamble)
        text = prose_text(blocks)
        cut = _strip_run_in(blocks, RUN_IN_ABSTRACT)
        if cut:
            before, after = cut
            after_text = prose_text(after)
            # IEEE: "Abstract—..." then "Index Terms—..."
            abstract = re.split(r"\n\n(?=(index terms|keywords|key words|关键词)\s*[—–:：-])", after_text, flags=re.I)[0]
            if prose_text(before):
                sections.append(_section("Front matter", before, 1, "other"))
            sections.append(_section("Abstract", after, 1, "abstract"))
        elif not headings:
            prose = [b for b in blocks if b.prose]
            first_words = reading_length(prose[0].text) if prose else 0
            if len(prose) > 1 and 30 <= first_words <= 400:
                abstract = prose[0].text
                sections.append(_section("Abstract", [prose[0]], 1, "abstract"))
                blocks = [b for b in blocks if b is not prose[0]]
            sections.append(_section("Body", blocks, 1, "body"))
        elif len(text.split()) >= 30 or (lang == "zh" and len(text) >= 80):
            abstract = text if preamble[0].page == 0 else ""
            kind = "abstract" if abstract else "other"
            sections.append(_section("Abstract" if abstract else "Front matter", blocks, 1, kind))
        elif reading_length(text) > 12:  # a few words are the author block, already read
            sections.append(_section("Front matter", blocks, 1, "other"))

    headings = [replace(h, level=1) if kind_from_title(h.title) == "abstract" else h for h in headings]
    titles = [h.title for h in headings]
    kinds = assign_kinds(titles, [h.level for h in headings])
    for n, h in enumerate(headings):
        end = headings[n + 1].index if n + 1 < len(headings) else len(lines)
        body_lines = lines[h.end:end]
        if kinds[n] == "abstract":
            body_lines = _drop_author_lines(body_lines)
        blocks = blocks_of(body_lines)
        if kinds[n] == "abstract":
            cut = _strip_run_in(blocks, RUN_IN_ABSTRACT)
            if cut and not prose_text(cut[0]):
                blocks = cut[0] + cut[1]
        section = _section(h.title, blocks, h.level, kinds[n], lines[h.index].page + 1)
        sections.append(section)
        if kinds[n] == "abstract" and not abstract:
            abstract = section.text

    if not headings and sections:
        sections = _split_headingless(sections, lang)
    captions = [c for c in captions if not LABEL_ONLY.match(c.text)]  # a bare "图7" says nothing to a reader
    if captions:
        sections.append(_section("Figure and table captions", captions, 1, "caption"))
        sections[-1].text = "\n\n".join(b.text for b in captions)
    if not any(s.text.strip() for s in sections) and lines:
        # a short PDF whose few lines were all read as its title (and authors): that text is the document
        blocks = blocks_of(lines)
        if not prose_text(blocks).strip():  # a line set like a heading is still the document's text
            last = lines[-1].page + 1
            blocks = [Block("paragraph", " ".join(line.text for line in lines), lines[0].page + 1,
                            last if last != lines[0].page + 1 else None)]
        sections = [_section("Body", blocks, 1, "body")]
    if not any(s.text.strip() for s in sections):
        raise InputError("No readable text was found in this PDF.")
    return Document(title=title or source, source=source, sections=sections, authors=authors,
                    abstract=abstract, language=lang, genre="paper", page_count=page_count, notices=notices)

_AFFILIATION = re.compile(r"@|universit|institut|department|laborator|college|school|centre|center|[†‡§¶∗]|\d{4,}"
                          r"|大学|研究所|学院", re.I)

def _drop_author_lines(lines: list[Line]) -> list[Line]:
    """Author and affiliation lines that the reading order put under an abstract heading."""
    k = 0  # lengths in words, two Chinese characters a word: a line of Chinese prose has no spaces to count
    while k < len(lines) and reading_length(lines[k].text) < 9 and (_AFFILIATION.search(lines[k].text) or
                                                                     lines[k].bold or reading_length(lines[k].text) <= 4):
        k += 1
    return lines[k:] if k < len(lines) else lines

def _split_headingless(sections: list[Section], lang: str) -> list[Section]:
    """A paper without headings (a letter): keep the abstract, cut the body into parts."""
    from summarizer.text.paragraphs import chunk_paragraphs

    out = [s for s in sections if s.kind == "abstract"]
    blocks = [b for s in sections if s.kind != "abstract" for b in s.blocks]
    prose = [b for b in blocks if b.prose]
    if out and not prose:
        return sections
    refs = next((i for i, b in enumerate(prose) if re.match(r"^\s*\[?1[\].]\s+\S", b.text) and i > len(prose) * 0.6), None)
    tail = blocks[blocks.index(prose[refs]):] if refs is not None else []
    body = blocks[:len(blocks) - len(tail)]
    chunks = chunk_paragraphs([b.text for b in body if b.prose], lang)
    parts: list[list[Block]] = [[] for _ in chunks]
    n = seen = 0
    for b in body:  # every block goes with the prose around it, in order
        if b.prose:
            if n < len(chunks) - 1 and seen >= len(chunks[n]):
                n, seen = n + 1, 0
            seen += 1
        if parts:
            parts[n].append(b)
    for k, part in enumerate(parts, 1):
        out.append(_section(f"Part {k}", part, 1, "body"))
    if tail:
        out.append(_section("References", tail, 1, "references"))
    return out
