"""The LLM backend: section-specific chain-of-thought prompts over an OpenAI-compatible endpoint.

Every section call gets the same short brief (title + abstract), so all can run at once; a
section that does not fit the context is split at paragraph/sentence boundaries, its parts
summarized and merged by one more call; the request is sized before it is sent, never after an
overflow error (field note 9). Answers are JSON with a short reasoning field first; a cut answer
(``finish_reason == "length"``) is retried once with more room and a terser instruction, and is
never shown as complete (field note 8). Answers in the wrong language are re-asked once.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from .answers import ParsedAnswer, field_text, parse_answer
from .cache import AnswerCache, answer_key
from .document import Document
from .errors import BackendError
from .language import cjk_share
from .llm_client import ChatClient
from .prompts import PromptSet, PromptTemplate, load_prompts, route_prompt
from .results import SectionResult, Usage
from .sentences import split_sentences
from .settings import LENGTHS, Settings
from .tokens import TokenBudget, Tokenizer, tokenizer_for_model

BRIEF_TOKENS = 400
RECHECK = ("\n\nA check of your previous answer for this section found a problem: {problem}. Answer again, "
           "using only numbers, quotations and names that appear in the text above, copied exactly.")
TERSE = "\n\nYour previous answer was cut off. Be terse: reasoning under 15 words, summary under {n} words."


class LLMBackend:
    """Summarizes through a chat-completions endpoint chosen by base URL, key and model."""

    def __init__(self, settings: Settings, prompts: PromptSet | None = None, client: ChatClient | None = None,
                 cache: AnswerCache | None = None, section_prompts: dict[int, str] | None = None) -> None:
        self.settings = settings
        self.label = settings.backend_label
        self.prompts = prompts or load_prompts(settings.prompts_dir)
        self.client = client or ChatClient(settings)
        self.cache = cache if cache is not None else (AnswerCache() if settings.use_cache else None)
        self.tokenizer: Tokenizer = tokenizer_for_model(settings.model)
        self.section_prompts = section_prompts or {}
        self.brief = ""
        self.language = "English"
        self.feedback: dict[int, str] = {}  # section index → a problem found in its previous answer
        self._usage = Usage()
        self.scale = LENGTHS.get(settings.length, 1.0)

    # ---- helpers -------------------------------------------------------------------------
    def budget_for(self, prompt: PromptTemplate) -> TokenBudget:
        return TokenBudget(self.settings.effective_context, prompt.max_output_tokens)

    def count_messages(self, messages: list[dict]) -> int:
        return sum(self.tokenizer.count(m["content"]) + 4 for m in messages) + 3

    def words_for(self, prompt: PromptTemplate) -> int:
        return max(10, int(prompt.max_words * self.scale))

    def prompt_for(self, document: Document, index: int) -> PromptTemplate:
        section = document.sections[index]
        chosen = self.section_prompts.get(index)
        if chosen and chosen in self.prompts.prompts:
            return self.prompts.get(chosen)
        return route_prompt(self.prompts, section.kind, section.title, document.genre)

    def _fit_text(self, text: str, tokens: int) -> str:
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

    def _ask(self, prompt: PromptTemplate, values: dict, result: SectionResult | None,
             report: Callable[[SectionResult], None] | None, extra: str = "") -> ParsedAnswer:
        """One budgeted, cached, checked call for ``prompt``; ``extra`` is appended to the request."""
        values = {**values, "max_words": self.words_for(prompt), "language": self.language}
        messages = prompt.render(values)
        if extra:
            messages[-1] = {"role": "user", "content": messages[-1]["content"] + extra}
        prompt_tokens = self.count_messages(messages)
        budget = self.budget_for(prompt)
        if prompt_tokens + prompt.max_output_tokens + budget.safety_margin > budget.context_window:
            raise BackendError(f"The '{prompt.name}' prompt alone does not fit the model's context window "
                               f"({budget.context_window} tokens); shorten the prompt or raise the context window.")
        params = {"max_tokens": prompt.max_output_tokens, "temperature": self.settings.temperature}
        key = answer_key(self.settings.model, self.settings.host, messages, params)
        if self.cache is not None:
            hit = self.cache.get(key)
            if hit is not None:
                if result is not None:
                    result.cached = True
                return ParsedAnswer(hit.get("fields", {}), hit.get("ok", True), hit.get("raw", ""))

        def on_retry(attempt: int, delay: float, why: str) -> None:
            if result is not None and report is not None:
                result.status = "retrying"
                result.note = f"retry {attempt} in {delay:.1f}s: {why}"
                report(result)

        max_tokens = prompt.max_output_tokens
        room = budget.context_window - prompt_tokens - budget.safety_margin
        completion = self.client.complete(messages, max_tokens, prompt_tokens, on_retry)
        self._account(result, completion)
        if completion.finish_reason == "length":
            # one retry with more room (as much as the context allows) and a terser instruction
            terse = [*messages[:-1], {"role": "user", "content": messages[-1]["content"]
                                      + TERSE.format(n=max(20, self.words_for(prompt) // 2))}]
            max_tokens = max(max_tokens, min(max_tokens * 2, room - 40))
            completion = self.client.complete(terse, max_tokens, prompt_tokens + 40, on_retry)
            self._account(result, completion)
            if completion.finish_reason == "length":
                raise BackendError("The model's answer was cut off twice at the output limit; "
                                   "raise the output length or choose a shorter summary length.")
        if result is not None:
            result.status = "running"
        answer = parse_answer(completion.text)
        if not self._language_ok(answer):
            fix = f"\n\nYour previous answer was not written in {self.language}. Write every field in {self.language}."
            again = [*messages[:-1], {"role": "user", "content": messages[-1]["content"] + fix}]
            completion = self.client.complete(again, max_tokens, prompt_tokens + 30, on_retry)
            self._account(result, completion)
            if completion.finish_reason != "length":
                answer = parse_answer(completion.text)
        if self.cache is not None and answer.ok:
            self.cache.set(key, {"fields": answer.fields, "ok": answer.ok, "raw": answer.raw})
        return answer

    def _account(self, result: SectionResult | None, completion) -> None:
        self._usage.tokens_in += completion.tokens_in
        self._usage.tokens_out += completion.tokens_out
        self._usage.requests += 1
        if result is not None:
            result.tokens_in += completion.tokens_in
            result.tokens_out += completion.tokens_out
            result.attempts += completion.attempts

    def _language_ok(self, answer: ParsedAnswer) -> bool:
        text = " ".join(field_text(v) for k, v in answer.fields.items() if k != "reasoning")
        if len(text) < 40:
            return True
        share = cjk_share(text)
        if self.language.startswith("Simplified Chinese"):
            return share >= 0.3
        if self.language == "English":
            return share <= 0.2
        return True

    # ---- the backend interface -----------------------------------------------------------
    def prepare(self, document: Document) -> None:
        """Fix the output language and the brief every section call shares."""
        self.language = self.settings.language_name(document.language)
        abstract = document.abstract.strip()
        if not abstract:
            first = next((s.text for s in document.sections if s.summarizable), "")
            self.brief = f"{document.title}. " + self._fit_text(first, BRIEF_TOKENS // 2)
            return
        if self.tokenizer.count(abstract) <= BRIEF_TOKENS:
            self.brief = abstract
            return
        try:
            answer = self._ask(self.prompts.get("brief"), {"title": document.title, "abstract":
                               self._fit_text(abstract, 3000)}, None, None)
            self.brief = field_text(answer.fields.get("brief") or answer.fields.get("summary") or "")
        except BackendError:
            self.brief = ""
        if not self.brief:
            self.brief = self._fit_text(abstract, BRIEF_TOKENS)

    def summarize_section(self, document: Document, result: SectionResult,
                          report: Callable[[SectionResult], None]) -> SectionResult:
        section = document.sections[result.index]
        prompt = self.prompt_for(document, result.index)
        result.prompt = prompt.name
        values = {"title": document.title, "brief": self.brief, "section_title": section.title,
                  "kind": section.kind if document.genre == "paper" else "news"}
        empty = prompt.render({**values, "section_text": "", "max_words": self.words_for(prompt), "language": self.language})
        room = self.budget_for(prompt).room_for_text(self.count_messages(empty))
        if room < 200:
            raise BackendError("The model's context window is too small for this prompt; raise the context window in Settings.")
        extra = RECHECK.format(problem=self.feedback[result.index]) if result.index in self.feedback else ""
        chunks = split_to_fit(delimit(section.text), room - self.tokenizer.count(extra), self.tokenizer)
        if len(chunks) == 1:
            answer = self._ask(prompt, {**values, "section_text": chunks[0]}, result, report, extra)
        else:
            result.note = f"long section: summarized in {len(chunks)} parts, then merged"
            result.parts = len(chunks)
            parts = []
            for n, chunk in enumerate(chunks, 1):
                part = self._ask(prompt, {**values, "section_title": f"{section.title} (part {n} of {len(chunks)})",
                                          "section_text": chunk}, result, report)
                parts.append(field_text(part.fields.get("summary", "")) or part.raw)
            answer = self._merge(document, section.title, parts, result, report)
            if extra:
                result.note = (result.note + "; " if result.note else "") + "re-asked about untraceable numbers"
        return self._fill(result, answer)

    def _merge(self, document: Document, title: str, parts: list[str], result: SectionResult,
               report: Callable[[SectionResult], None]) -> ParsedAnswer:
        merge = self.prompts.get("merge")
        empty = merge.render({"title": document.title, "section_title": title, "chunk_summaries": "",
                              "max_words": self.words_for(merge), "language": self.language})
        room = self.budget_for(merge).room_for_text(self.count_messages(empty))
        groups: list[list[str]] = [[]]
        used = 0
        for part in parts:
            n = self.tokenizer.count(part) + 8
            if groups[-1] and used + n > room:
                groups.append([])
                used = 0
            groups[-1].append(self._fit_text(part, room - 8))
            used += n
        merged = [self._ask(merge, {"title": document.title, "section_title": title, "chunk_summaries":
                                    _numbered(g)}, result, report) for g in groups]
        if len(merged) == 1:
            return merged[0]
        return self._merge(document, title, [field_text(m.fields.get("summary", "")) for m in merged], result, report)

    def _fill(self, result: SectionResult, answer: ParsedAnswer) -> SectionResult:
        result.fields = {k: v for k, v in answer.fields.items() if k != "reasoning"}
        result.reasoning = answer.reasoning
        result.summary = render_fields(result.fields)
        if not answer.ok:
            unstructured = "the model did not answer in the expected format; its text is shown as is"
            result.note = f"{result.note}; {unstructured}" if result.note else unstructured
        result.status = "cached" if result.cached and result.tokens_in == 0 else "done"
        return result

    def synthesize(self, document: Document, results: list[SectionResult]) -> tuple[str, dict]:
        synthesis = self.prompts.get("synthesis")
        done = [r for r in results if r.ok and r.summary]
        if not done:
            raise BackendError("No section was summarized, so there is nothing to synthesize.")
        if document.genre == "article" and len(done) == 1:
            # a news article in one part: its headline and summary are the overview; no extra call
            return done[0].summary, dict(done[0].fields)
        values = {"title": document.title, "brief": self.brief}
        empty = synthesis.render({**values, "section_summaries": "", "max_words": self.words_for(synthesis),
                                  "language": self.language})
        room = self.budget_for(synthesis).room_for_text(self.count_messages(empty))
        per = max(60, room // len(done) - 10)
        joined = "\n\n".join(f"## {r.title}\n{self._fit_text(r.summary, per)}" for r in done)
        joined = self._fit_text(joined, room) if self.tokenizer.count(joined) > room else joined
        answer = self._ask(synthesis, {**values, "section_summaries": joined}, None, None)
        fields = {k: v for k, v in answer.fields.items() if k != "reasoning"}
        return render_overview(fields), fields

    def usage(self) -> Usage:
        usage = Usage(self._usage.tokens_in, self._usage.tokens_out, self._usage.requests)
        price = self.settings.price
        if price:
            usage.cost_usd = (usage.tokens_in * price[0] + usage.tokens_out * price[1]) / 1_000_000
        return usage


_CLOSING_TAG = re.compile(r"</\s*(section|article|parts|summaries|abstract)\s*>", re.I)


def delimit(text: str) -> str:
    """Section text is data inside <section>…</section>: a closing tag inside it must not end the
    data early (prompt injection), so it is neutralised."""
    return _CLOSING_TAG.sub(lambda m: f"</ {m.group(1)}>", text)


def _numbered(parts: list[str]) -> str:
    return "\n\n".join(f"[part {i}]\n{p}" for i, p in enumerate(parts, 1))


def split_to_fit(text: str, max_tokens: int, tokenizer: Tokenizer) -> list[str]:
    """Split at paragraph boundaries, then sentences, then hard cuts, into chunks of ≤ max_tokens."""
    if tokenizer.count(text) <= max_tokens:
        return [text]
    units: list[str] = []
    for para in re.split(r"\n\s*\n", text):
        if not para.strip():
            continue
        if tokenizer.count(para) <= max_tokens:
            units.append(para)
            continue
        lang = "zh" if cjk_share(para) > 0.3 else "en"
        for sentence in split_sentences(para, lang):
            while tokenizer.count(sentence) > max_tokens:  # one enormous "sentence": cut by length
                cut = _longest_prefix(sentence, max_tokens, tokenizer)
                units.append(sentence[:cut])
                sentence = sentence[cut:]
            units.append(sentence)
    chunks: list[str] = []
    current: list[str] = []
    used = 0
    for unit in units:
        n = tokenizer.count(unit) + 2
        if current and used + n > max_tokens:
            chunks.append("\n\n".join(current))
            current, used = [], 0
        current.append(unit)
        used += n
    if current:
        chunks.append("\n\n".join(current))
    return chunks


def _longest_prefix(text: str, max_tokens: int, tokenizer: Tokenizer) -> int:
    """The longest prefix length of ``text`` that fits ``max_tokens`` (binary search)."""
    lo, hi = 1, len(text)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if tokenizer.count(text[:mid]) <= max_tokens:
            lo = mid
        else:
            hi = mid - 1
    return lo


_LABELS = {"contributions": "Contributions", "key_numbers": "Key numbers", "key_terms": "Key terms",
           "quote": "Quote", "headline": "Headline"}


def render_fields(fields: dict) -> str:
    """A section answer as Markdown: the summary, then labelled extra fields."""
    parts = []
    headline = field_text(fields.get("headline", ""))
    if headline:
        parts.append(f"**{headline}**")
    summary = field_text(fields.get("summary", ""))
    if summary:
        parts.append(summary)
    for key, value in fields.items():
        if key in ("summary", "headline"):
            continue
        text = field_text(value)
        if text:
            label = _LABELS.get(key, key.replace("_", " ").capitalize())
            parts.append(f"**{label}:**\n{text}" if "\n" in text or text.startswith("- ") else f"**{label}:** {text}")
    return "\n\n".join(parts)


_OVERVIEW = [("tldr", "TL;DR"), ("contributions", "Contributions"), ("method", "Method"), ("results", "Results"),
             ("limitations", "Limitations"), ("audience", "Who should read it")]


def render_overview(fields: dict) -> str:
    parts = []
    for key, label in _OVERVIEW:
        text = field_text(fields.get(key, ""))
        if text:
            parts.append(f"**{label}:**\n{text}" if text.startswith("- ") else f"**{label}:** {text}")
    known = {k for k, _ in _OVERVIEW}
    for key, value in fields.items():
        if key not in known and field_text(value):
            parts.append(f"**{key.replace('_', ' ').capitalize()}:** {field_text(value)}")
    return "\n\n".join(parts)
