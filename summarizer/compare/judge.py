"""The automatic judge (``summarizer judge A B --model M``): for each document both runs summarized, a judge
model reads the document and the two summaries and says which is more faithful and more useful, by the
``judge`` prompt's rubric (JSON5, editable like the others). Each pair is asked in both orders, to cancel
the judge's position bias: a side wins only when both orders name it, anything else is a tie. Its reasons are
kept per document, its cost is estimated before it runs, and its verdicts can be set against people's
ratings (Cohen's kappa, ``ratings.cohen_kappa``). Every request goes through the one request path
(``ModelRequests``: budget, call, usage and price; verdicts are not cached, a re-run asks again)."""

from __future__ import annotations

import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from summarizer.compare.ratings import TIE, A, B
from summarizer.compare.runs import RunDocument
from summarizer.config.prices import cost_usd
from summarizer.config.settings import Settings
from summarizer.llm.answers import parse_answer
from summarizer.llm.requests import Call, ModelRequests
from summarizer.model.errors import InputError, SummarizerError

log = logging.getLogger(__name__)
#: The document's share of the judge's context window (the rest: rubric, two summaries, the answer).
DOCUMENT_SHARE = 0.5
DOCUMENT_MAX_TOKENS = 12_000
CUT_NOTE = "\n[The document goes on beyond this point; a claim about the rest is not thereby invented.]"
TYPICAL_ANSWER_TOKENS = 150  # the estimate's answer size (the bound is the prompt's max_output_tokens)
_CHOICES = {"1": 1, "summary 1": 1, "2": 2, "summary 2": 2, "tie": 0, "equal": 0, "same": 0, "both": 0, "neither": 0}


@dataclass
class Verdict:
    """The judge's word on one document: the winning run (a, b or tie), each order's pick, its reasons."""

    id: str
    winner: str
    picks: list[str] = field(default_factory=list)  # per order asked (a-first, then b-first): a, b, tie or ""
    reasons: list[str] = field(default_factory=list)
    error: str = ""

    def as_json(self) -> dict:
        return {"id": self.id, "winner": self.winner, "picks": self.picks, "reasons": self.reasons, "error": self.error}


@dataclass
class Estimate:
    requests: int
    tokens_in: int
    tokens_out: int
    cost_usd: float | None


class Judge:
    """A judge model over pairs of summaries."""

    def __init__(self, settings: Settings) -> None:
        settings.validate()
        self.settings = settings
        self.requests = ModelRequests(settings)
        self.prompt = self.requests.prompts.get("judge")
        window = self.requests.budget_for(self.prompt).context_window
        self.document_tokens = min(DOCUMENT_MAX_TOKENS, int(window * DOCUMENT_SHARE))
        self._documents: dict[str, str] = {}  # per document id, the text as cut to fit (estimate and both orders)

    def document(self, first: RunDocument, second: RunDocument) -> str:
        """The document the judge reads: cut to its share of the window, and marked where it was cut."""
        if first.id not in self._documents:
            text = first.text or second.text
            if not text.strip():
                raise InputError(f"'{first.id}' has no document text in either run (batch it again with this version).")
            cut = self.requests.fit_text(text, self.document_tokens)
            # the judge is told, or it counts claims from the rest as invented
            self._documents[first.id] = cut + CUT_NOTE if len(cut) < len(text) else cut
        return self._documents[first.id]

    def call(self, first: RunDocument, second: RunDocument) -> Call:
        return self.requests.sized(self.prompt, {"title": first.title, "document": self.document(first, second),
                                                 "summary_1": first.summary, "summary_2": second.summary})

    def estimate(self, pairs: list[tuple[RunDocument, RunDocument]]) -> Estimate:
        """What judging ``pairs`` will send (both orders), and its cost at the judge model's price; a pair with
        no document text is not asked (its verdict says why)."""
        tokens_in = asked = 0
        for a, b in pairs:
            try:
                tokens_in += 2 * self.call(a, b).prompt_tokens
                asked += 1
            except InputError:
                continue
        tokens_out = 2 * asked * TYPICAL_ANSWER_TOKENS
        return Estimate(2 * asked, tokens_in, tokens_out, cost_usd(tokens_in, tokens_out, self.settings.price))

    def verdict(self, a: RunDocument, b: RunDocument) -> Verdict:
        picks, reasons = [], []
        try:
            for first, second, side_of in ((a, b, {1: A, 2: B}), (b, a, {1: B, 2: A})):
                choice, reason = self._ask(first, second)
                picks.append(TIE if choice == 0 else side_of[choice] if choice else "")
                reasons.append(reason)
        except SummarizerError as exc:
            return Verdict(a.id, "", picks, reasons, str(exc))
        if "" in picks:
            return Verdict(a.id, "", picks, reasons, "The judge's answer named no winner.")
        return Verdict(a.id, picks[0] if picks[0] == picks[1] else TIE, picks, reasons)

    def _ask(self, first: RunDocument, second: RunDocument) -> tuple[int | None, str]:
        completion = self.requests.whole_answer(self.call(first, second), None, None)
        answer = parse_answer(completion.text, completion.reasoning)
        raw = str(answer.fields.get("winner", "")).strip().casefold().strip(".")
        return _CHOICES.get(raw), str(answer.fields.get("reasoning") or answer.reasoning or "").strip()

    def judge_all(self, pairs: list[tuple[RunDocument, RunDocument]], on_verdict=None) -> list[Verdict]:
        """Every pair, ``settings.workers`` at a time; ``on_verdict(verdict, done, total)`` as each ends, one at
        a time (the caller writes each verdict as it comes: a run cut short keeps what it paid for)."""
        lock = threading.Lock()
        done = [0]

        def one(pair: tuple[RunDocument, RunDocument]) -> Verdict:
            verdict = self.verdict(*pair)
            with lock:
                done[0] += 1
                if on_verdict:
                    on_verdict(verdict, done[0], len(pairs))
            return verdict

        with ThreadPoolExecutor(max_workers=max(1, self.settings.workers), thread_name_prefix="judge") as pool:
            ordered = list(pool.map(one, pairs))
        return ordered

    @property
    def usage(self):
        return self.requests.usage()
