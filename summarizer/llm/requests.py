"""The one request path to a model, as a small class every caller builds on (``LLMBackend`` for sections,
groups, merges and the overall summary; Ask reads its budget, client and prices). One request goes
through four steps, each testable alone:

* **budget** (``sized``, ``extended``): the messages for a prompt, counted and checked against the context
  window, which is known (settings, the endpoint, or learned from an overflow), not assumed; a re-ask's
  instruction is taken from the room for the answer; a request may carry one image (``ImageInput``), counted
  as ``IMAGE_TOKENS_LOW`` tokens;
* **cache** (``cache_key``): the same messages, answer schema, model, endpoint and key scope (and the image's
  hash, never its bytes) are answered from the cache;
* **call** (``call``): the chat client with the prompt's JSON schema as ``response_format``; a cut
  answer (``finish_reason == "length"``) is retried once, terser, and is never shown as complete;
* **checks** (``judge``): an empty, far too short, looping or echoed answer, or one still wrapped in
  our delimiters, is re-asked once with the problem named and fails the request if it happens
  again; a sound free-text answer is kept and marked ``unstructured``; the language is checked;
* **usage and price** (``usage``): the client's totals, priced by ``config.prices.cost_usd``.

Reasoning (JSON reasoning fields, ``<think>`` blocks, ``reasoning_content``) is kept apart from the answer.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from summarizer.config.prices import cost_usd
from summarizer.config.settings import LENGTHS, Settings
from summarizer.llm.answer_checks import (
    AnswerContext,
    answer_problem,
    echoed_field,
    echoed_item,
    garbage_item,
    schema_problems,
    strip_delimiters,
)
from summarizer.llm.answers import ParsedAnswer, field_text, parse_answer
from summarizer.llm.cache import AnswerCache, answer_key, key_scope
from summarizer.llm.client import ChatClient
from summarizer.llm.prompts import PromptSet, PromptTemplate, load_prompts
from summarizer.model.errors import BackendError, ContextOverflow
from summarizer.model.results import SectionResult, Status, Usage
from summarizer.text.language import cjk_share
from summarizer.text.sentences import split_sentences
from summarizer.text.tokens import TokenBudget, Tokenizer, tokenizer_for_model

log = logging.getLogger(__name__)

#: Answers that missed a schema the endpoint took (and more of them than followed it) before the endpoint
#: is judged to ignore schemas and the prompt names the fields itself (issue #32: one garbled answer did it).
SCHEMA_DISTRUST_AFTER = 2
RECHECK = ("\n\nA check of your previous answer for this section found a problem: {problem}. Answer again, "
           "using only numbers, quotations and names that appear in the text above, copied exactly.")
TERSE = "\n\nYour previous answer was cut off. Be terse: reasoning under 15 words, summary under {n} words."
REASK = ("\n\nYour previous answer could not be used: {problem}. Summarize the text above again, in your own "
         "words, as the JSON object asked for.")
LANGUAGE_FIX = "\n\nYour previous answer was not written in {language}. Write every field in {language}."
#: After an empty answer taken as an overflow, the window is taken to be this share of the prompt that did not
#: fit (the server named no window: it is below that prompt, by how much is unknown).
EMPTY_OVERFLOW_SHARE = 0.75
LIVE_EVERY = 0.5  # seconds between two reports of a section's streaming answer
CHARS_PER_WORD = 8  # a generous bound on characters per word (English ~6, Chinese ~2 per word)
_EMPTY_BRIEF = re.compile(r"^(?:Paper:[^\n]*\n)?Brief:[ \t]*\n\n?", re.M)  # with no brief, no context block
_EMPTY_FIELDS = re.compile(r"^Answer fields:[ \t]*\n", re.M)
_FIELDS_LINE = re.compile(r"^Answer fields:.*\n", re.M)
#: What one image sent with detail "low" costs: OpenAI bills a fixed 85 tokens for it, whatever its size (the
#: model sees it at 512 x 512 at most). Other providers count images their own way (llama.cpp's vision projectors
#: take hundreds of tokens, Anthropic about width x height / 750): for them this is an estimate, and the token
#: ratio the run learns is not taken from a request with an image (the server's count of it is not ours).
IMAGE_TOKENS_LOW = 85


@dataclass(frozen=True)
class ImageInput:
    """One image sent with a request: a PNG, in OpenAI's chat format as a ``data:`` URL at ``detail`` "low"."""

    png: bytes = field(repr=False)
    detail: str = "low"

    @property
    def sha256(self) -> str:
        """What the cache key holds of the image (never its bytes)."""
        return hashlib.sha256(self.png).hexdigest()

    @property
    def tokens(self) -> int:
        """The image's share of the prompt (``IMAGE_TOKENS_LOW``; see there for other providers)."""
        return IMAGE_TOKENS_LOW

    def part(self) -> dict:
        """The image as a content part of a user message."""
        url = "data:image/png;base64," + base64.b64encode(self.png).decode("ascii")
        return {"type": "image_url", "image_url": {"url": url, "detail": self.detail}}


def with_image(messages: list[dict], image: ImageInput | None) -> list[dict]:
    """``messages`` with ``image`` after the text of the last (user) message: its content becomes a list of
    parts, ``[{"type": "text", ...}, {"type": "image_url", ...}]``. Unchanged without an image."""
    if image is None:
        return messages
    last = messages[-1]
    return [*messages[:-1], {**last, "content": [{"type": "text", "text": last["content"]}, image.part()]}]


@dataclass
class Call:
    """One sized request: its messages, their size, and the room left for the answer."""

    prompt: PromptTemplate
    messages: list[dict]
    prompt_tokens: int
    max_tokens: int
    room: int
    schema: dict | None = None  # the answer's schema, when not the prompt's own (a group's answer)
    grammar_schema: dict | None = None  # the same with bounded strings, for a llama.cpp server (a group's answer)
    name_fields: bool = False  # keep the "Answer fields:" line even while the schema is trusted (a re-ask)
    image: ImageInput | None = None  # sent after the last message's text (its tokens are in ``prompt_tokens``)

    def with_extra(self, extra: str, tokens: int) -> Call:
        """The request with ``extra`` (``tokens`` long, counted by the caller) appended: what it adds to the
        prompt is taken from the room left for the answer, so a re-ask is budgeted like the first ask."""
        last = {"role": "user", "content": self.messages[-1]["content"] + extra}
        room = self.room - tokens
        return replace(self, messages=[*self.messages[:-1], last], prompt_tokens=self.prompt_tokens + tokens,
                       room=room, max_tokens=max(1, min(self.max_tokens, room)))


def words_for(prompt: PromptTemplate, scale: float) -> int:
    """The summary length asked of ``prompt`` at a length setting's ``scale``."""
    return max(10, int(prompt.max_words * scale))


def bounded_schema(prompt: PromptTemplate, scale: float) -> dict:
    """The schema a grammar-constrained local model gets: every string bounded by the length asked."""
    return prompt.json_schema(max_chars=words_for(prompt, scale) * CHARS_PER_WORD)


class ModelRequests:
    """The one request path to a model: budget → cache → call → answer checks → usage and price. Every
    request a run makes (a section, a group, a merge, the overall summary) goes through ``ask``; Ask the paper
    uses its budget, client and prices. ``LLMBackend`` adds what to ask, section by section."""

    def __init__(self, settings: Settings, prompts: PromptSet | None = None, client: ChatClient | None = None,
                 cache: AnswerCache | None = None) -> None:
        if settings.is_local and client is None:
            from summarizer.llm.local_model import local_settings

            settings = local_settings(settings)  # starts (or reuses) the loopback llama.cpp server
        self.settings = settings
        self.label = settings.backend_label
        self.prompts = prompts or load_prompts(settings.prompts_dir)
        self.client = client or ChatClient(settings)
        self.cache = cache if cache is not None else (AnswerCache() if settings.use_cache else None)
        self.cache_scope = key_scope(settings.clean_key())  # answers are reused only under the key that paid
        self.tokenizer: Tokenizer = tokenizer_for_model(settings.model)
        self.language = "English"
        self.notices: list[str] = []
        self._usage = Usage()
        self.scale = LENGTHS.get(settings.length, 1.0)
        self.context_window = settings.effective_context
        self.token_ratio = 1.0  # the endpoint's tokens per tokens we count (learned; > 1 for other tokenizers)
        self.schema_trusted = True  # the endpoint follows the JSON schema it takes (until answers show otherwise)
        self.schema_followed = self.schema_missed = 0  # answers asked with the schema alone that followed / missed it
        if not settings.context_window and client is None:
            self._discover_context()

    def _discover_context(self) -> None:
        from summarizer.llm.endpoint import discover_context_window

        found = discover_context_window(self.settings.base_url, self.settings.model, self.settings.clean_key())
        if found:
            log.info("context window of %s at %s: %d tokens (from the endpoint)", self.settings.model,
                     self.settings.host, found)
            self.context_window = found

    # ---- budget --------------------------------------------------------------------------
    def budget_for(self, prompt: PromptTemplate) -> TokenBudget:
        """The context in our tokens: the window shrunk by how many more tokens the endpoint counts."""
        return TokenBudget(int(self.context_window / self.token_ratio), prompt.max_output_tokens)

    def count_messages(self, messages: list[dict], image: ImageInput | None = None) -> int:
        return sum(self.tokenizer.count(m["content"]) + 4 for m in messages) + 3 + (image.tokens if image else 0)

    def words_for(self, prompt: PromptTemplate) -> int:
        return words_for(prompt, self.scale)

    def render(self, prompt: PromptTemplate, values: dict) -> list[dict]:
        """The prompt's messages. The context block ("Paper:" and "Brief:" lines) is dropped where no
        brief is sent (long sections carry their own context, the abstract is the brief). The "Answer
        fields:" line stays here; ``call`` leaves it out where the JSON schema carries the same."""
        messages = prompt.render({"max_words": self.words_for(prompt), **values, "language": self.language})
        return [{**m, "content": _EMPTY_FIELDS.sub("", _EMPTY_BRIEF.sub("", m["content"]))} for m in messages]

    def sized(self, prompt: PromptTemplate, values: dict, extra: str = "", image: ImageInput | None = None) -> Call:
        """Budget step: the request for ``prompt`` (with ``image``, counted), refused if the prompt alone cannot fit."""
        messages = self.render(prompt, values)
        if extra:
            messages[-1] = {"role": "user", "content": messages[-1]["content"] + extra}
        prompt_tokens = self.count_messages(messages, image)
        budget = self.budget_for(prompt)
        room = budget.context_window - prompt_tokens - budget.safety_margin
        if room < prompt.max_output_tokens:
            raise BackendError(f"The '{prompt.name}' prompt alone does not fit the model's context window "
                               f"({self.context_window} tokens); shorten the prompt or raise the context window.")
        return Call(prompt, messages, prompt_tokens, prompt.max_output_tokens, room, image=image)

    def extended(self, call: Call, extra: str) -> Call:
        """Budget step for a re-ask: ``call`` with ``extra`` appended, its tokens counted as the prompt's are."""
        return call.with_extra(extra, self.tokenizer.count(extra))

    def fit_text(self, text: str, tokens: int) -> str:
        """Cut ``text`` at a sentence boundary to at most ``tokens`` tokens."""
        if self.tokenizer.count(text) <= tokens:
            return text
        out, used = [], 0
        for sentence in split_sentences(text, "zh" if cjk_share(text) > 0.3 else "en"):
            n = self.tokenizer.count(sentence) + 1
            if used + n > tokens:
                break
            out.append(sentence)
            used += n
        return " ".join(out)

    def learn_overflow(self, exc: ContextOverflow) -> None:
        """After a context overflow: lower the window for the rest of the run, to the limit the
        server named, or below the prompt that did not fit when the server answered nothing (an empty
        200, llama-cpp-python's way), or, when it named none (or the same one), by shrinking our token
        estimate."""
        did_not_fit = int(getattr(exc, "prompt_tokens", 0) * self.token_ratio)
        if did_not_fit and did_not_fit * EMPTY_OVERFLOW_SHARE < self.context_window:
            log.warning("the endpoint answered nothing to a prompt of ~%d tokens: its context window is taken to be "
                        "%d, not %d, for this run", did_not_fit, int(did_not_fit * EMPTY_OVERFLOW_SHARE), self.context_window)
            self.context_window = int(did_not_fit * EMPTY_OVERFLOW_SHARE)
        elif exc.limit and exc.limit < self.context_window:
            log.warning("the endpoint's context window is %d tokens, not %d: lowering the budget for this run",
                        exc.limit, self.context_window)
            self.context_window = exc.limit
        else:
            self.token_ratio *= 1.3
            log.warning("the endpoint counts more tokens than we do: budgeting %.2f× our count", self.token_ratio)

    # ---- call ----------------------------------------------------------------------------
    def call(self, call: Call, result: SectionResult | None,
             report: Callable[[SectionResult], None] | None):
        """Call step: one completion with the prompt's schema; usage is counted by the client."""

        streamed: list[str] = []
        shown = [0.0]

        def on_retry(attempt: int, delay: float, why: str) -> None:
            streamed.clear()  # the retried call streams its answer again
            if result is not None and report is not None:
                result.status = Status.RETRYING
                result.note = f"retry {attempt} in {delay:.1f}s: {why}"
                result.live = ""
                report(result)

        def on_delta(piece: str) -> None:
            """The answer so far, reported at most every ``LIVE_EVERY`` seconds (a slow local model shows progress)."""
            streamed.append(piece)
            now = time.monotonic()
            if now - shown[0] >= LIVE_EVERY:
                shown[0] = now
                result.status, result.live = Status.RUNNING, "".join(streamed)
                report(result)

        live = on_delta if result is not None and report is not None else None
        # sent with the JSON schema, the "Answer fields:" line would say again what the schema says
        # (and a provider that writes the schema into the prompt would bill it twice)
        lean = with_image([{**m, "content": _FIELDS_LINE.sub("", m["content"])} for m in call.messages], call.image) \
            if self.schema_trusted and not call.name_fields else None
        try:
            completion = self.client.complete(with_image(call.messages, call.image), call.max_tokens, call.prompt_tokens, on_retry,
                                              schema=call.schema or self.schema_for(call.prompt), on_delta=live,
                                              schema_messages=lean, window=self.budget_for(call.prompt).context_window,
                                              grammar_schema=call.grammar_schema or bounded_schema(call.prompt, self.scale))
        finally:  # what the client learned about the endpoint (a refused answer format) is said with the result
            self.notices.extend(n for n in getattr(self.client, "notices", ()) if n not in self.notices)
        self._account(result, completion, call)
        return completion

    def schema_for(self, prompt: PromptTemplate) -> dict:
        """The answer schema sent; for the local model its strings are bounded (see ``json_schema``; the
        client sends ``bounded_schema`` to any other llama.cpp server it finds, ``ChatClient.grammar_bound``)."""
        return bounded_schema(prompt, self.scale) if self.settings.is_local else prompt.json_schema()

    def whole_answer(self, call: Call, result: SectionResult | None,
                     report: Callable[[SectionResult], None] | None):
        """A completion that was not cut off: on ``length``, one retry with more room and a terser
        instruction; cut twice fails the call. A cut answer says nothing about the context window (its
        token count may be our estimate, or miss a reasoning model's hidden tokens): the window is learned
        only from the server's overflow error."""
        completion = self.call(call, result, report)
        if completion.finish_reason != "length":
            return completion
        terse = TERSE.format(n=max(20, self.words_for(call.prompt) // 2))
        retry = self.extended(call, terse)
        retry.max_tokens = max(retry.max_tokens, min(call.max_tokens * 2, retry.room))
        completion = self.call(retry, result, report)
        if completion.finish_reason == "length":
            raise BackendError(f"The model's answer was cut off twice at the output limit ({retry.max_tokens} tokens, "
                               "finish_reason=length); raise the output length or choose a shorter summary length.")
        return completion

    def _account(self, result: SectionResult | None, completion, call: Call) -> None:
        # the server's count of an image is its own (``IMAGE_TOKENS_LOW``): no ratio is learned from it
        if completion.tokens_in and call.prompt_tokens and call.image is None:
            measured = completion.tokens_in / call.prompt_tokens
            if measured > self.token_ratio:
                self.token_ratio = measured
        self._usage.tokens_in += completion.tokens_in
        self._usage.tokens_out += completion.tokens_out
        self._usage.requests += 1
        if result is not None:
            result.tokens_in += completion.tokens_in
            result.tokens_out += completion.tokens_out
            result.attempts += completion.attempts
            if getattr(completion, "reasoning", ""):
                result.reasoning = completion.reasoning

    # ---- checks --------------------------------------------------------------------------
    def _schema_ignored(self, completion, answer: ParsedAnswer, prompt: PromptTemplate) -> bool:
        """True when an answer asked without the "Answer fields:" line (the schema was to carry them)
        lacks the fields: the endpoint takes the JSON schema but does not enforce it (some proxies and
        servers accept and ignore ``response_format``). From then on the prompt names the fields
        itself, and this question is to be asked again with them."""
        if not getattr(completion, "sent_lean", False):
            return False
        if answer.ok and not schema_problems(answer.fields, prompt.json_schema()):
            self.schema_followed += 1
            return False
        self.schema_missed += 1
        # one garbled answer (repaired into wrong keys) is no evidence about the endpoint: trust is revised
        # only when answers that missed the schema are repeated and outnumber those that followed it
        if self.schema_trusted and self.schema_missed >= SCHEMA_DISTRUST_AFTER and self.schema_missed > self.schema_followed:
            self.schema_trusted = False
            log.info("%s took the JSON schema but did not follow it (%d answers of %d): the answer fields are named "
                     "in the prompt from now on", self.settings.host, self.schema_missed, self.schema_missed + self.schema_followed)
        return True

    def context_for(self, prompt: PromptTemplate, values: dict, extra: str = "", *, about_text: bool = True) -> AnswerContext:
        """Our own texts (templates, field descriptions, retry instructions, ``extra`` instructions sent
        with them) and the data sent. ``about_text`` False: the answer is about an image, not the text sent."""
        ours = [prompt.system, prompt.user, *map(str, prompt.fields.values()), RECHECK, TERSE, REASK, LANGUAGE_FIX, extra]
        pieces = [piece for text in ours for piece in re.split(r"\{[A-Za-z_]+\}", text)]
        data = "\n".join(str(values.get(k, "")) for k in ("section_text", "chunk_summaries", "section_summaries",
                                                         "abstract", "title", "section_title", "brief", "caption"))
        return AnswerContext(pieces, data, self.words_for(prompt), descriptions=tuple(map(str, prompt.fields.values())),
                             field_names=tuple(prompt.fields), brief=str(values.get("brief", "")), about_text=about_text)

    def salvaged(self, answer: ParsedAnswer, prompt: PromptTemplate, ctx: AnswerContext) -> tuple[ParsedAnswer, list[str]] | None:
        """The answer without its unsound extra fields, when its summary is sound, and the fields dropped; else None.
        A small model that fills 'key_numbers' with field names or brackets still wrote a summary worth reading; the
        summary itself is never dropped, and an answer whose summary fails the checks is not salvaged."""
        if "summary" not in prompt.fields or not answer.ok:
            return None
        fields, dropped = dict(answer.fields), []
        while bad := echoed_field(fields, prompt.fields) or echoed_item(fields, ctx) or garbage_item(fields, ctx):
            if bad == "summary":
                return None
            fields[bad] = [] if isinstance(fields[bad], list) else ""  # emptied, so the answer keeps its schema's shape
            dropped.append(bad)
        trial = ParsedAnswer(fields, answer.ok, answer.raw, answer.reasoning)
        if not dropped or not field_text(fields.get("summary", "")) or self.judge(trial, prompt, ctx):
            return None
        return trial, dropped

    def judge(self, answer: ParsedAnswer, prompt: PromptTemplate, ctx: AnswerContext) -> str:
        """Checks step: what makes the answer not a summary, or ""."""
        echoed = echoed_field(answer.fields, prompt.fields)
        if echoed:
            return f"the '{echoed}' field repeated its description from our instructions instead of an answer"
        echoed = echoed_item(answer.fields, ctx)
        if echoed:
            return f"the '{echoed}' field repeated our instructions instead of answering"
        junk = garbage_item(answer.fields, ctx)
        if junk:
            return f"the '{junk}' field held field names, brackets or a repeated list instead of an answer"
        main = field_text(answer.fields.get("summary", ""))
        if not main and answer.ok:  # an overview's several fields, or a JSON answer with no summary: all it says
            main = "\n".join(field_text(v) for v in answer.fields.values())
        return answer_problem(main, ctx)

    def _language_ok(self, answer: ParsedAnswer) -> bool:
        text = " ".join(field_text(v) for v in answer.fields.values())
        if len(text) < 40:
            return True
        share = cjk_share(text)
        if self.language.startswith("Simplified Chinese"):
            return share >= 0.3
        if self.language == "English":
            return share <= 0.2
        return True

    def cache_key(self, call: Call, schema: dict) -> str:
        """The answer's cache key. It holds the schema, not the "Answer fields:" line, which is sent only
        until the endpoint is known to enforce the schema: the same question gets the same key either way."""
        params = {"max_tokens": call.max_tokens, "temperature": self.settings.temperature, "schema": schema}
        if call.image is not None:  # the image's hash and how it is sent, never its bytes
            params["image"] = {"sha256": call.image.sha256, "detail": call.image.detail}
        return answer_key(self.settings.model, self.settings.host,
                          [{**m, "content": _FIELDS_LINE.sub("", m["content"])} for m in call.messages], params,
                          self.cache_scope)

    def _ask(self, prompt: PromptTemplate, values: dict, result: SectionResult | None,
             report: Callable[[SectionResult], None] | None, extra: str = "", *, image: ImageInput | None = None,
             check: Callable[[ParsedAnswer], str] | None = None, reask: str = REASK) -> ParsedAnswer:
        """One budgeted, cached, checked answer for ``prompt``; ``extra`` is appended to the request. With
        ``image``, the request carries it (and its answer is judged as about the image, not the text sent);
        ``check`` names what else makes an answer unusable, and ``reask`` (with ``{problem}``) asks again."""
        call = self.sized(prompt, values, extra, image)
        key = self.cache_key(call, prompt.json_schema())
        if self.cache is not None:
            hit = self.cache.get(key)
            if hit is not None:
                if result is not None:
                    result.cached = True
                if result is not None and hit.get("dropped"):
                    _note(result, dropped_note(hit["dropped"]))
                return ParsedAnswer(hit.get("fields", {}), hit.get("ok", True), hit.get("raw", ""), hit.get("reasoning", ""))
        ctx = self.context_for(prompt, values, reask if reask is not REASK else "", about_text=image is None)

        def verdict(answer: ParsedAnswer) -> str:
            return self.judge(answer, prompt, ctx) or (check(answer) if check is not None else "")

        completion = self.whole_answer(call, result, report)
        answer = parse_answer(completion.text, getattr(completion, "reasoning", ""))
        problem = verdict(answer)
        if self._schema_ignored(completion, answer, prompt):
            call = replace(call, name_fields=True)  # this question is asked again naming its fields, whatever the trust
        if call.name_fields and not problem:
            # asked again, this time naming the fields (a problem's re-ask below names them as well);
            # an answer that is worse than the first keeps the first, whose text was sound
            completion = self.whole_answer(call, result, report)
            fixed = parse_answer(completion.text, getattr(completion, "reasoning", ""))
            answer = answer if verdict(fixed) else fixed
        dropped: list[str] = []
        if problem:
            log.info("re-asking '%s': %s", prompt.name, problem)
            first = answer
            again = self.extended(call, reask.format(problem=problem))
            completion = self.whole_answer(again, result, report)
            answer = parse_answer(completion.text, getattr(completion, "reasoning", ""))
            second = verdict(answer)
            if second:
                kept = self.salvaged(answer, prompt, ctx) or self.salvaged(first, prompt, ctx)
                if kept is None:
                    raise BackendError(f"The model did not give a usable summary: {problem}; asked again, {second}.")
                answer, dropped = kept
                log.info("'%s': kept the summary, dropped the unsound %s", prompt.name, ", ".join(dropped))
        if result is not None:
            result.status = Status.RUNNING
        if not self._language_ok(answer):
            fix = LANGUAGE_FIX.format(language=self.language)
            completion = self.whole_answer(self.extended(call, fix), result, report)
            fixed = parse_answer(completion.text, getattr(completion, "reasoning", ""))
            if not verdict(fixed):
                answer, dropped = fixed, []
            if not self._language_ok(answer):
                written = " ".join(field_text(v) for v in answer.fields.values())
                if image is None and abs(cjk_share(written) - cjk_share(ctx.source)) >= 0.5:  # English about Chinese text
                    raise BackendError(f"The model did not write in {self.language}, even when asked again, and an answer "
                                       "in another script than its text cannot be checked against it.")
                if result is not None:
                    _note(result, f"the model did not write in {self.language}, even when asked again")
        if dropped and result is not None:
            _note(result, dropped_note(dropped))
        answer.fields = {k: strip_delimiters(v) if isinstance(v, str) else v for k, v in answer.fields.items()}
        if self.cache is not None:
            self.cache.set(key, {"fields": answer.fields, "ok": answer.ok, "raw": answer.raw,
                                 "reasoning": answer.reasoning, **({"dropped": dropped} if dropped else {})})
        return answer

    # ---- the backend interface -----------------------------------------------------------

    def cancel(self, reason: str) -> None:
        """Stop spending: the client sends nothing new and closes what is in flight."""
        self.client.cancel(reason)

    def usage(self) -> Usage:
        """What was sent: the client's totals (every attempt, retried and timed-out ones included)."""
        counted = getattr(self.client, "usage", None)
        usage = counted() if callable(counted) else Usage(self._usage.tokens_in, self._usage.tokens_out,
                                                            self._usage.requests)
        usage.cost_usd = cost_usd(usage.tokens_in, usage.tokens_out, self.settings.price)
        return usage


def dropped_note(fields: list[str]) -> str:
    """What a reader is told when unsound extra fields were left out of a kept summary."""
    names = ", ".join(f"'{name.replace('_', ' ')}'" for name in fields)
    verb = "was" if len(fields) == 1 else "were"
    return f"the model's {names} {verb} left out: not an answer (field names, brackets or our instructions)"


def _note(result: SectionResult, text: str) -> None:
    result.note = f"{result.note}; {text}" if result.note else text
