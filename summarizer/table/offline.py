"""Offline cells (no key, no network): each cell is the paper's best matching sentence for the column, quoted
whole and cited with its section and page, or "not reported" when no sentence holds the column's own words.

The match: BM25 over the paper's sentences with the column's name, description and cue words as the query,
first among the sentences of the sections where such an answer is written (``Column.kinds``: a research question
in the abstract or introduction), then, when none of those holds it, the whole paper; for a numeric column only
sentences with a number. A sentence counts as holding the answer only when it has one of the
column's cue words or a third (IDF-weighted) of its description's terms (or, for a numeric column, is a sentence
with a number in the sections where results are written); anything less is "not reported", never the nearest
unrelated sentence."""

from __future__ import annotations

from summarizer.table.columns import Column
from summarizer.table.model import Cell, CellStatus, Method
from summarizer.table.papers import PaperIndex
from summarizer.text.retrieval import question_terms
from summarizer.text.terms import terms
from summarizer.verify.faithfulness import numbers_in

#: The least IDF-weighted share of the description's terms a sentence without a cue word must hold.
MIN_DESCRIPTION_COVER = 1 / 3
#: Sentences looked at, best first, for one that passes.
CANDIDATES = 20


def column_query(column: Column, lang: str) -> tuple[list[str], list[tuple[str, ...]]]:
    """(the description's terms with the name's, the cue phrases as term tuples)."""
    own = question_terms(f"{column.name}. {column.description}", lang)
    cues = [tuple(t) for t in (terms(c, lang) for c in column.cues) if t]
    return own, cues


def offline_cell(index: PaperIndex, column: Column) -> Cell:
    """The column's cell for one paper, quoted from it."""
    own, cues = column_query(column, index.language)
    query = own + [t for cue in cues for t in cue]
    if not query or not index.sentences:
        return Cell(column.key, CellStatus.NOT_REPORTED, method=Method.QUOTE, note="the paper has no sentence to search")
    scores = index.bm25.scores(query)
    ranked = sorted(scores.items(), key=lambda kv: -kv[1])
    where = [kinds for kinds in (set(column.kinds), None) if kinds != set()]
    for kinds in where:  # the sections where the answer is written, then anywhere
        tier = [i for i, _ in ranked if kinds is None or index.sentences[i].kind in kinds]
        if column.numeric and kinds is not None:  # then, in reading order, those sharing no word with the column
            tier += [i for i, s in enumerate(index.sentences) if i not in scores and s.kind in kinds]
        tier = tier[:CANDIDATES]
        for i in tier:
            sentence, bag = index.sentences[i], index.bags[i]
            if column.numeric and not numbers_in(sentence.text):
                continue
            has_cue = any(all(t in bag for t in cue) for cue in cues)
            # in the sections where results are written, a sentence with a number is the numeric column's answer
            counted = column.numeric and kinds is not None
            if has_cue or counted or index.bm25.coverage(own, bag) >= MIN_DESCRIPTION_COVER:
                return Cell(column.key, CellStatus.FOUND, sentence.text, sentence.passage, Method.QUOTE)
    return Cell(column.key, CellStatus.NOT_REPORTED, method=Method.QUOTE,
                note="no sentence of the paper holds this column's words")
