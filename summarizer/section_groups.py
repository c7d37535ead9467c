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
(under ``Settings.whole_paper_below`` tokens in all), one request holds them all, each part named with what to extract from it
(its own prompt's focus), and the answer carries the overall summary too (``overview``, the
synthesis prompt's fields) — no separate synthesis request. Parts or an overview the answer misses
are asked as usual afterwards.
"""

from __future__ import annotations

from dataclasses import dataclass

#: At most this many sections in one request: more parts make a weaker model skip or merge some.
GROUP_MAX_SECTIONS = 8
#: A group's section text stays under this many tokens, so its answer stays short enough to finish.
GROUP_MAX_TOKENS = 1_500

#: The default of ``Settings.whole_paper_below``: a paper whose sections to summarize hold fewer
#: tokens than this together is asked in one request, overall summary included. Asked apart, each
#: request repeats the instructions (~150 tokens) and the overall summary costs one more (~300 with
#: the section summaries it reads): for a paper of about six sections that is (6 × 150 + 300) / 4,000
#: = 30 % of its own size, the whole allowance of the 1.3× budget. Four thousand tokens of text is
#: also well within what any current model reads in one go.
WHOLE_PAPER_TOKENS = 4_000
#: …and has at most this many sections: the answer holds a summary for each, plus the overview.
WHOLE_PAPER_MAX_SECTIONS = 16

GROUP_INSTRUCTION = ("\n\nThe text above holds {n} sections, each headed by its [number] and title{focus}. Answer "
                     "{{\"sections\": [...]}}: one entry per section, in order, with \"part\" (its number) and the "
                     "answer fields above, about that section only; each summary at most {words} words.")
OVERVIEW_INSTRUCTION = (" Also give \"overview\": the whole paper's summary (at most {words} words in all), "
                        "with the fields {fields}.")


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
    """The sections' texts as numbered parts of one ``<section>`` block."""
    return "\n\n".join(f"[{n}] {title}\n{text}" for n, (title, text) in enumerate(parts, 1))


def group_title(titles: list[str]) -> str:
    """The heading a group's request names: its first and last sections."""
    return titles[0] if len(titles) == 1 else f"{titles[0]} … {titles[-1]}"


def group_instruction(n: int, words: int, focus: list[str] | None = None) -> str:
    """What the model is told about the ``n`` parts (their titles are in the text, with their numbers);
    ``focus`` (one per part) says what to give for each where the parts come from different prompts
    (parts with the same focus are named together: "[2, 3] inputs, steps")."""
    by_focus: dict[str, list[int]] = {}
    for i, f in enumerate(focus or [], 1):
        if f:
            by_focus.setdefault(f, []).append(i)
    listed = "; ".join(f"[{', '.join(map(str, parts))}] {f}" for f, parts in by_focus.items())
    return GROUP_INSTRUCTION.format(n=n, focus=f" (what to give for each: {listed})" if listed else "", words=words)


def overview_instruction(words: int, fields: list[str]) -> str:
    """The request for the overall summary inside a whole paper's answer."""
    return OVERVIEW_INSTRUCTION.format(words=words, fields=", ".join(fields))


def whole_paper_fits(tokens: list[int], below: int = WHOLE_PAPER_TOKENS) -> bool:
    """Sections of these sizes (all a paper's sections to summarize) are asked in one request."""
    return 1 < len(tokens) <= WHOLE_PAPER_MAX_SECTIONS and sum(tokens) < below


def group_schema(item: dict, n: int, overview: dict | None = None) -> dict:
    """The answer of a group: ``sections``, a list of answers, each the prompt's own with the number
    of its section (``part``). No ``minItems``/``maxItems``: a strict validator may refuse them, and
    a refused schema would turn the endpoint's JSON schema off for every request; the count is
    checked on the answer (``group_entries``). With ``overview`` (the synthesis answer's schema) the
    answer holds the overall summary as well."""
    entry = {**item, "properties": {"part": {"type": "integer", "description": "the section's number"},
                                    **item.get("properties", {})},
             "required": ["part", *item.get("required", [])]}
    properties: dict = {"sections": {"type": "array", "items": entry}}
    if overview is not None:
        properties["overview"] = overview
    return {"type": "object", "properties": properties, "required": list(properties), "additionalProperties": False}


def group_entries(fields: dict, n: int) -> list[dict | None]:
    """The answer's entry for each of the ``n`` sections (without its ``part``), ``None`` where it
    gave none usable. Entries are matched to sections by their ``part`` numbers where every entry
    has one (a model may reorder them), else by position. A different count than asked, or part
    numbers that are not 1…n, mean the entries cannot be matched: none is used."""
    entries = fields.get("sections")
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
