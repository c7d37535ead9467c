"""Checks an answer must pass before it is called a summary (field note 25).

A real small model answers with an empty string, ``1 2 3``, a sentence of our own system prompt
or retry instruction, the same phrase in a loop, or the section text still wrapped in our
``<section>`` delimiters. None of that is a summary. ``answer_problem`` names what is wrong (or
returns ""), so the caller can re-ask once with the problem named and fail the section honestly
if it happens again. ``schema_problems`` says which answer fields are missing or mistyped, and
``strip_delimiters`` removes the tags we introduced around data. The rules are aimed at the
general case (shares and ratios over words), not at any one answer.

A real local model (issue #32) also wrote, and had marked done: a field description followed by
keywords, paraphrased instructions ("within the allowed word limit, which is 15 words per answer"),
field names or lone ``{``/``}`` as list items, fragments of the request format (``]}</section><summary
id=``), a quotation the section does not contain, one list written twice, the paper brief copied as
the section's summary, and text sharing no content word with its section. ``answer_problem`` names
each of these too; ``garbage_item`` judges list fields' items.

A figure's description (issue #30) is judged by the same rules, less the content-overlap one (its words come
from the image, not from the caption sent), and by ``description_problem``: one sentence, at most
``FIGURE_MAX_WORDS`` words, not the caption copied.
"""

from __future__ import annotations

import functools
import re
from collections import Counter
from dataclasses import dataclass

from summarizer.text.language import HAN_CHAR, cjk_share, reading_length
from summarizer.text.sentences import split_sentences

#: The tags we wrap data in (``llm.backend.delimit`` and the prompt files).
DELIMITER_TAGS = ("section", "article", "parts", "summaries", "abstract", "caption")
_TAG_NAMES = "|".join(DELIMITER_TAGS)
_TAG = re.compile(rf"<\s*/?\s*(?:{_TAG_NAMES})\s*>", re.I)
_OPEN_TAG = re.compile(rf"<\s*(?:{_TAG_NAMES})\s*>", re.I)
_PART_MARK = re.compile(r"^\s*\[part \d+\]\s*$", re.M | re.I)
_UNIT = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*|\d+(?:[.,]\d+)*", re.U)

ECHO_NGRAM = 4  # words in a row shared with our instructions that count as copied
ECHO_SHARE = 0.5  # share of the answer's words covered by such runs that makes it an echo
COPY_NGRAM = 8
COPY_SHARE = 0.9  # share of the answer copied word for word from the source ...
COPY_OF_SOURCE = 0.5  # ... when it is also at least this share of the source's length
LOOP_MIN_UNITS = 24
LOOP_DISTINCT = 0.35  # distinct trigrams / trigrams below this: the same phrase over and over
QUOTE_MIN_UNITS = 4  # a quotation this long must be in the source ...
QUOTE_FOUND = 0.8  # ... at least this share of its words inside 3-word runs of the source
BRIEF_COPY = 0.8  # share of a section's summary that copies the paper brief: the brief, not the section
FIGURE_MAX_WORDS = 30  # a figure's description: one sentence of at most this many words
CAPTION_COPY = 0.6  # share of a description's words inside 3-word runs of the caption: the caption, copied

#: Markup that is not ours or Markdown's (``<summary id=``, ``</entry>``), and the JSON punctuation of a
#: request format leaking into prose (``]}``, ``{"``, ``"}``, a line that is one bracket).
_MARKUP = re.compile(r"</?[A-Za-z_][\w-]*(?:\s+[\w-]+\s*=|\s*/?>)|<\s*part\s+\d+\s*>", re.I)
_INLINE_HTML = {"br", "sub", "sup", "b", "i", "em", "strong", "code", "u", "mark", "small"}
#: Math (``$…$``, ``$$…$$``, ``\\(…\\)``, ``\\[…\\]``) and inline code, where braces and brackets are notation;
#: never across a '"' (text between two dollar amounts, "$5 million"}, {"summary": "$3 million", is not math).
_MATH_OR_CODE = re.compile(r"\$\$[^\"]+?\$\$|\$[^$\n\"]+\$|\\\([^\"]+?\\\)|\\\[[^\"]+?\\\]|`[^`\n]+`", re.S)
_SPACE = re.compile(r"\s+")
_LONE_BRACKET = re.compile(r"[-*]?\s*[\[\]\{\}],?")
_JSON_DEBRIS = re.compile(r"[\]\}]\s*[\]\}]|\{\s*\"|\"\s*\}|^\s*[-*]?\s*[\[\]\{\}],?\s*$", re.M)
#: Talk about the answer's own form, which a summary of a paper or an article never is (unless the source
#: talks so itself, which the caller checks): word limits, answer fields, JSON, the request's wording.
_META = re.compile(
    r"\bword (?:limit|count)s?\b|\b\d+\s+words?\s+(?:per|each|or (?:less|fewer)|maximum|max)\b"
    r"|\b(?:within|under|below|exceed(?:ing)?|at most|no more than|not more than)\s+(?:the\s+)?(?:allowed\s+|given\s+)?"
    r"(?:\d+[-\s]+)?words?\b|\banswer fields?\b|\bjson\b|\bthis (?:field|answer|response) (?:is|should|must|will)\b"
    r"|\b(?:the|this) (?:section|text) (?:provided|given|above|below)\b|\bas an ai\b"
    r"|(?:^|\n)[ \t]*(?:[-*•][ \t]*)?(?:\*\*)?(?:this|my|the following|the above) summary\b"
    r"|字数|不超过\s*\d+\s*(?:个)?字|字段|答案格式", re.I)
_QUOTE = re.compile(r"[\"“”„«»「」『』]([^\"“”„«»「」『』\n]{8,400})[\"“”„«»「」『』]")
#: Words too common to show that a text is about its source (for the content-overlap rule).
_STOP = frozenset("""a an the and or but of to in on at by for with from as is are was were be been being this that these
those it its we our they their there here which who what when where how not no nor so than then also such can may
will would should could into over under about between each other more most some any all both only very has have had
do does did done section paper text summary""".split())


def units(text: str) -> list[str]:
    """Words (lower-cased) and numbers; each CJK character is one unit."""
    out: list[str] = []
    for token in _UNIT.findall(text.lower()):
        if HAN_CHAR.search(token):
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


@functools.lru_cache(maxsize=64)
def _our_grams(texts: tuple[str, ...]) -> tuple[frozenset[tuple[str, ...]], frozenset[str]]:
    """The n-grams of our own texts, and those too short for one (as joined units). The same prompt's texts
    come with every call: computed once per prompt set, not per answer."""
    grams: set[tuple[str, ...]] = set()
    short: set[str] = set()
    for text in texts:
        toks = units(text)
        grams |= _ngrams(toks, ECHO_NGRAM)
        if 0 < len(toks) < ECHO_NGRAM:
            short.add(" ".join(toks))
    return frozenset(grams), frozenset(short)


@dataclass
class AnswerContext:
    """What an answer is judged against: our own instruction texts and the data we sent."""

    instructions: list[str]
    source: str
    max_words: int
    descriptions: tuple[str, ...] = ()  # the answer fields' descriptions (also among ``instructions``)
    field_names: tuple[str, ...] = ()  # the answer fields' names
    brief: str = ""  # the paper brief sent beside a section (also in ``source``)
    about_text: bool = True  # the answer is about ``source`` (False: about an image sent with it, a figure's)

    def __post_init__(self) -> None:
        source_units = units(self.source)
        self._source_units = len(source_units)
        self._source_grams = _ngrams(source_units, ECHO_NGRAM)
        self._copy_grams = _ngrams(source_units, COPY_NGRAM)
        self._units = source_units  # the quotation check's trigrams are built only for an answer that quotes
        self._source_content = _content(source_units)
        self._source_script = _script(source_units)
        brief_units = units(self.brief)
        self._brief_grams = _ngrams(brief_units, ECHO_NGRAM)
        # the section's own words: the source less the brief (a summary may share words with both)
        self._section_grams = _ngrams(units(self.source.replace(self.brief, " ")), ECHO_NGRAM) if self.brief \
            else self._source_grams
        self._description_grams = _our_grams(self.descriptions)[0] - self._source_grams
        ours, self._short_instructions = _our_grams(tuple(self.instructions))
        # a run of words that is also in the data is the model quoting the data, not echoing us
        self._instruction_grams = ours - self._source_grams

    @functools.cached_property
    def _quote_grams(self) -> set[tuple[str, ...]]:
        return _ngrams(self._units, 3)

    def min_units(self) -> int:
        """Far too short: under a fifteenth of the asked length and a fifth of the source, capped at 6."""
        return max(2, min(6, self.max_words // 15, self._source_units // 5 or 2))


def _content(tokens: list[str]) -> set[str]:
    """The units that say what a text is about: words of 3+ letters outside ``_STOP``, numbers, CJK characters."""
    return {t for t in tokens if (len(t) >= 3 and t not in _STOP) or t[0].isdigit() or HAN_CHAR.match(t)}


def _script(tokens: list[str]) -> str:
    """"cjk" when most language units are CJK characters, else "latin" (the content-overlap rule compares
    only texts written in one script: a Chinese summary of an English paper shares few words with it)."""
    wordy = [t for t in tokens if not t[0].isdigit()]
    cjk = sum(1 for t in wordy if HAN_CHAR.match(t))
    return "cjk" if wordy and cjk * 2 >= len(wordy) else "latin"


def format_debris(text: str, source: str = "") -> str:
    """A fragment of the request format left in the answer (markup that is not Markdown's, JSON
    punctuation in prose), or "". Math and code spans are not prose (``$\\frac{a}{b^{2}}$`` closes two
    braces), and brackets the ``source`` itself holds (``[[1, 2], [3, 4]]``, TeX outside dollars) are its
    notation copied, not our format."""
    for m in _MARKUP.finditer(_TAG.sub("", text)):
        name = re.match(r"</?([A-Za-z_][\w-]*)", m.group(0)).group(1).lower()
        if name not in _INLINE_HTML:
            return m.group(0).strip()
    compact_source = _SPACE.sub("", source)
    for m in _JSON_DEBRIS.finditer(_MATH_OR_CODE.sub(" ", text)):
        fragment = m.group(0).strip()
        if _SPACE.sub("", fragment) not in compact_source or _LONE_BRACKET.fullmatch(fragment):  # a line that is
            return fragment  # one bracket is never the source's notation
    return ""


def invented_quote(text: str, ctx: AnswerContext) -> str:
    """A quotation in the answer (4+ words in quote marks) that the source does not contain, or ""."""
    for m in _QUOTE.finditer(text):
        quoted = units(m.group(1))
        if len(quoted) < QUOTE_MIN_UNITS or _wordy(quoted) < QUOTE_MIN_UNITS // 2:
            continue
        if covered_share(quoted, ctx._quote_grams, 3) < QUOTE_FOUND:
            return m.group(1).strip()
    return ""


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
    return _form_problem(text, clean, tokens, ctx)


def _form_problem(text: str, clean: str, tokens: list[str], ctx: AnswerContext) -> str:
    """The rules for garbage a grammar-bound local model writes in well-formed JSON (issue #32)."""
    debris = format_debris(text, ctx.source)
    if debris:
        return f"the answer contained pieces of the request format ({debris[:30]}) instead of a summary"
    meta = _META.search(clean)
    if meta and not _META.search(ctx.source):
        return f"the answer talked about its own instructions ('{meta.group(0)}') instead of the text"
    for line in (ln for ln in clean.splitlines() if ln.strip()):
        line_units = units(line)
        if len(line_units) >= ECHO_NGRAM and covered_share(line_units, ctx._description_grams, ECHO_NGRAM) >= ECHO_SHARE:
            return "the answer repeated a field description from our instructions"
    quote = invented_quote(clean, ctx)
    if quote:
        return f"the answer quoted words the text does not contain ('{quote[:40]}')"
    if ctx._brief_grams and covered_share(tokens, ctx._brief_grams, ECHO_NGRAM) >= BRIEF_COPY \
            and covered_share(tokens, ctx._section_grams, ECHO_NGRAM) < BRIEF_COPY:
        return "the answer copied the paper's brief instead of summarizing this section"
    content = _content(tokens)
    if ctx.about_text and len(content) >= 5 and ctx._source_content and _script(tokens) == ctx._source_script \
            and not content & ctx._source_content:
        return "the answer shares no content word with the text it summarizes"
    return ""


def copies_caption(text: str, caption: str) -> bool:
    """Whether ``text`` is the figure's caption (or a piece of it) copied rather than a description of the image:
    most of its words inside 3-word runs of the caption, or, for a text of one or two words, all of them in it."""
    tokens, said = units(text), units(_FIGURE_LABEL.sub("", caption, count=1))
    if not tokens or not said:
        return False
    if len(tokens) < 3:
        return set(tokens) <= set(said)
    return covered_share(tokens, _ngrams(said, 3), 3) >= CAPTION_COPY


#: A model that was sent no image it could read says so in words ("I cannot see any image", "no image was provided"):
#: a text-only server that drops the image part (llama-cpp-python's built-in chat formats do) answers the text alone.
_NO_IMAGE = re.compile(  # the model saying it has no image: "I" opening a sentence (never "models I-III")
    r"(?:^|[.!?]\s+)(?i:sorry,?\s+|unfortunately,?\s+)?I(?:'m| am)?\b(?i:[^.]{0,30}?\b(?:can ?not|can't|cannot|unable to"
    r"|not able to|do not|don't|have no|lack)\b[^.]{0,40}?\b(?:images?|figures?|pictures?|attachments?|visual))\b"
    r"|(?i:\bno (?:image|figure|picture|attachment)s? (?:was |were |is |has been )?(?:provided|attached|given|included|"
    r"uploaded|visible|here|in (?:the|your|this) (?:message|request))\b)")


def says_no_image(text: str) -> bool:
    """Whether an answer about an image says the model had none to look at (it was not sent one it could read)."""
    return bool(_NO_IMAGE.search(text or ""))


_FIGURE_LABEL = re.compile(r"^\s*(?:fig(?:ure)?\.?|图)\s*[0-9A-Za-z.]*\s*[:.：]?\s*", re.I)


def description_problem(text: str, caption: str, max_words: int = FIGURE_MAX_WORDS) -> str:
    """What makes ``text`` no one-line description of a figure captioned ``caption``, or "": more than one
    sentence, more than ``max_words`` words, or the caption copied."""
    clean = " ".join(strip_delimiters(text).split())
    if not clean:
        return "the description was empty"
    if copies_caption(clean, caption):
        return "the description copied the figure's caption instead of saying what the image shows"
    if len(split_sentences(clean, "zh" if cjk_share(clean) > 0.3 else "en")) > 1:
        return "the description was more than one sentence"
    words = reading_length(clean)
    if words > max_words:
        return f"the description was {words} words long, more than {max_words}"
    return ""


def garbage_item(fields: dict, ctx: AnswerContext) -> str:
    """The name of a list field with an item that is no answer: a field name of ours, a lone bracket or
    other item without a word, or the same items written twice; or ""."""
    names = {" ".join(units(n)) for n in ctx.field_names}
    for name, value in fields.items():
        if not isinstance(value, list) or not value:
            continue
        keys = [" ".join(units(str(item))) for item in value]
        if any(not _wordy(units(str(item))) or k in names for item, k in zip(value, keys)):
            return str(name)
        if len(keys) >= 4 and sum(c - 1 for c in Counter(keys).values()) * 2 >= len(keys):
            return str(name)
    return ""


def echoed_item(fields: dict, ctx: AnswerContext) -> str:
    """The name of a list field with an item that is our own instruction text ("at most 90 words."), or
    talks about it as a summary may not (``_META``: "1: at most 108 words; 2: method, main results"), or "".
    The summary itself is judged by ``answer_problem``; a list's short items are judged here."""
    for name, value in fields.items():
        for item in value if isinstance(value, list) else []:
            tokens = units(str(item))
            if tokens and (" ".join(tokens) in ctx._short_instructions
                           or covered_share(tokens, ctx._instruction_grams, ECHO_NGRAM) >= ECHO_SHARE
                           or (_META.search(str(item)) and not _META.search(ctx.source))):  # "1: at most 108 words"
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
