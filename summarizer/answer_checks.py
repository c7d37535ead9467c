"""Checks an answer must pass before it is called a summary (field note 25).

A real small model answers with an empty string, ``1 2 3``, a sentence of our own system prompt
or retry instruction, the same phrase in a loop, or the section text still wrapped in our
``<section>`` delimiters. None of that is a summary. ``answer_problem`` names what is wrong (or
returns ""), so the caller can re-ask once with the problem named and fail the section honestly
if it happens again. ``schema_problems`` says which answer fields are missing or mistyped, and
``strip_delimiters`` removes the tags we introduced around data. The rules are aimed at the
general case (shares and ratios over words), not at any one answer.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

#: The tags we wrap data in (``llm_backend.delimit`` and the prompt files).
DELIMITER_TAGS = ("section", "article", "parts", "summaries", "abstract")
_TAG_NAMES = "|".join(DELIMITER_TAGS)
_TAG = re.compile(rf"<\s*/?\s*(?:{_TAG_NAMES})\s*>", re.I)
_OPEN_TAG = re.compile(rf"<\s*(?:{_TAG_NAMES})\s*>", re.I)
_PART_MARK = re.compile(r"^\s*\[part \d+\]\s*$", re.M | re.I)
_UNIT = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*|\d+(?:[.,]\d+)*", re.U)
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")

ECHO_NGRAM = 4  # words in a row shared with our instructions that count as copied
ECHO_SHARE = 0.5  # share of the answer's words covered by such runs that makes it an echo
COPY_NGRAM = 8
COPY_SHARE = 0.9  # share of the answer copied word for word from the source ...
COPY_OF_SOURCE = 0.5  # ... when it is also at least this share of the source's length
LOOP_MIN_UNITS = 24
LOOP_DISTINCT = 0.35  # distinct trigrams / trigrams below this: the same phrase over and over


def units(text: str) -> list[str]:
    """Words (lower-cased) and numbers; each CJK character is one unit."""
    out: list[str] = []
    for token in _UNIT.findall(text.lower()):
        if _CJK.search(token):
            out.extend(ch for ch in token if not ch.isspace())
        else:
            out.append(token)
    return out


def _wordy(tokens: list[str]) -> int:
    """Units that carry language (letters or CJK), not bare numbers."""
    return sum(1 for t in tokens if not t[0].isdigit())


def _ngrams(tokens: list[str], n: int) -> set[tuple[str, ...]]:
    return {tuple(tokens[i:i + n]) for i in range(len(tokens) - n + 1)}


def covered_share(answer: list[str], reference: set[tuple[str, ...]], n: int) -> float:
    """Share of ``answer``'s units inside an n-gram that also occurs in ``reference``."""
    if len(answer) < n or not reference:
        return 0.0
    covered = [False] * len(answer)
    for i in range(len(answer) - n + 1):
        if tuple(answer[i:i + n]) in reference:
            for j in range(i, i + n):
                covered[j] = True
    return sum(covered) / len(answer)


def strip_delimiters(text: str) -> str:
    """The answer without the data tags and part markers we introduced."""
    return _PART_MARK.sub("", _TAG.sub("", text)).strip()


def is_loop(tokens: list[str], text: str) -> bool:
    """A repetition loop: few distinct trigrams, or most lines repeating one another."""
    if len(tokens) >= LOOP_MIN_UNITS:
        grams = [tuple(tokens[i:i + 3]) for i in range(len(tokens) - 2)]
        if len(set(grams)) / len(grams) < LOOP_DISTINCT:
            return True
    lines = [re.sub(r"\W+", " ", ln).strip().lower() for ln in text.splitlines()]
    lines = [ln for ln in lines if ln]
    if len(lines) >= 4:
        repeats = sum(c - 1 for c in Counter(lines).values())
        if repeats / len(lines) >= 0.5:
            return True
    return False


@dataclass
class AnswerContext:
    """What an answer is judged against: our own instruction texts and the data we sent."""

    instructions: list[str]
    source: str
    max_words: int

    def __post_init__(self) -> None:
        source_units = units(self.source)
        self._source_units = len(source_units)
        self._source_grams = _ngrams(source_units, ECHO_NGRAM)
        self._copy_grams = _ngrams(source_units, COPY_NGRAM)
        ours: set[tuple[str, ...]] = set()
        self._short_instructions: set[str] = set()
        for text in self.instructions:
            toks = units(text)
            ours |= _ngrams(toks, ECHO_NGRAM)
            if 0 < len(toks) < ECHO_NGRAM:
                self._short_instructions.add(" ".join(toks))
        # a run of words that is also in the data is the model quoting the data, not echoing us
        self._instruction_grams = ours - self._source_grams

    def min_units(self) -> int:
        """Far too short: under a fifteenth of the asked length and a fifth of the source, capped at 6."""
        return max(2, min(6, self.max_words // 15, self._source_units // 5 or 2))


def answer_problem(text: str, ctx: AnswerContext) -> str:
    """What makes ``text`` (the answer's summary) not a summary, or "" when it is sound."""
    clean = strip_delimiters(text)
    tokens = units(clean)
    if not tokens:
        return "the answer was empty"
    if " ".join(tokens) in ctx._short_instructions or \
            covered_share(tokens, ctx._instruction_grams, ECHO_NGRAM) >= ECHO_SHARE:
        return "the answer repeated our instructions instead of summarizing the text"
    if _OPEN_TAG.search(text):
        return "the answer repeated the <section> delimiters and the text inside them instead of summarizing it"
    if is_loop(tokens, clean):
        return "the answer repeated the same words over and over"
    if _wordy(tokens) < ctx.min_units():
        return f"the answer was far too short for the section ({_wordy(tokens)} words)"
    if (len(tokens) >= COPY_NGRAM * 2 and len(tokens) >= COPY_OF_SOURCE * ctx._source_units
            and covered_share(tokens, ctx._copy_grams, COPY_NGRAM) >= COPY_SHARE):
        return "the answer copied the section text instead of summarizing it"
    return ""


def echoed_item(fields: dict, ctx: AnswerContext) -> str:
    """The name of a list field with an item that is our own instruction text ("at most 90 words."),
    or "". The summary itself is judged by ``answer_problem``; a list's short items are judged here."""
    for name, value in fields.items():
        for item in value if isinstance(value, list) else []:
            tokens = units(str(item))
            if tokens and (" ".join(tokens) in ctx._short_instructions
                           or covered_share(tokens, ctx._instruction_grams, ECHO_NGRAM) >= ECHO_SHARE):
                return str(name)
    return ""


def repeated_summaries(summaries: list[str]) -> set[int]:
    """Positions of summaries that another one repeats word for word: several sections answered
    with one text (a weak model asked for several at once) were not each summarized."""
    keys = [" ".join(units(s)) for s in summaries]
    return {i for i, k in enumerate(keys) if k and keys.count(k) > 1}


def echoed_field(fields: dict, descriptions: dict) -> str:
    """The name of a field whose value is a field description of ours ("one or two sentences"), or ""."""
    ours = {" ".join(units(str(d))) for d in descriptions.values()} - {""}
    for name, value in fields.items():
        items = value if isinstance(value, list) else [value]
        for item in items:
            if isinstance(item, str) and " ".join(units(item)) in ours:
                return str(name)
    return ""


def schema_problems(fields: dict, schema: dict) -> list[str]:
    """Fields the schema requires that are missing, or of the wrong type (the reasoning field,
    kept apart from the answer, is not asked for)."""
    problems = []
    properties = schema.get("properties", {})
    for name in schema.get("required", []):
        if name == "reasoning":
            continue
        if name not in fields:
            problems.append(f"missing '{name}'")
            continue
        want = properties.get(name, {}).get("type")
        value = fields[name]
        if want == "string" and not isinstance(value, str):
            problems.append(f"'{name}' is not text")
        elif want == "array" and not (isinstance(value, list) and all(isinstance(v, str) for v in value)):
            problems.append(f"'{name}' is not a list of strings")
    return problems


def copied_from_one(overview: str, summaries: list[str]) -> int | None:
    """The index of the one summary ``overview`` mostly copies (≥ 80 % of its words), if any."""
    tokens = units(overview)
    if len(tokens) < ECHO_NGRAM:
        return None
    for i, summary in enumerate(summaries):
        if covered_share(tokens, _ngrams(units(summary), ECHO_NGRAM), ECHO_NGRAM) >= 0.8:
            return i
    return None
