"""Cells from the model: one request per paper answers every column still missing, through the one request
path (``ModelRequests``: budget, call, retries, usage, price). For each column the paper's best passages are
retrieved (BM25 on the column's name, description and cues), numbered and sent as data; the answer names, per
column, its text and the one passage it comes from, in a schema built from the columns.

Each answer is checked before it becomes a cell: the passage it cites must be one that was sent (else the
answer is grounded to the sent passage that holds most of its words, or refused); the summary answers' checks
(echoed instructions, loops, delimiters, no word of the passages) refuse it as an answer; its numbers and names
must be in the cited passage (``check_summary``), or the cell says which are not. "not reported" is a cell of
its own, never a guess. Cells are cached per (paper, column, prompt, model, key): a column added later pays
only for itself."""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections import Counter
from dataclasses import dataclass, replace

from summarizer.ask.qa import ask_problem, delimit_passage
from summarizer.config.settings import Settings
from summarizer.llm.answer_checks import AnswerContext
from summarizer.llm.answers import parse_answer
from summarizer.llm.cache import AnswerCache, key_scope
from summarizer.llm.requests import Call, ModelRequests
from summarizer.model.errors import BackendError, SummarizerError
from summarizer.table.columns import Column
from summarizer.table.model import Cell, CellStatus, Method
from summarizer.table.papers import PaperIndex
from summarizer.text.retrieval import Passage
from summarizer.text.terms import terms
from summarizer.verify.faithfulness import check_summary

log = logging.getLogger(__name__)

#: Passages retrieved per column, and the share of the context window all of a paper's passages may take.
PER_COLUMN = 3
PASSAGE_SHARE = 0.6
PASSAGE_MAX_TOKENS = 6000
#: The share of a paper's earlier section summaries sent with its request, in tokens.
SUMMARY_TOKENS = 1500
#: The least room for passages a request must have (a window smaller than the prompt plus this is refused).
MIN_DATA_TOKENS = 150
#: The least share of an answer's terms a sent passage must hold to be its source when the cited one is not.
GROUND_MIN = 0.5
ANSWER_MAX_CHARS = 400
_NOT_REPORTED = re.compile(r"^\W*(not reported|not stated|not mentioned|not given|n/?a|none|unknown|未报告|未提及|未说明|无)\W*$",
                           re.I)
TYPICAL_CELL_TOKENS = 45  # the estimate's answer size per column


@dataclass
class Prepared:
    """One paper's request: the call, the passages sent (numbered from 1) and the columns it asks."""

    call: Call
    passages: list[Passage]
    columns: list[Column]


def cell_schema(columns: list[Column], bounded: bool = False) -> dict:
    """The answer's schema: per column key, ``{answer, passage}`` (bounded strings for a llama.cpp grammar)."""
    answer: dict = {"type": "string"}
    if bounded:
        answer["maxLength"] = ANSWER_MAX_CHARS
    one = {"type": "object", "properties": {"answer": answer, "passage": {"type": "integer"}},
           "required": ["answer", "passage"], "additionalProperties": False}
    return {"type": "object", "properties": {c.key: one for c in columns}, "required": [c.key for c in columns],
            "additionalProperties": False}


class ModelCells:
    """Fills rows with the model, one request per paper, through ``ModelRequests``."""

    def __init__(self, settings: Settings, cache: AnswerCache | None = None) -> None:
        settings.validate()
        self.settings = settings
        self.requests = ModelRequests(settings)
        self.prompt = self.requests.prompts.get("table")
        window = self.requests.budget_for(self.prompt).context_window
        self.passage_tokens = min(PASSAGE_MAX_TOKENS, int(window * PASSAGE_SHARE))
        self.cache = cache if cache is not None else (AnswerCache() if settings.use_cache else None)
        self._scope = key_scope(settings.api_key)

    # -- cache -------------------------------------------------------------------------------------
    def cache_key(self, paper: str, column: Column) -> str:
        """One cell's key: the paper, the column as asked, the prompt as written, the model and who pays."""
        payload = json.dumps([paper, column.name, column.description, list(column.cues), self.prompt.system,
                              self.prompt.user, self.settings.model, self.settings.host, self._scope,
                              self.settings.language], ensure_ascii=False)
        return "table:" + hashlib.sha256(payload.encode("utf-8")).hexdigest()

    def cached(self, paper: str, columns: list[Column]) -> dict[str, Cell]:
        if self.cache is None:
            return {}
        out = {}
        for column in columns:
            hit = self.cache.get(self.cache_key(paper, column))
            if isinstance(hit, dict):
                try:
                    out[column.key] = Cell.from_json(hit)
                except (KeyError, ValueError):
                    continue
        return out

    # -- request -----------------------------------------------------------------------------------
    def for_paper(self, language: str) -> ModelRequests:
        """The request path for one paper, in the language its cells are written in: the table's client (one
        rate limit, one usage count), prompts and learned context window, its own answer language."""
        requests = ModelRequests(self.requests.settings, self.requests.prompts, client=self.requests.client)
        requests.context_window = self.requests.context_window
        requests.language = self.settings.language_name(language)
        return requests

    def prepare(self, index: PaperIndex, columns: list[Column], requests: ModelRequests | None = None) -> Prepared:
        """The paper's request for ``columns``: each column's best passages (and the paper's earlier section
        summaries), within what the context window leaves after the prompt and the answer's room; a window too
        small for any passage is ``BackendError`` with what to change."""
        requests = requests or self.for_paper(index.document.language)
        listing = "\n".join(f"{c.key}: {c.name}: {c.description}" for c in columns)
        values = {"title": index.document.title, "columns": listing}
        bare = requests.sized(self.prompt, {**values, "passages": "", "section_summaries": "(none)"})
        answer_room = max(self.prompt.max_output_tokens, 120 + 90 * len(columns))
        data_room = bare.room - answer_room
        if data_room < MIN_DATA_TOKENS:
            raise BackendError(f"The model's context window ({requests.context_window} tokens) leaves no room for the "
                               f"paper's passages with {len(columns)} columns; raise the context window or ask fewer "
                               "columns at a time.")
        summaries = self.summaries_text(index, requests, min(SUMMARY_TOKENS, data_room // 3))
        room = min(self.passage_tokens, data_room - requests.tokenizer.count(summaries))
        chosen: list[Passage] = []
        per_column = []
        for column in columns:
            query = " ".join([column.name, column.description, *column.cues])
            per_column.append([hit.passage for hit in index.passages.search(query, k=PER_COLUMN)])
        used = 0
        for rank in range(PER_COLUMN):  # every column's best passage first, then each one's second …
            for hits in per_column:
                if rank < len(hits) and hits[rank] not in chosen:
                    size = requests.tokenizer.count(hits[rank].text) + 12
                    if used + size > room:
                        continue
                    chosen.append(hits[rank])
                    used += size
        chosen.sort(key=lambda p: p.id)  # reading order
        text = "\n\n".join(f"[{n}] {p.citation}\n{delimit_passage(p.text)}" for n, p in enumerate(chosen, 1))
        call = requests.sized(self.prompt, {**values, "passages": text or "(no passages)", "section_summaries": summaries})
        call = replace(call, schema=cell_schema(columns), grammar_schema=cell_schema(columns, bounded=True),
                       max_tokens=min(call.room, answer_room))
        return Prepared(call, chosen, columns)

    def summaries_text(self, index: PaperIndex, requests: ModelRequests, limit: int = 0) -> str:
        """The paper's section summaries from an earlier run (History), within ``SUMMARY_TOKENS``: paid for once,
        they tell the model what each part of the paper says; "(none)" for a paper never summarized."""
        lines, used = [], 0
        for number, summary in sorted(index.summaries.items()):
            if not summary.strip() or number >= len(index.document.sections):
                continue
            line = f"{index.document.sections[number].title}: {' '.join(summary.split())}"
            size = requests.tokenizer.count(line)
            if used + size > (limit or SUMMARY_TOKENS):
                break
            lines.append(line)
            used += size
        return "\n".join(lines) or "(none)"

    def estimate_tokens(self, index: PaperIndex, columns: list[Column]) -> tuple[int, int]:
        """(tokens sent, tokens expected back) for one paper's request."""
        prepared = self.prepare(index, columns)
        return prepared.call.prompt_tokens, TYPICAL_CELL_TOKENS * len(columns)

    def fill(self, paper: str, index: PaperIndex, columns: list[Column]) -> dict[str, Cell]:
        """The paper's cells for ``columns``: cached ones reused, the rest asked in one request; never raises for
        the model's faults (the cells say "failed" with the reason)."""
        cells = self.cached(paper, columns)
        missing = [c for c in columns if c.key not in cells]
        if not missing:
            return cells
        requests = self.for_paper(index.document.language)
        try:
            prepared = self.prepare(index, missing, requests)
            completion = requests.whole_answer(prepared.call, None, None)
        except SummarizerError as exc:
            log.warning("table: %s: %s", index.document.title, exc)
            return {**cells, **{c.key: Cell(c.key, CellStatus.FAILED, method=Method.MODEL, note=str(exc))
                                for c in missing}}
        answer = parse_answer(completion.text, completion.reasoning)
        fields = answer.fields.get("cells") if isinstance(answer.fields.get("cells"), dict) else answer.fields
        context = requests.context_for(prepared.call.prompt, {"section_text": "\n".join(p.text for p in prepared.passages),
                                                                   "title": index.document.title})
        for column in missing:
            cell = self.check(column, fields.get(column.key) if answer.ok else None, prepared, context)
            cells[column.key] = cell
            if self.cache is not None and cell.status != CellStatus.FAILED:
                self.cache.set(self.cache_key(paper, column), cell.as_json())
        return cells

    # -- checks ------------------------------------------------------------------------------------
    def check(self, column: Column, value, prepared: Prepared, context: AnswerContext) -> Cell:
        """The model's answer for one column as a cell, or why it is not one."""
        if isinstance(value, str):  # a bare answer: no passage named
            value = {"answer": value, "passage": None}
        if not isinstance(value, dict):
            return Cell(column.key, CellStatus.FAILED, method=Method.MODEL, note="the model gave no answer for this column")
        text = " ".join(str(value.get("answer") or "").split())
        number = _passage_number(value.get("passage"))
        if not text or _NOT_REPORTED.match(text):
            return Cell(column.key, CellStatus.NOT_REPORTED, method=Method.MODEL, note="the paper's passages do not say")
        problem = ask_problem(text, context)
        if problem:
            return Cell(column.key, CellStatus.FAILED, text, method=Method.MODEL, note=f"the answer failed the checks: {problem}")
        sent = prepared.passages
        passage = sent[number - 1] if number and 1 <= number <= len(sent) else _grounded(text, sent)
        if passage is None:
            return Cell(column.key, CellStatus.FAILED, text, method=Method.MODEL,
                        note="the answer cites no passage that was sent, and none holds its words")
        check = check_summary(text, passage.text)
        unverified = [*check.numbers, *check.names, *check.quotes]
        return Cell(column.key, CellStatus.FOUND, text, passage, Method.MODEL, unverified)

    @property
    def usage(self):
        return self.requests.usage()


def _passage_number(value) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    m = re.search(r"\d+", str(value or ""))
    return int(m.group(0)) if m else None


def _grounded(answer: str, sent: list[Passage]) -> Passage | None:
    """The sent passage holding most of the answer's terms, when it holds at least ``GROUND_MIN`` of them."""
    lang = "zh" if re.search(r"[\u4e00-\u9fff]", answer) else "en"
    wanted = set(terms(answer, lang))
    if not wanted:
        return None
    best, share = None, 0.0
    for passage in sent:
        have = Counter(terms(passage.text, lang))
        s = sum(1 for t in wanted if t in have) / len(wanted)
        if s > share:
            best, share = passage, s
    return best if share >= GROUND_MIN else None

