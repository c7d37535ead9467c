"""Ask the paper: answer a question from the document's own text, citing section and page.

The best passages are retrieved with BM25 (``retrieval.PassageIndex``). With the LLM backend they
are sent, delimited as data inside ``<passages>`` tags, with the ``ask`` prompt, and the answer is
streamed; every citation in it is checked against the passages that were sent. With the extractive
backend (offline, no key) the answer is the best passages' most relevant sentences, quoted and
cited. Both say plainly when the document does not hold the answer, and a follow-up question
keeps the conversation: its retrieval also uses the previous question, and the model sees the
earlier turns.

The model is the one summarize uses: ``LLMBackend`` resolves the settings (a local GGUF model runs
on its loopback llama.cpp server, started or reused; never a hosted endpoint the user did not name),
builds the client and learns the context window. Settings that name no endpoint and hold no key (the
``llm`` backend with the default hosted URL and no key) answer offline instead of contacting anyone.
A model's answer passes the summary answers' checks (``answer_checks``: echoed instructions, loops,
delimiters, request-format debris, invented quotations, no word of the passages) and cites only
passages that were sent; one that fails is not an answer (``Turn.problem``), whatever it says.
"""

from __future__ import annotations

import logging
import queue
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field

from summarizer.ask.answer_types import WHAT, WHAT_ZH, AnswerType, cue_terms, question_type, states
from summarizer.config.prices import cost_usd
from summarizer.config.settings import DEFAULT_BASE_URL, Settings
from summarizer.llm.answer_checks import AnswerContext, answer_problem
from summarizer.llm.answers import parse_answer
from summarizer.llm.requests import Call
from summarizer.model.document import Document
from summarizer.model.errors import BackendError, InputError, SummarizerError
from summarizer.text.retrieval import Hit, Passage, PassageIndex, question_terms
from summarizer.text.sentences import split_sentences
from summarizer.text.terms import terms

log = logging.getLogger(__name__)

#: Asks are answered in plain text; this stands for their answer schema in the cache key.
ASK_SCHEMA = {"type": "text", "role": "ask"}

#: A question longer than this is cut (with a notice) before it is searched or sent.
MAX_QUESTION_TOKENS = 400
#: Passages retrieved per question, and the least share of the question's terms a passage must hold
#: for the extractive answerer to quote it.
TOP_K = 6
QUOTE_MIN_COVERAGE = 0.5
#: In Chinese, the least share of a question's bigrams that must occur in the document at all.
ZH_KNOWN_SHARE = 0.4
#: Earlier turns the model sees, and their token budget.
HISTORY_TURNS = 3
HISTORY_TOKENS = 600
NOT_FOUND_MARK = "NOT_FOUND"
#: Yielded by a stream when the call was retried after part of the answer arrived: start again.
RESTART = "\f"
#: Passages offered as related (never as the answer) when the paper does not say.
RELATED = 2
NOT_FOUND = {"en": "The paper does not say: it does not contain the answer to this question.",
             "zh": "论文中没有找到这个问题的答案。"}
RELATED_LEAD = {"en": "Related passages (they do not answer it):", "zh": "相关段落（并非答案）："}
FAILED = {"en": "No answer: the model's answer failed the checks and was not used",
          "zh": "没有答案：模型的回答未通过检查，未被采用"}
#: A citation in an answer: a section's ("[§3.2, p. 5]") or a table's ("[Table 2, p. 6]").
_CITATION = re.compile(r"\[(?:§|Table\s)[^\[\]]{1,80}?\]")
_CLOSING = re.compile(r"<\s*/?\s*passages\s*>", re.I)
#: ``answer_checks``' shortest-answer rule is a summary's: an answer may be one word ("MIT", "Yes").
_SUMMARY_ONLY = ("the answer was far too short",)
#: The answer length ``AnswerContext`` is given: its "far too short" floor is then 2 words (not applied, above).
CHECK_WORDS = 30
NO_ENDPOINT = ("No API key and no endpoint are set, so the question was answered offline from the paper's own "
               "sentences; nothing was sent anywhere.")


@dataclass
class Turn:
    """One question and its answer, with the passages it cites."""

    question: str
    answer: str = ""
    citations: list[Passage] = field(default_factory=list)
    found: bool = True
    notices: list[str] = field(default_factory=list)
    backend: str = ""
    tokens_in: int = 0
    tokens_out: int = 0
    cost_usd: float | None = None
    #: When the paper does not say: the closest passages, offered as related, never as the answer.
    related: list[Passage] = field(default_factory=list)
    #: Why the model's answer was not used (it failed the answer checks), or "": then ``found`` is False.
    problem: str = ""

    @property
    def pages(self) -> list[int]:
        return sorted({p.page for p in self.citations if p.page})

    def as_json(self) -> dict:
        return {"question": self.question, "answer": self.answer, "found": self.found,
                "citations": [p.as_json() for p in self.citations], "pages": self.pages,
                "related": [p.as_json() for p in self.related],
                "notices": list(self.notices), "backend": self.backend, "problem": self.problem,
                "usage": {"tokens_in": self.tokens_in, "tokens_out": self.tokens_out,
                          "cost_usd": None if self.cost_usd is None else round(self.cost_usd, 6)}}

    @classmethod
    def from_json(cls, data: dict) -> Turn:
        """A turn as ``as_json`` stored it (History keeps the conversation with its run)."""
        usage = data.get("usage") or {}
        return cls(str(data.get("question", "")), str(data.get("answer", "")),
                   [Passage.from_json(p) for p in data.get("citations") or []], bool(data.get("found", True)),
                   list(data.get("notices") or []), str(data.get("backend", "")), int(usage.get("tokens_in") or 0),
                   int(usage.get("tokens_out") or 0), usage.get("cost_usd"),
                   related=[Passage.from_json(p) for p in data.get("related") or []],
                   problem=str(data.get("problem") or ""))


def delimit_passage(text: str) -> str:
    """Passage text is data inside <passages>…</passages>: a tag in it must not end the data early."""
    return _CLOSING.sub(lambda m: m.group(0).replace("<", "‹").replace(">", "›"), text)


class Asker:
    """Answers questions about one document; build once per document (the index is reused)."""

    def __init__(self, document: Document, settings: Settings, index: PassageIndex | None = None,
                 prompts=None, client=None) -> None:
        self.document = document
        self.settings = settings
        self.lang = "zh" if document.language == "zh" else "en"
        self.index = index or PassageIndex(document)
        if not self.index.passages:
            raise InputError("This document has no text layer (or no prose) to answer from; "
                             "if it is a scanned PDF, use the Nougat OCR parser first.")
        self._prompts = prompts
        self._client = client
        self._backend: tuple[str, object] | None = None  # (the settings it was built for, LLMBackend)

    # ---- shared ---------------------------------------------------------------------------
    def offline(self) -> bool:
        """Answer with the quoting answerer: the extractive backend, or an LLM backend that names no
        endpoint and holds no key (it would send the paper to the default hosted endpoint the user never
        chose); a local model file is always used."""
        s = self.settings
        if s.backend != "llm":
            return True
        return not s.is_local and not s.clean_key() and s.base_url.strip().rstrip("/") == DEFAULT_BASE_URL

    def model_backend(self):
        """The ``LLMBackend`` summarize would build from these settings (the local model's server started
        or reused, the client, the context window), built again only when the settings change (the app
        hands the asker its settings anew on every rerun; the endpoint is looked at once, not per question)."""
        import json

        from summarizer.llm.backend import LLMBackend
        from summarizer.llm.cache import key_scope

        built_for = json.dumps([self.settings.to_public_dict(), key_scope(self.settings.clean_key())], sort_keys=True,
                               default=str)
        if self._backend is None or self._backend[0] != built_for:
            backend = LLMBackend(self.settings, prompts=self._prompts, client=self._client)
            self._backend = (built_for, backend)
        return self._backend[1]

    def _tokenizer(self):
        from summarizer.text.tokens import tokenizer_for_model

        return tokenizer_for_model(self.settings.model)

    def fit_question(self, question: str) -> tuple[str, list[str]]:
        """The question, cut to ``MAX_QUESTION_TOKENS`` with a notice when it is longer."""
        question = " ".join(question.split()) if self.lang != "zh" else question.strip()
        if not question:
            raise InputError("Type a question first.")
        tokenizer = self._tokenizer()
        total = tokenizer.count(question)
        if total <= MAX_QUESTION_TOKENS:
            return question, []
        kept = question[:tokenizer.longest_prefix(question, MAX_QUESTION_TOKENS)]
        return kept, [f"Your question was {total:,} tokens long; only its first {MAX_QUESTION_TOKENS} "
                               "tokens were used."]

    def retrieve(self, question: str, history: list[Turn] | None = None, k: int = TOP_K) -> list[Hit]:
        context = history[-1].question if history else ""
        return self.index.search(question, k=k, context=context)

    def ask(self, question: str, history: list[Turn] | None = None) -> Turn:
        """Answer and return the whole turn (no streaming)."""
        answering = self.answer(question, history)
        for _ in answering.stream():
            pass
        return answering.turn

    def answer(self, question: str, history: list[Turn] | None = None) -> Answering:
        """An answer to stream: iterate ``.stream()`` for text pieces (``RESTART`` means a retried
        call starts the text again), then show ``.turn.answer`` (the final text: it replaces what
        was streamed, which may lack the not-found wording)."""
        question, notices = self.fit_question(question)
        if self.offline():
            if self.settings.backend == "llm":
                log.info("ask: llm backend with no key and the default endpoint: answering offline")
                notices.append(NO_ENDPOINT)
            label = "extractive (built-in, offline)"
            return _QuoteAnswering(self, Turn(question, notices=notices, backend=label), list(history or []))
        turn = Turn(question, notices=notices, backend=self.settings.backend_label)
        return _LLMAnswering(self, turn, list(history or []))


def with_related(head: str, related: list[Passage], lang: str, quote=None) -> str:
    """``head`` (the paper does not say, or no answer), then the related passages quoted and cited,
    labelled as not answering the question."""
    if not related:
        return head
    parts = [head, RELATED_LEAD[lang]]
    for p in related:
        text = quote(p) if quote else " ".join(split_sentences(p.text, lang)[:2]) or p.text
        parts.append(f"> {text} {p.citation}")
    return "\n\n".join(parts)


class Answering:
    """One answer in progress."""

    def __init__(self, asker: Asker, turn: Turn, history: list[Turn]) -> None:
        self.asker, self.turn, self.history = asker, turn, history

    def stream(self) -> Iterator[str]:  # pragma: no cover - interface
        raise NotImplementedError


class _QuoteAnswering(Answering):
    """The offline answer: the most relevant sentences of the best passages, quoted and cited.

    A passage answers only when it holds enough of the question's key terms (its content words, less
    the words that name what is asked: "licence", "year", "how many") *and*, for a question that asks
    for a kind of thing (``answer_types``), a sentence stating one: a licence's name, an amount, a date,
    a number, a name. Otherwise the paper does not say, and the closest passages are offered as related,
    never as the answer."""

    def stream(self) -> Iterator[str]:
        asker, turn = self.asker, self.turn
        lang = asker.lang
        kind = question_type(turn.question)
        key = self._key_terms(kind)
        hits = asker.retrieve(turn.question, self.history, k=TOP_K if kind == AnswerType.OPEN else 2 * TOP_K)
        bm25 = asker.index.bm25
        chosen: list[tuple[Passage, str]] = []
        related: list[Passage] = []
        for hit in hits:
            if key and bm25.coverage(key, asker.index.bags[hit.passage.id]) < QUOTE_MIN_COVERAGE:
                continue
            if chosen and hit.score < 0.5 * chosen[0][0].score:
                break
            quote = self._quote(hit.passage, key, kind)
            if quote is None:  # the question's words, but not what it asks for
                related.append(hit.passage)
                continue
            chosen.append((hit, quote))
            if len(chosen) == 3:
                break
        if not key:
            chosen = []
        if not chosen:
            yield self._not_found(kind, key, related or [h.passage for h in hits[:RELATED]])
            return
        intro = "论文中的相关原文：" if lang == "zh" else "From the paper:"
        parts = [intro] + [f"> {text} {hit.passage.citation}" for hit, text in chosen]
        turn.citations = [hit.passage for hit, _ in chosen]
        turn.answer = "\n\n".join(parts)
        for part in parts:
            yield part + "\n\n"

    def _key_terms(self, kind: AnswerType) -> list[str]:
        """The question's key terms: its content terms less the words that name the answer's type (the
        answer names a licence, it need not say "licence"); in Chinese, bigrams the document never has
        are dropped unless they are most of the question (they mostly straddle two words: "诊断有")."""
        own = question_terms(self.turn.question, self.asker.lang)
        if self.asker.lang == "zh":
            known = [t for t in own if t in self.asker.index.bm25.idf]
            own = known if len(set(known)) >= ZH_KNOWN_SHARE * len(set(own)) else own
        cues = cue_terms(kind, self.asker.lang)
        key = [t for t in own if t not in cues]
        return key or own or terms(self.turn.question, self.asker.lang)

    def _quote(self, passage: Passage, key: list[str], kind: AnswerType) -> str | None:
        """The passage's sentences that answer: for an open question the one or two holding most key
        terms; for a typed one the sentence stating the type (with the sentence before it when the key
        terms are there, "X is … . It is licensed under …"); ``None`` when no sentence states it."""
        from collections import Counter

        lang = self.asker.lang
        sentences = split_sentences(passage.text, lang) or [passage.text]
        bm25 = self.asker.index.bm25
        cover = [bm25.coverage(key, Counter(terms(s, lang))) for s in sentences]
        join = "" if lang == "zh" else " "
        if kind == AnswerType.OPEN:
            if len(sentences) <= 2:
                return passage.text
            keep = sorted(sorted(range(len(sentences)), key=lambda i: -cover[i])[:2])
            return join.join(sentences[i] for i in keep)
        typed = [i for i, s in enumerate(sentences) if states(s, kind)]
        best = max(typed, key=lambda i: (cover[i], cover[i - 1] if i else 0.0), default=None)
        if best is None:
            return None
        if cover[best] > 0:
            return sentences[best]
        if best and cover[best - 1] > 0:  # the subject in one sentence, what is asked in the next
            return join.join(sentences[best - 1:best + 1])
        return None

    def _not_found(self, kind: AnswerType, key: list[str], related: list[Passage]) -> str:
        """Say plainly that the paper does not say, and offer the closest passages as related only."""
        turn, lang = self.turn, self.asker.lang
        turn.found = False
        turn.related = related[:RELATED]
        if lang == "zh":
            why = (" 没有任何段落包含问题中的关键词。" if kind == AnswerType.OPEN else
                   f" 包含问题关键词的段落都没有给出{WHAT_ZH[kind]}。")
            head = NOT_FOUND[lang] + why
        else:
            why = (" No passage holds enough of the question's key terms." if kind == AnswerType.OPEN else
                   f" No passage that holds the question's key terms states {WHAT[kind]}.")
            head = NOT_FOUND[lang] + why
        turn.answer = with_related(head, turn.related, lang, lambda p: self._quote(p, key, AnswerType.OPEN) or p.text)
        return turn.answer


class _LLMAnswering(Answering):
    """The model's answer from the retrieved passages, streamed, with its citations checked."""

    def stream(self) -> Iterator[str]:
        asker, turn = self.asker, self.turn
        backend = asker.model_backend()
        settings = backend.settings  # the local model's: its loopback server, its model name and n_ctx
        prompt = backend.prompts.get("ask")
        tokenizer = backend.tokenizer
        hits = asker.retrieve(turn.question, self.history, k=TOP_K + 2)
        passages = [h.passage for h in hits] or asker.index.passages[:3]  # nothing matched: the opening
        language = settings.language_name(asker.document.language)
        history = self._history(tokenizer)
        values = {"title": asker.document.title, "question": turn.question, "history": history,
                  "language": language, "max_words": prompt.max_words}
        empty = prompt.render({**values, "passages": ""})
        used = backend.count_messages(empty)
        room = backend.context_window - prompt.max_output_tokens - used - 64
        if room < 100:
            raise BackendError("The model's context window is too small for the ask prompt; "
                               "raise the context window in Settings.")
        sent: list[Passage] = []
        blocks: list[str] = []
        for p in passages:
            block = f"{p.citation} ({p.section_title})\n{delimit_passage(p.text)}"
            n = tokenizer.count(block) + 2
            if n > room:
                continue
            room -= n
            sent.append(p)
            blocks.append(block)
        messages = prompt.render({**values, "passages": "\n\n".join(blocks)})
        prompt_tokens = backend.count_messages(messages)
        # the one request path's cache: the same question on the same passages, model and key scope is not
        # paid again; the answer is checked again below as if it had just come
        key = backend.cache_key(Call(prompt, messages, prompt_tokens, prompt.max_output_tokens, room), ASK_SCHEMA)
        hit = backend.cache.get(key) if backend.cache is not None else None
        if isinstance(hit, dict) and isinstance(hit.get("text"), str) and hit["text"].strip():
            text = hit["text"]
            self.context = _answer_context(prompt, values, sent)
            self._finish(text, sent, {"cached": True}, prompt_tokens, tokenizer, settings)
            yield from ([] if text.lstrip().startswith("{") or text.upper().startswith(NOT_FOUND_MARK) else [text])
            return
        client = asker._client or backend.client.child()  # its own Stop: leaving one answer ends that answer only
        raw: list[str] = []
        usage: dict = {}
        shown = ""
        try:
            for piece in _stream_chat(client, messages, prompt.max_output_tokens, prompt_tokens, usage):
                if piece == RESTART:
                    raw, shown = [], ""
                    yield RESTART
                    continue
                raw.append(piece)
                text = "".join(raw)
                head = text.lstrip()[:len(NOT_FOUND_MARK)]
                if head.startswith("{") or NOT_FOUND_MARK.startswith(head):
                    continue  # a JSON answer or the not-found mark: shown once finished, as ``turn.answer``
                yield text[len(shown):]
                shown = text
        except GeneratorExit:  # the reader left mid-answer: the prompt and what came back were still paid for
            turn.tokens_in, turn.tokens_out = prompt_tokens, tokenizer.count("".join(raw))
            if not settings.is_local:
                turn.cost_usd = cost_usd(turn.tokens_in, turn.tokens_out, settings.price)
            raise
        self.context = _answer_context(prompt, values, sent)
        self._finish("".join(raw), sent, usage, prompt_tokens, tokenizer, settings)
        if backend.cache is not None and not self.turn.problem and usage.get("finish_reason") != "length":
            backend.cache.set(key, {"text": "".join(raw)})  # a sound answer (found or not): kept for a re-ask

    def _history(self, tokenizer) -> str:
        lines: list[str] = []
        used = 0
        for t in reversed(self.history[-HISTORY_TURNS:]):
            block = f"Q: {t.question}\nA: {t.answer}"
            n = tokenizer.count(block)
            if used + n > HISTORY_TOKENS:
                break
            lines.insert(0, block)
            used += n
        return "\n\n".join(lines) or "(none)"

    def _finish(self, text: str, sent: list[Passage], usage: dict, prompt_tokens: int, tokenizer, settings) -> None:
        turn, lang = self.turn, self.asker.lang
        text = text.strip()
        if text.startswith("{"):  # a model that answered JSON anyway: take its answer field
            fields = parse_answer(text).fields
            text = str(fields.get("answer") or fields.get("summary") or text).strip()
        if usage.get("finish_reason") == "length":
            turn.notices.append("The answer was cut off at the output limit.")
        if text.upper().startswith(NOT_FOUND_MARK) or not text:
            turn.found = False
            turn.related = sent[:RELATED]  # the closest passages it was given: related, not the answer
            rest = text[len(NOT_FOUND_MARK):].lstrip(" :：-—").strip()
            if rest and ask_problem(rest, self.context):
                rest = ""  # its own words about the passages are garbage: the plain sentence is said alone
            turn.answer = with_related(NOT_FOUND[lang] + (f" {rest}" if rest else ""), turn.related, lang)
        else:
            turn.answer = text
        self._cite(sent)
        if usage.get("cached"):  # answered from the cache: nothing sent, nothing paid
            turn.tokens_in = turn.tokens_out = 0
            turn.cost_usd = 0.0 if settings.price and not settings.is_local else None
            turn.notices.append("Answered from the cache (the same question on the same passages); nothing was sent.")
            return
        turn.tokens_in = int(usage.get("prompt_tokens") or prompt_tokens)
        turn.tokens_out = int(usage.get("completion_tokens") or tokenizer.count(text))
        if not settings.is_local:
            turn.cost_usd = cost_usd(turn.tokens_in, turn.tokens_out, settings.price)
        log.info("ask: %d passages sent, %d cited, found=%s, %d/%d tokens", len(sent), len(turn.citations), turn.found,
                 turn.tokens_in, turn.tokens_out)

    def _cite(self, sent: list[Passage]) -> None:
        """The passages the answer cites; an answer that fails the checks, or cites a passage it was not
        given, is no answer: the paper's closest passages are offered as related instead."""
        turn, lang = self.turn, self.asker.lang
        if not turn.found:  # the paper does not say: the passages quoted are related, none is cited
            turn.citations = []
            return
        by_citation: dict[str, Passage] = {}
        for p in sent:
            by_citation.setdefault(_key(p.citation), p)
        cited, unknown = [], []
        for c in _CITATION.findall(turn.answer):
            p = by_citation.get(_key(c))
            if p is None:
                unknown.append(c)
            elif p not in cited:
                cited.append(p)
        problem = ask_problem(turn.answer, self.context)
        if unknown and not problem:
            problem = f"it cites {', '.join(sorted(set(unknown)))}, which was not among the passages given"
        if problem:
            log.info("ask: the model's answer was not used: %s", problem)
            turn.found, turn.problem, turn.citations = False, problem, []
            turn.related = sent[:RELATED]
            head = f"{FAILED[lang]} ({problem})." if lang == "en" else f"{FAILED[lang]}（{problem}）。"
            turn.answer = with_related(head, turn.related, lang)
            turn.notices.append(f"The model's answer was not used: {problem}.")
            return
        turn.citations = cited
        if not cited:
            turn.notices.append("The answer cites no passage of the paper; check it against the text.")


def _answer_context(prompt, values: dict, sent: list[Passage]) -> AnswerContext:
    """What an answer is judged against: the ask prompt's own texts, and the data sent with them (the
    passages, the title, the question and the earlier turns)."""
    pieces = [piece for text in (prompt.system, prompt.user) for piece in re.split(r"\{[A-Za-z_]+\}", text)]
    data = [str(values.get(k, "")) for k in ("title", "question", "history")]
    data += [f"{p.citation} {p.section_title}\n{p.text}" for p in sent]
    return AnswerContext(pieces, "\n".join(data), CHECK_WORDS)


def ask_problem(answer: str, context: AnswerContext) -> str:
    """What makes a model's answer no answer (``answer_checks``: empty, echoed instructions, a loop, our
    delimiters or request format, an invented quotation, no word of the passages), or "". Its citations
    are ours (they are checked against the passages sent), and the shortest-answer rule is a summary's."""
    if _CLOSING.search(answer):
        return "the answer repeated the <passages> delimiters"
    problem = answer_problem(_CITATION.sub(" ", answer), context)
    return "" if problem.startswith(_SUMMARY_ONLY) else problem


def _key(citation: str) -> str:
    return re.sub(r"\s+", "", citation).lower()


def _stream_chat(client, messages: list[dict], max_tokens: int, prompt_tokens: int, usage: dict) -> Iterator[str]:
    """Stream one answer through ``ChatClient.complete`` (its retries, limits, breaker and Stop),
    run on a worker thread so the pieces can be yielded on the caller's thread as they arrive.
    A retry after part of an answer arrived says so and starts the text again. Leaving the loop
    early (the reader went away) cancels the request, so the server stops computing (field note 26)."""
    pieces: queue.Queue = queue.Queue()
    done, restart = object(), object()
    box: dict = {}

    def on_retry(attempt: int, delay: float, why: str) -> None:
        log.info("ask: retry %d in %.1f s: %s", attempt, delay, why)
        pieces.put(restart)

    def work() -> None:
        try:
            box["completion"] = client.complete(messages, max_tokens, prompt_tokens, on_retry, on_delta=pieces.put)
        except BaseException as exc:  # handed to the caller's thread
            box["error"] = exc
        finally:
            pieces.put(done)

    worker = threading.Thread(target=work, name="ask", daemon=True)
    worker.start()
    finished = False
    try:
        while True:
            item = pieces.get()
            if item is done:
                finished = True
                break
            if item is restart:
                usage["restarts"] = usage.get("restarts", 0) + 1
                yield RESTART
                continue
            yield item
    finally:
        if not finished:
            client.cancel("the reader left before the answer was complete")
    error = box.get("error")
    if error is not None:
        if isinstance(error, SummarizerError):
            raise error
        log.warning("ask: the call failed (%s)", error.__class__.__name__)
        raise BackendError(f"The answer could not be fetched ({error.__class__.__name__}).")
    completion = box["completion"]
    usage["prompt_tokens"] = completion.tokens_in
    usage["completion_tokens"] = completion.tokens_out
    usage["finish_reason"] = completion.finish_reason
