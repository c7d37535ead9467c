"""A paper as the literature table reads it: its identity (a hash of its text, so the same paper uploaded twice
or reopened from History is one row and one cache entry) and its sentences indexed for retrieval, each with the
section and page it is on. Its year and citation key come from its record (``output.citation``)."""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass
from functools import cached_property

from summarizer.model.document import Document
from summarizer.text.retrieval import BM25, Passage, PassageIndex, section_label
from summarizer.text.sentences import block_sentences
from summarizer.text.terms import terms

#: Sections whose sentences never answer a column (the reference list, thanks and funding).
NOT_ANSWERS = frozenset({"references", "acknowledgements"})
#: A sentence shorter than this (in words, or CJK characters / 2) is a heading or a fragment, not an answer.
MIN_SENTENCE_WORDS = 5


def paper_hash(document: Document) -> str:
    """The paper's identity: its text (not its file: the same paper from an upload and from History is one)."""
    return hashlib.sha256(document.text.encode("utf-8", errors="replace")).hexdigest()[:32]


@dataclass(frozen=True)
class Sentence:
    """One sentence of the paper with the passage (section, page) it is in."""

    text: str
    passage: Passage
    kind: str


class PaperIndex:
    """A paper's sentences (for offline cells) and passages (for the model's context), each searchable."""

    def __init__(self, document: Document, summaries: dict[int, str] | None = None) -> None:
        self.document = document
        self.summaries = dict(summaries or {})  # section index -> its summary from an earlier run
        self.language = document.language
        self.sentences: list[Sentence] = []
        for number, section in enumerate(document.sections):
            if section.kind in NOT_ANSWERS or section.kind == "references":
                continue
            label = section_label(section.title)
            for block in section.paragraphs:
                for text, pages in block_sentences(block, self.language):
                    size = len(text) / 2 if self.language == "zh" else len(text.split())
                    if size >= MIN_SENTENCE_WORDS:  # cited with its paragraph, on the sentence's own page
                        page = pages[0] if pages else block.page
                        passage = Passage(len(self.sentences), number, section.title, label, page, block.text)
                        self.sentences.append(Sentence(text, passage, section.kind))
        self.bags = [Counter(terms(s.text, self.language)) for s in self.sentences]
        self.bm25 = BM25(self.bags)

    @cached_property
    def passages(self) -> PassageIndex:
        return PassageIndex(self.document)
