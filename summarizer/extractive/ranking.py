"""The built-in extractive summarizer: position-biased graph ranking over sentence similarity.

For each text we split sentences (``sentences.split_sentences``), weight terms by TF-IDF over the
text's own sentences, build a cosine-similarity graph and rank sentences with PageRank whose
teleport vector favours early sentences (authors and journalists front-load their point).
The score is then shaped by a length prior (fragments and run-ons are poor summary sentences)
and redundancy is removed with maximal marginal relevance. Selected sentences keep their
original order so the summary reads like the source.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING

from summarizer.text.language import HAN
from summarizer.text.sentences import split_sentences
from summarizer.text.terms import terms

if TYPE_CHECKING:  # numpy is imported where a large graph needs it: news and short texts never load it (~0.1-0.25 s)
    import numpy as np

#: Graphs of at most this many sentences (a news article, most sections) are ranked in pure Python:
#: ~10-30 ms, against ~0.1 s (up to 0.25 s on a busy machine) to import numpy in a one-shot run.
SMALL_GRAPH = 60

_CJK_RUN = re.compile(f"[{HAN}]+")
_SENTENCE_END = re.compile(r"[.?!。？！；…][\"'”’」』)\]）】]*$")
#: A piece that cannot start a sentence: punctuation, a closing bracket, an enumerator's tail. A
#: lower-case first letter says the same, but only in cased text (``_LOWER_START``, checked apart):
#: lower-cased corpora (PubMed abstracts, OCR output) start every sentence in lower case.
_CONTINUATION = re.compile(r"^[,;:)\]}，、；：）】」』]|^\d+[)\]]")
_LOWER_START = re.compile(r"^[a-z]")
_STARTS_WELL = re.compile(r"^[\"'“‘(\[（「『]?[A-Z0-9\u3400-\u4dbf\u4e00-\u9fff]")
_CITATION = re.compile(r"\s*\[[\d,\s–-]+\]")
#: A list item's or an equation's number before its text ("2. Run the tests.", "(4) verify …",
#: "（3）JCR分区…", "iv) …"): out of its list it tells the reader nothing, so a summary drops it.
_LEADING_ENUMERATOR = re.compile(r"^(?:[(（](?:\d{1,3}|[ivx]{1,4}|[a-z]|[一二三四五六七八九十]{1,3})[)）]"
                                 r"|(?:\d{1,3}|[ivx]{1,4}|[a-z])[.)](?=\s|[\u3400-\u4dbf\u4e00-\u9fff]))\s*")
#: Smallest whole sentence offered as a bullet: words (English), CJK characters (Chinese).
MIN_SENTENCE = {"en": 5, "zh": 10}
#: A sentence whose letters are below this share of its visible characters is code, a table
#: row or an equation, not prose.
MIN_LETTER_SHARE = 0.6


@dataclass(frozen=True)
class RankedSentence:
    index: int
    text: str
    score: float


def sentence_size(sentence: str, lang: str) -> int:
    """Length in words (English) or characters (Chinese)."""
    if lang == "zh":
        return len(re.sub(r"\s", "", sentence))
    return len(sentence.split())


def _length_prior(size: int, lang: str) -> float:
    lo, ideal, hi = (12, 40, 120) if lang == "zh" else (8, 25, 60)
    if size < lo:
        return 0.25 + 0.75 * size / lo * 0.5
    if size <= hi:
        return 1.0 - 0.15 * abs(size - ideal) / (hi - lo)
    return max(0.4, 1.0 - (size - hi) / hi)


def _similarity(bags: list[Counter], idf: dict[str, float]) -> np.ndarray:
    import numpy as np

    vocab = {t: i for i, t in enumerate(idf)}
    mat = np.zeros((len(bags), len(vocab)))
    for row, bag in enumerate(bags):
        for term, count in bag.items():
            mat[row, vocab[term]] = (1 + math.log(count)) * idf[term]
    norms = np.linalg.norm(mat, axis=1)
    norms[norms == 0] = 1.0
    mat /= norms[:, None]
    sim = mat @ mat.T
    np.fill_diagonal(sim, 0.0)
    return sim


def _pagerank(sim: np.ndarray, teleport: np.ndarray, damping: float = 0.85, iters: int = 60) -> np.ndarray:
    import numpy as np

    n = sim.shape[0]
    row_sums = sim.sum(axis=1)
    trans = np.where(row_sums[:, None] > 0, sim / np.where(row_sums == 0, 1, row_sums)[:, None], 1.0 / n)
    score = np.full(n, 1.0 / n)
    for _ in range(iters):
        new = (1 - damping) * teleport + damping * trans.T @ score
        if np.abs(new - score).sum() < 1e-9:
            return new
        score = new
    return score


def unit_vectors(bags: list[Counter], idf: dict[str, float]) -> list[dict[str, float]]:
    """Each sentence's TF-IDF vector (log-scaled term counts), of length 1: dot products are cosines."""
    vectors = []
    for bag in bags:
        v = {t: (1 + math.log(c)) * idf[t] for t, c in bag.items()}
        norm = math.sqrt(sum(x * x for x in v.values())) or 1.0
        vectors.append({t: x / norm for t, x in v.items()})
    return vectors


def _centrality_small(bags: list[Counter], idf: dict[str, float], teleport: list[float], damping: float = 0.85,
                      iters: int = 60) -> list[float]:
    """``_pagerank(_similarity(...))`` in pure Python, over the graph's non-zero edges only."""
    vectors = unit_vectors(bags, idf)
    n = len(vectors)
    edges: list[dict[int, float]] = [{} for _ in range(n)]
    for i in range(n):
        vi = vectors[i]
        for j in range(i + 1, n):
            a, b = (vi, vectors[j]) if len(vi) <= len(vectors[j]) else (vectors[j], vi)
            w = sum(x * b[t] for t, x in a.items() if t in b)
            if w:
                edges[i][j] = edges[j][i] = w
    sums = [sum(row.values()) for row in edges]
    score = [1.0 / n] * n
    for _ in range(iters):
        dangling = sum(score[i] for i in range(n) if sums[i] <= 0) / n  # rows with no edge spread evenly
        new = [(1 - damping) * teleport[j] + damping * dangling for j in range(n)]
        for i in range(n):
            if sums[i] > 0:
                share = damping * score[i] / sums[i]
                for j, w in edges[i].items():
                    new[j] += share * w
        if sum(abs(x - y) for x, y in zip(new, score)) < 1e-9:
            return new
        score = new
    return score


def rank_sentences(sentences: list[str], lang: str = "en", position_bias: float = 1.0) -> list[RankedSentence]:
    """Score every sentence; higher is more central, earlier and well-formed. A graph of up to
    ``SMALL_GRAPH`` sentences is ranked in pure Python, a larger one with numpy (the same scores,
    to rounding)."""
    n = len(sentences)
    if n == 0:
        return []
    bags = [Counter(terms(s, lang)) for s in sentences]
    df: Counter = Counter()
    for bag in bags:
        df.update(bag.keys())
    idf = {t: math.log((n + 1) / (c + 0.5)) for t, c in df.items()}
    teleport = [1.0 / (1.0 + i) ** position_bias for i in range(n)]
    total = sum(teleport)
    teleport = [t / total for t in teleport]
    if not idf:
        centrality = teleport
    elif n <= SMALL_GRAPH:
        centrality = _centrality_small(bags, idf, teleport)
    else:
        import numpy as np

        centrality = _pagerank(_similarity(bags, idf), np.array(teleport)).tolist()
    top = max(centrality)
    return [RankedSentence(i, s, c / top * _length_prior(sentence_size(s, lang), lang))
            for i, (s, c) in enumerate(zip(sentences, centrality))]


def select(ranked: list[RankedSentence], budget: int, lang: str, redundancy: float = 0.6) -> list[RankedSentence]:
    """Pick sentences by score until ``budget`` (words, or characters for Chinese) is reached,
    skipping any too similar to one already chosen. Returned in document order."""
    chosen: list[RankedSentence] = []
    chosen_terms: list[set[str]] = []
    used = 0
    for cand in sorted(ranked, key=lambda r: -r.score):
        if used >= budget:
            break
        cand_terms = set(terms(cand.text, lang))
        if any(cand_terms and len(cand_terms & t) / len(cand_terms) > redundancy for t in chosen_terms):
            continue
        chosen.append(cand)
        chosen_terms.append(cand_terms)
        used += sentence_size(cand.text, lang)
    return sorted(chosen, key=lambda r: r.index)


_PAIRS = ("()", "[]", "（）", "{}")
#: What comes before the ")" of an inline enumerator ("are: 1) we show …; 2) we prove …", "a) …",
#: "iv) …", tokenized "1 )"): a short number, a letter or a roman numeral after a space or a clause mark.
_ENUMERATOR_BEFORE = re.compile(r"(?:^|[\s;:,])(?:\d{1,2}|[A-Za-z]|[ivx]{2,4})\s?$")


def _balanced(text: str) -> bool:
    """Every bracket closed, and none closed that was not opened, but for the ")" of an inline
    enumerator that nothing opened ("1) … 2) …"; the ")" of "(Table 1)" closes its "(")."""
    for a, b in _PAIRS:
        if b not in text:
            if a in text:
                return False
            continue
        if a in "(（":
            depth = 0
            for i, ch in enumerate(text):
                if ch == a:
                    depth += 1
                elif ch == b:
                    if depth:
                        depth -= 1
                    elif not _ENUMERATOR_BEFORE.search(text, 0, i):
                        return False
            if depth:
                return False
        elif text.count(a) != text.count(b):
            return False
    return True


#: How many following pieces may close a bracket a sentence left open (the splitter cut inside a
#: parenthesis, e.g. after "et al." or "Fig."); a bracket none of them closes was never closed
#: (damaged or cut text), and gluing the rest of the paragraph to it would make one giant sentence.
BRACKET_REACH = 3


def _closes(before: str, piece: str) -> bool:
    """True when ``piece`` closes a bracket ``before`` left open."""
    return any(before.count(a) > before.count(b) and piece.count(b) > piece.count(a) for a, b in _PAIRS)


def _continues(piece: str, cased: bool) -> bool:
    """True when ``piece`` starts like the rest of a sentence, not like a new one."""
    return bool(_CONTINUATION.match(piece) or (cased and _LOWER_START.match(piece)))


def repaired_sentences(text: str, lang: str = "en") -> list[str]:
    """Sentences of ``text``, paragraph by paragraph, with pieces the splitter cut off rejoined:
    a piece that starts like a continuation (lower case in cased text, a comma, a closing bracket),
    follows a piece with no final punctuation, or comes before the closing of a bracket the sentence
    left open (within ``BRACKET_REACH`` pieces) belongs to the sentence before it."""
    glue = "" if lang == "zh" else " "
    cased = _cased_text(text)
    out: list[str] = []
    for paragraph in re.split(r"\n\s*\n", text):
        merged: list[str] = []
        pieces = split_sentences(paragraph, lang)
        for i, piece in enumerate(pieces):
            if merged and (_continues(piece, cased) or not _SENTENCE_END.search(merged[-1])
                           or any(_closes(merged[-1], later) for later in pieces[i:i + BRACKET_REACH])):
                merged[-1] = merged[-1] + glue + piece
            else:
                merged.append(piece)
        out.extend(merged)
    return out


def whole_sentence(sentence: str, lang: str = "en", cased: bool = True) -> bool:
    """True for a sentence a reader can take alone: it starts like a sentence, ends with
    sentence-final punctuation, has its brackets closed, is mostly letters, and is not tiny."""
    text = _LEADING_ENUMERATOR.sub("", _CITATION.sub("", sentence).strip())
    if not text or not _SENTENCE_END.search(text) or not _balanced(text):
        return False
    if _continues(text, cased) or (cased and not _STARTS_WELL.match(text)):
        return False
    chars = [c for c in text if not c.isspace()]
    if sum(c.isalpha() for c in chars) < MIN_LETTER_SHARE * len(chars):
        return False
    cjk = len(_CJK_RUN.findall(text)) and sum(len(r) for r in _CJK_RUN.findall(text))
    if cjk >= 0.3 * len(chars):  # Chinese: a lower-case Latin start is a list item or a code term ("nofont：…")
        return cjk >= MIN_SENTENCE["zh"] and not _LOWER_START.match(text)
    return len(text.split()) >= MIN_SENTENCE["en"]


def _cased(sentences: list[str]) -> bool:
    return _cased_text(" ".join(sentences[:200]))


def _cased_text(text: str) -> bool:
    """False for lower-cased text (more than 99 % of its Latin letters in lower case)."""
    letters = [c for c in text[:20_000] if c.isalpha() and c.isascii()]
    return not letters or sum(c.isupper() for c in letters) / len(letters) > 0.01


def summary_sentences(text: str, lang: str = "en", budget: int | None = None, position_bias: float = 1.0,
                      scale: float = 1.0) -> list[str]:
    """The sentences of an extractive summary of ``text``, in document order, within ``budget``
    words (characters for Chinese). Without a budget the length follows the text: about a fifth
    of it, bounded. Every sentence ranks, but only whole sentences (``whole_sentence``) are chosen."""
    sentences = repaired_sentences(text, lang)
    if not sentences:
        return []
    cased = _cased(sentences)
    eligible = [whole_sentence(s, lang, cased) for s in sentences]
    total = sum(sentence_size(s, lang) for s in sentences)
    if budget is None:
        lo, hi = (80, 300) if lang == "zh" else (40, 160)
        budget = int(min(hi, max(lo, total * 0.2)) * scale)
    if sum(sentence_size(s, lang) for s, ok in zip(sentences, eligible) if ok) <= budget:
        return [_LEADING_ENUMERATOR.sub("", s) for s, ok in zip(sentences, eligible) if ok]
    ranked = [r for r in rank_large(sentences, lang, position_bias) if eligible[r.index]]
    return [_LEADING_ENUMERATOR.sub("", p.text) for p in select(ranked, budget, lang)]


def summarize_text(text: str, lang: str = "en", budget: int | None = None, position_bias: float = 1.0,
                   scale: float = 1.0) -> str:
    """``summary_sentences`` joined into running text."""
    return _join(summary_sentences(text, lang, budget, position_bias, scale), lang)


MAX_GRAPH = 1500  # sentences ranked in one graph; the similarity matrix grows with the square


def rank_large(sentences: list[str], lang: str, position_bias: float = 1.0) -> list[RankedSentence]:
    """``rank_sentences`` for texts of any length: very long texts are ranked in blocks, and the
    best sentences of every block are ranked again together (time and memory stay bounded)."""
    if len(sentences) <= MAX_GRAPH:
        return rank_sentences(sentences, lang, position_bias)
    finalists: list[int] = []
    for start in range(0, len(sentences), MAX_GRAPH):
        block = rank_sentences(sentences[start:start + MAX_GRAPH], lang, position_bias if start == 0 else 0.3)
        keep = max(5, MAX_GRAPH * MAX_GRAPH // len(sentences) // 4)
        finalists += [start + r.index for r in sorted(block, key=lambda r: -r.score)[:keep]]
    finalists = sorted(finalists)[:MAX_GRAPH]
    ranked = rank_sentences([sentences[i] for i in finalists], lang, position_bias)
    return [RankedSentence(finalists[r.index], r.text, r.score) for r in ranked]


def _join(sentences: list[str], lang: str) -> str:
    return ("" if lang == "zh" else " ").join(sentences)
