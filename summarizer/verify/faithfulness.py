"""The faithfulness check: every number, quotation and (cheaply) name in a summary is traced to
its source text; what cannot be traced is reported (field note 13).

Numbers are compared by value, not by spelling: 1,200 = 1200 = 1.2k = 1.2 thousand = 一千二百;
3.5% = 3.5 percent; 2024年3月 = March 2024; 1.2万 = 12,000; "$3.5 million" = 3,500,000.
A number written with less precision matches a more precise source value it rounds from
("1.2 million" ← 1,234,567). Ranges count as their two ends. Number words count as numbers
("three benchmarks" = 3, "two billion" = 2,000,000,000, 三千 = 3000); list enumerators ("1.", "2)",
"①", "（一）") are not claims.

No false alarms: a summary sentence found word for word in its source (an extractive summary is
made of them) is not checked, and a quotation is matched within one sentence of one line, never
across bullets.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from summarizer.model.results import Check
from summarizer.text.language import reading_length

_SCALE_WORDS = {
    "k": 1e3, "thousand": 1e3, "m": 1e6, "mn": 1e6, "million": 1e6, "millions": 1e6, "b": 1e9, "bn": 1e9,
    "billion": 1e9, "billions": 1e9, "trillion": 1e12, "tn": 1e12,
    "千": 1e3, "万": 1e4, "百万": 1e6, "千万": 1e7, "亿": 1e8, "万亿": 1e12,
}
_MONTHS = {m: i for i, m in enumerate(
    "january february march april may june july august september october november december".split(), 1)}
_MONTHS.update({m[:3]: i for m, i in list(_MONTHS.items())})
_MONTHS["sept"] = 9

_ARABIC = re.compile(
    r"(?<![A-Za-z0-9_.])(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)"
    r"(?:\s?(?P<scale>万亿|百万|千万|[千万亿]|(?:thousand|millions?|billions?|trillion|mn|bn|tn|[kKmMbB])(?![A-Za-z])))?"
)
_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_CN_UNITS = {"十": 10, "百": 100, "千": 1000}
_CN_BIG = {"万": 1e4, "亿": 1e8}
_CHINESE = re.compile(r"[零〇一二两三四五六七八九十百千万亿点]{2,}|[十百千万亿]")
_CN_NOT_NUMBERS = ("十分", "万一", "一一", "千万别", "百分之百")
_MONTH_DATE = re.compile(r"\b(jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
                         r"sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?\s+(?=\d)", re.I)
_QUOTE = re.compile(r"“([^“”\n]{3,300})”|\"([^\"\n]{3,300})\"|「([^「」\n]{3,300})」|『([^『』\n]{3,300})』")
_ENUMERATOR = re.compile(r"^([ \t]*(?:[-*+•][ \t]+)?)(?:\d{1,2}[.)、](?=\s|$)|[(（]\d{1,2}[)）]|[(（][一二三四五六七八九十]{1,3}[)）]|"
                         r"[一二三四五六七八九十]{1,3}、|[\u2460-\u2473\u2474-\u2487\u2488-\u249b\u2776-\u277f])", re.M)
_UNITS = {w: i for i, w in enumerate("zero one two three four five six seven eight nine ten eleven twelve thirteen "
                                     "fourteen fifteen sixteen seventeen eighteen nineteen".split())}
_TENS = {w: 10 * i for i, w in enumerate("_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()) if i > 1}
_BIG_WORDS = {"thousand": 1e3, "million": 1e6, "billion": 1e9, "trillion": 1e12}
_WORD = r"(?:" + "|".join(sorted([*_UNITS, *_TENS, "hundred", "dozen", *_BIG_WORDS], key=len, reverse=True)) + r")s?"
_NUMBER_WORDS = re.compile(rf"\b{_WORD}(?:(?:[ \t]+|-)(?:and[ \t]+)?{_WORD})*\b", re.I)
# after a sentence's end mark and any closing quotation mark or bracket that belongs to it
_SENTENCE_END = re.compile(r"(?<=[.;!?][\"”’)\]」』])(?=\s)|(?<=[.;!?])(?=\s)|(?<=[。！？；][”’）」』])|"
                           r"(?<=[。！？；])(?![”’）」』])")
_NAME = re.compile(r"(?<![.!?:]\s)(?<!^)\b([A-Z][a-z]+(?:[ \t]+[A-Z][a-z]+)*)")
_COMMON = frozenset("""The This That These Those It Its In On At For From With And But Or Not No Yes We Our They Their
He She His Her A An As By To Of Key Headline Summary Contributions Method Results Limitations Who Quote Note
TL DR Overall Part Section Figure Table Abstract Introduction Conclusion Discussion Monday Tuesday Wednesday
Thursday Friday Saturday Sunday January February March April May June July August September October November
December""".split())


@dataclass(frozen=True)
class NumberMention:
    """A number as written, with the values it may stand for: (value, precision step) pairs.

    "3.5 million" stands for 3,500,000 (step 100,000); an ambiguous "100m" for 100,000,000 or
    for 100 (metres), so both are kept. ``plain`` counts the pairs the text may mean; those after
    them are the digits read without their scale word (the 1.2 of "1.2万", the 2 of "two
    billion"), which a summary may copy but not round.
    """

    text: str
    candidates: tuple[tuple[float, float], ...]
    plain: int = 99


def chinese_to_number(text: str) -> float | None:
    """一千二百 → 1200, 三点五 → 3.5, 两万 → 20000, 十二 → 12; None when it is not a number."""
    if "点" in text:
        whole, _, frac = text.partition("点")
        w = chinese_to_number(whole) if whole else 0.0
        if w is None or not frac or any(c not in _CN_DIGITS for c in frac):
            return None
        return w + float("0." + "".join(str(_CN_DIGITS[c]) for c in frac))
    if all(c in _CN_DIGITS for c in text):
        return float("".join(str(_CN_DIGITS[c]) for c in text)) if len(text) > 1 else float(_CN_DIGITS[text])
    total, section, digit = 0.0, 0.0, None
    for ch in text:
        if ch in _CN_DIGITS:
            digit = _CN_DIGITS[ch]
        elif ch in _CN_UNITS:
            section += (digit if digit is not None else 1) * _CN_UNITS[ch]
            digit = None
        elif ch in _CN_BIG:
            section += digit or 0
            total = (total + section) * _CN_BIG[ch] if ch == "亿" else total + section * _CN_BIG[ch]
            section, digit = 0.0, None
        else:
            return None
    return total + section + (digit or 0)


def _step(number: str) -> float:
    decimals = number.split(".")[1] if "." in number else ""
    return 10.0 ** -len(decimals)


def words_to_number(phrase: str) -> float | None:
    """"three" → 3, "twenty-one" → 21, "two hundred and five" → 205, "two billion" → 2e9; None for
    vague plurals ("hundreds", "dozens") and anything that is not a number."""
    total, current, seen = 0.0, 0.0, False
    for word in re.split(r"[\s-]+", phrase.lower()):
        if word == "and":
            continue
        if word.endswith("s") and word[:-1] in {*_BIG_WORDS, "hundred", "dozen"}:
            return None  # "thousands of people" names no number
        if word in _UNITS:
            current += _UNITS[word]
        elif word in _TENS:
            current += _TENS[word]
        elif word == "hundred":
            current = (current or 1) * 100
        elif word == "dozen":
            current = (current or 1) * 12
        elif word in _BIG_WORDS:
            total += (current or 1) * _BIG_WORDS[word]
            current = 0.0
        else:
            return None
        seen = True
    return total + current if seen else None


def _word_mentions(text: str) -> list[NumberMention]:
    found = []
    for m in _NUMBER_WORDS.finditer(text):
        phrase = m.group(0)
        if re.search(r"\d[\d,.]*\s*$", text[max(0, m.start() - 24):m.start()]):
            continue  # "3.5 million": the scale of a number in digits, read with it
        value = words_to_number(phrase)
        if value is None:
            continue
        bigs = [v for w, v in _BIG_WORDS.items() if w in phrase.lower()]
        step = min(bigs) if bigs else 1.0
        candidates = ((value, step),) + (((value / step, 1.0),) if bigs else ())
        found.append(NumberMention(phrase, candidates, plain=1))
    return found


def _without_enumerators(text: str) -> str:
    """List markers ("1.", "2)", "①", "（一）", "一、") blanked: they count items, they claim nothing."""
    return _ENUMERATOR.sub(lambda m: m.group(1) + " " * (len(m.group(0)) - len(m.group(1))), text)


def numbers_in(text: str) -> list[NumberMention]:
    """Every number written in ``text`` (digits, Chinese numerals, English number words), with the
    values it may stand for; list enumerators are not numbers."""
    text = _without_enumerators(text)
    found: list[NumberMention] = _word_mentions(text)
    for m in _ARABIC.finditer(text):
        raw = m.group("num").replace(",", "")
        value, step = float(raw), _step(raw)
        word = (m.group("scale") or "").strip()
        scale = _SCALE_WORDS.get(word.lower(), _SCALE_WORDS.get(word, 1.0)) if word else 1.0
        if word and len(word) == 1 and word.lower() in "kmb":
            attached = m.end("num") == m.start("scale")
            currency = bool(re.search(r"[$£€¥]\s*$", text[max(0, m.start() - 2):m.start()]))
            if not attached or (word.lower() == "m" and not currency):
                found.append(NumberMention(m.group("num"), ((value * scale, step * scale), (value, step))))
                continue
        candidates = ((value * scale, step * scale),) if scale != 1.0 else ((value, step),)
        if scale != 1.0:
            candidates += ((value, step),)  # "1.2万" also matches a source that writes "1.2"
        found.append(NumberMention(m.group(0).strip(), candidates, plain=1))
    for m in _CHINESE.finditer(text):
        chunk, start = m.group(0), m.start()
        if any(text.startswith(w, start) for w in _CN_NOT_NUMBERS) or (start > 0 and text[start - 1].isdigit()):
            continue
        if len(chunk) == 1 and chunk in _CN_BIG:
            continue  # 万/亿 after Arabic digits is a scale, handled above
        value = chinese_to_number(chunk)
        if value is not None:
            step = 0.1 ** len(chunk.split("点")[1]) if "点" in chunk else 1.0
            found.append(NumberMention(chunk, ((value, step),)))
    for m in _MONTH_DATE.finditer(text):
        month = _MONTHS.get(m.group(1).lower().rstrip("."))
        if month:
            found.append(NumberMention(m.group(1), ((float(month), 1.0),)))
    return found


#: What a number right after it is the label of, not a value: "Table 2", "Section 3", "Eq. 4", "[12]".
REFERENCE = re.compile(r"(?:section|sec\.|table|fig\.?|figure|eq\.?|equation|ref\.?|\[)\s*$", re.I)


def written_in(number: str, text: str) -> bool:
    """``number`` stands in ``text`` as written: not rounded, not the start of a longer number ("0.8" is not in
    "0.81"), not a reference's label ("Section 2")."""
    for m in re.finditer(rf"(?<![\d.]){re.escape(number)}(?!\.?\d)", text):
        if not REFERENCE.search(text[max(0, m.start() - 12):m.start()]):
            return True
    return False


def _traceable(mention: NumberMention, source_values: list[tuple[float, bool]]) -> bool:
    """True when some value the mention may stand for equals a source value, or is that value
    rounded to the precision the summary wrote it with. A source value read without its scale word
    (the "1.2" of "1.2万", the "2" of "two billion") matches only when written the same: rounding
    across a dropped scale word would let a bare "67" pass for the source's "66.9万"."""
    for value, step in mention.candidates:
        for src, reading in source_values:
            slack = 1e-9 * max(1.0, abs(src))
            if abs(value - src) <= (slack if reading else step / 2 + slack):
                return True
    return False


def _normalise(text: str) -> str:
    text = text.replace("’", "'").replace("‘", "'").lower()
    return re.sub(r"[\s\"“”「」『』]+", " ", text).strip()


def _squash(text: str) -> str:
    """Text without whitespace and Markdown emphasis, for word-for-word comparison."""
    return re.sub(r"[\s*_`]+", "", text)


def _unverbatim(summary: str, source: str) -> str:
    """The sentences of ``summary`` that are not found word for word in ``source``, one per line
    (bullet markers off), so that no quotation can pair across a sentence or a bullet."""
    flat = _squash(source)
    kept = []
    for line in summary.splitlines():
        line = re.sub(r"^\s*(?:[-*+•>]|#+)\s+", "", line)
        for sentence in _SENTENCE_END.split(line):
            sentence = sentence.strip()
            if sentence and _squash(sentence) not in flat:
                kept.append(sentence)
    return "\n".join(kept)


#: Number words too common to be a claim on their own ("one of the", "the two methods" stay checked).
_NOT_CLAIMS = {"one"}


def check_summary(summary: str, source: str) -> Check:
    """Numbers, quotations and names in ``summary`` that ``source`` does not contain."""
    summary = _unverbatim(summary, source)
    result = Check()
    if not summary:
        return result
    # (value, read without its scale word): such a reading matches only a number written the same
    source_values = [(value, i >= m.plain) for m in numbers_in(source) for i, (value, _) in enumerate(m.candidates)]
    seen: set[str] = set()
    for mention in numbers_in(summary):
        if mention.text in seen or mention.text.lower() in _NOT_CLAIMS:
            continue
        seen.add(mention.text)
        if not _traceable(mention, source_values):
            result.numbers.append(mention.text)
    plain_source = _normalise(source)
    for m in _QUOTE.finditer(summary):
        quote = next(g for g in m.groups() if g is not None).strip()
        words = reading_length(quote)
        if words >= 3 and _normalise(quote).strip(" .,;:") not in plain_source:
            result.quotes.append(quote)
    lowered = source.lower()
    for m in _NAME.finditer(summary):
        for name in _name_parts(m.group(1)):
            if name.lower() not in lowered and name not in result.names:
                result.names.append(name)
    return result


def _name_parts(run: str) -> list[str]:
    """A run of capitalised words cut at common words ("Zoo The boy" after a lost full stop is the
    name "Zoo", not "Zoo The"); a run that starts with a common word, or a short part, is no name."""
    parts, current = [], []
    for word in run.split():
        if word in _COMMON:
            if current:
                parts.append(" ".join(current))
            current = []
        else:
            current.append(word)
    if current:
        parts.append(" ".join(current))
    if run.split()[0] in _COMMON:  # a sentence start ("In Spring", "The Guardian"): not checked, as before
        return []
    return [p for p in parts if len(p) >= 3]


def mark_unverified(markdown: str, check: Check, label: str) -> str:
    """Mark each untraced number in the Markdown with a footnote that says so."""
    if not check.numbers and not check.quotes:
        return markdown
    out = markdown
    notes = []
    for n, item in enumerate(check.numbers + check.quotes, 1):
        tag = f"[^{label}-{n}]"
        idx = out.find(item)
        if idx >= 0:
            end = idx + len(item)
            while end < len(out) and out[end] in "%‰”\"」』":
                end += 1  # after "97.3%" or a closing quotation mark, not inside it
            out = out[:end] + tag + out[end:]
        kind = "number" if n <= len(check.numbers) else "quotation"
        notes.append(f"{tag}: this {kind} was not found in the source text — check it.")
    return out + "\n\n" + "\n".join(notes)
