"""Small neighbouring sections asked in one request: which ones, and how the request and answer look.

A paper's short subsections ("5.1.1 Queue Length", 77 tokens; "5.1.2 Queue Squared", 26 tokens)
cost more in instructions than in text when each is a request of its own: every request repeats
the system text, the section instructions and the answer format (about 150 tokens). Sections that
are each under ``Settings.group_below`` tokens, follow one another among those to summarize, and
use the same prompt are asked together: one request holds them as numbered parts of the
``<section>`` data, and the answer holds one entry per part with the prompt's own fields, so every
section still gets its own summary. A part the answer misses or gets wrong is asked alone afterwards
(see ``LLMBackend.summarize_group``): grouping saves tokens and never loses a section.

The default threshold, 500 tokens, is where a request's own text (~150 tokens) stops being more
than 30 % of what it carries: the share the 1.3× budget on tokens sent allows.

A short paper is asked whole: when every section to summarize fits in one request together
(under ``Settings.whole_paper_below`` tokens in all) and the answers fit one answer's room, one
request holds them all. Each part is named with what its own prompt extracts and how long, and the
answer schema gives each part its own prompt's fields (under its number), plus the overall summary
(``overview``, the synthesis prompt's fields): no separate synthesis request. Parts or an overview
the answer misses are asked as usual afterwards (each with its own prompt).
"""

from __future__ import annotations

from dataclasses import dataclass

from summarizer.config.settings import WHOLE_PAPER_TOKENS

#: At most this many sections in one request: more parts make a weaker model skip or merge some.
GROUP_MAX_SECTIONS = 8
#: A group's section text stays under this many tokens, so its answer stays short enough to finish.
GROUP_MAX_TOKENS = 1_500

#: …and has at most this many sections: the answer holds a summary for each, plus the overview.
WHOLE_PAPER_MAX_SECTIONS = 16

GROUP_INSTRUCTION = ("\n\nThe text above holds {n} sections, each after a <part N> mark with its number and title. Answer "
                     "{{\"sections\": [...]}}: one entry per section, in order, with \"part\" (its number) and the "
                     "answer fields above, about that section only; each summary at most {words} words.")
WHOLE_INSTRUCTION = ("\n\nThe text above holds {n} sections, each after a <part N> mark with its number and title. Answer "
                     "{{\"sections\": {{\"1\": {{...}}, ...}}, \"overview\": {{...}}}}: under each section's number, the "
                     "answer fields for that section only ({parts}); in \"overview\", the whole paper's summary (at most "
                     "{words} words in all) with the fields {fields}.")
#: Tokens an answer spends per word asked (generous: English ~1.3, Chinese more per character), and
#: its fixed cost per part (reasoning, field names): what a whole paper's answer is budgeted with.
TOKENS_PER_WORD = 1.5
TOKENS_PER_PART = 40


@dataclass(frozen=True)
class Candidate:
    """What grouping needs to know of one section to summarize."""

    index: int
    tokens: int
    prompt: str
    alone: bool = False  # must be asked on its own (a re-ask naming a problem, the abstract)


def plan_groups(candidates: list[Candidate], below: int, max_sections: int = GROUP_MAX_SECTIONS,
                max_tokens: int = GROUP_MAX_TOKENS) -> list[list[int]]:
    """The requests to make, as lists of section indices in document order: runs of consecutive
    small sections with the same prompt share one; every other section is a list of its own.
    ``below`` ≤ 0 turns grouping off."""
    units: list[list[int]] = []
    run: list[Candidate] = []

    def close() -> None:
        if run:
            units.append([c.index for c in run])
            run.clear()

    for c in candidates:
        small = below > 0 and not c.alone and c.tokens < below
        if not small:
            close()
            units.append([c.index])
            continue
        if run and (run[0].prompt != c.prompt or len(run) >= max_sections
                    or sum(r.tokens for r in run) + c.tokens > max_tokens):
            close()
        run.append(c)
    close()
    # a "group" of one is an ordinary request
    return units


def group_text(parts: list[tuple[str, str]]) -> str:
    """The sections' texts as numbered parts of one ``<section>`` block, each after a ``<part N> title``
    line. A document cannot hold that mark (``llm.backend.delimit`` neutralises ``<part`` in the data),
    while a numbered line such as a reference list's ``[1] S. Popinet …`` is common: numbers in
    brackets would collide with it. No closing tag: the next mark or the block's end closes a part."""
    return "\n\n".join(f"<part {n}> {' '.join(title.split())}\n{text}" for n, (title, text) in enumerate(parts, 1))


def group_title(titles: list[str]) -> str:
    """The heading a group's request names: its first and last sections."""
    return titles[0] if len(titles) == 1 else f"{titles[0]} … {titles[-1]}"


def group_instruction(n: int, words: int) -> str:
    """What the model is told about the ``n`` parts of one prompt (their titles are in the text)."""
    return GROUP_INSTRUCTION.format(n=n, words=words)


def whole_instruction(parts: list[tuple[str, int]], words: int, fields: list[str]) -> str:
    """What a whole paper's request asks: for each part (its focus, its words) its own fields, and
    the overview; parts with the same focus and length are named together ("[2, 3] inputs, steps")."""
    by_part: dict[str, list[int]] = {}
    for i, (focus, n) in enumerate(parts, 1):
        by_part.setdefault(f"{focus + ', ' if focus else ''}at most {n} words", []).append(i)
    listed = "; ".join(f"[{', '.join(map(str, numbers))}] {what}" for what, numbers in by_part.items())
    return WHOLE_INSTRUCTION.format(n=len(parts), parts=listed, words=words, fields=", ".join(fields))


def whole_answer_fits(part_words: list[int], overview_words: int, room: int) -> bool:
    """A whole paper's answer, every part at its longest, fits ``room`` tokens (else it would be cut,
    and every section asked again)."""
    need = sum(TOKENS_PER_WORD * w + TOKENS_PER_PART for w in part_words) + TOKENS_PER_WORD * overview_words + TOKENS_PER_PART
    return need <= room


def whole_paper_fits(tokens: list[int], below: int = WHOLE_PAPER_TOKENS) -> bool:
    """Sections of these sizes (all a paper's sections to summarize) are asked in one request."""
    return 1 < len(tokens) <= WHOLE_PAPER_MAX_SECTIONS and sum(tokens) < below


def group_schema(item: dict, n: int) -> dict:
    """The answer of a group: ``sections``, a list of answers, each the prompt's own with the number
    of its section (``part``). No ``minItems``/``maxItems``: a strict validator may refuse them, and
    a refused schema would turn the endpoint's JSON schema off for every request; the count is
    checked on the answer (``group_entries``)."""
    entry = {**item, "properties": {"part": {"type": "integer", "description": "the section's number"},
                                    **item.get("properties", {})},
             "required": ["part", *item.get("required", [])]}
    return {"type": "object", "properties": {"sections": {"type": "array", "items": entry}},
            "required": ["sections"], "additionalProperties": False}


def whole_schema(items: list[dict], overview: dict) -> dict:
    """A whole paper's answer: under ``sections``, each part's own prompt's answer keyed by its number
    ("1", "2", …; every one required, so the count cannot be wrong), and the ``overview``."""
    parts = {str(n): item for n, item in enumerate(items, 1)}
    return {"type": "object", "properties": {
        "sections": {"type": "object", "properties": parts, "required": list(parts), "additionalProperties": False},
        "overview": overview}, "required": ["sections", "overview"], "additionalProperties": False}


def group_entries(fields: dict, n: int) -> list[dict | None]:
    """The answer's entry for each of the ``n`` sections (without its ``part``), ``None`` where it
    gave none usable. Entries are matched to sections by their ``part`` numbers where every entry
    has one (a model may reorder them), else by position. A different count than asked, or part
    numbers that are not 1…n, mean the entries cannot be matched: none is used."""
    entries = fields.get("sections")
    if isinstance(entries, dict):  # a whole paper's answer: each part under its number
        return [e if isinstance(e := entries.get(str(i)), dict) and e else None for i in range(1, n + 1)]
    if not isinstance(entries, list) or len(entries) != n:
        return [None] * n
    parts = [e.get("part") if isinstance(e, dict) else None for e in entries]
    if all(isinstance(p, int) and not isinstance(p, bool) for p in parts):
        if sorted(parts) != list(range(1, n + 1)):
            return [None] * n
        entries = [e for _, e in sorted(zip(parts, entries), key=lambda pe: pe[0])]
    elif any(p is not None for p in parts):  # some numbered, some not: which is which cannot be known
        return [None] * n
    out: list[dict | None] = []
    for e in entries:
        rest = {k: v for k, v in e.items() if k != "part"} if isinstance(e, dict) else {}
        out.append(rest or None)
    return out
