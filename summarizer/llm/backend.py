"""The LLM backend: what to ask, section by section, over the one request path (``requests``).

Each section is routed to its section-specific chain-of-thought prompt; small neighbours may share one
request, and a short paper may be asked whole; every section call gets the same short brief, so all can
run at once; a section that does not fit the context is split at paragraph/sentence boundaries, its parts
summarized and merged by one more call (field note 9); the overall summary is asked last. The backend hands
over each answer's fields; ``output/`` writes the Markdown.

With ``Settings.describe_figures``, the engine also hands it each located figure's image (``describe_figure``):
one request per figure, with the image, for a one-line description. The first such request goes alone; an
endpoint that refuses it (a text-only model) gets no other, the figures keep their captions, and the run says so
once (``FIGURES_SKIPPED``); a description that fails its checks twice is left out. None of it fails a section.
"""

from __future__ import annotations

import json
import logging
import re
import threading
from collections.abc import Callable
from dataclasses import replace

from summarizer.config.settings import Settings
from summarizer.llm.answer_checks import (
    FIGURE_MAX_WORDS,
    copied_from_one,
    description_problem,
    repeated_summaries,
    says_no_image,
    schema_problems,
    strip_delimiters,
)
from summarizer.llm.answers import ParsedAnswer, field_text, parse_answer
from summarizer.llm.cache import AnswerCache
from summarizer.llm.client import ChatClient
from summarizer.llm.groups import (
    Candidate,
    group_entries,
    group_instruction,
    group_schema,
    group_text,
    group_title,
    plan_groups,
    whole_answer_fits,
    whole_instruction,
    whole_paper_fits,
    whole_schema,
)
from summarizer.llm.prompts import PromptSet, PromptTemplate, default_prompts, route_prompt
from summarizer.llm.requests import RECHECK, ImageInput, ModelRequests, bounded_schema
from summarizer.model.document import Document, Float
from summarizer.model.errors import BackendError, Cancelled, ContextOverflow, EndpointUnavailable, ImagesRefused
from summarizer.model.results import SectionResult, Status
from summarizer.text.language import cjk_share
from summarizer.text.sentences import split_sentences
from summarizer.text.tokens import Tokenizer

log = logging.getLogger(__name__)

BRIEF_TOKENS = 40  # the brief: the abstract's first sentences, not the whole abstract
BRIEF_HELPS_BELOW = 300  # sections shorter than this (tokens) get the brief with them
OVERVIEW_SHARE = 0.1  # the synthesis call reads section summaries worth at most this share of the document
GROUP_MAX_OUTPUT = 4_096  # a group's answer room: within the output limit of common models (gpt-3.5, DeepSeek)
OVERFLOW_RETRIES = 2
#: The run's one notice when the endpoint refuses images.
FIGURES_SKIPPED = "The model does not accept images; figure descriptions skipped."
FIGURE_REASK = ("\n\nYour previous answer could not be used: {problem}. Look at the image again and say in one sentence "
                "of your own words what the figure shows, as the JSON object asked for.")


class LLMBackend(ModelRequests):
    """Summarizes through a chat-completions endpoint chosen by base URL, key and model: which prompt each
    section gets, which sections share a request, long sections split and merged, the overall summary."""

    def __init__(self, settings: Settings, prompts: PromptSet | None = None, client: ChatClient | None = None,
                 cache: AnswerCache | None = None, section_prompts: dict[int, str] | None = None) -> None:
        super().__init__(settings, prompts, client, cache)
        self.section_prompts = section_prompts or {}
        self.brief = ""
        self.feedback: dict[int, str] = {}  # section index → a problem found in its previous answer
        self.groups_unusable = False  # a group's answer was of no use (learned): ask each section alone
        self.overview: dict | None = None  # the overall summary's fields, when a whole paper's answer held them
        self.describes_figures = True  # it can be handed figures' images (the endpoint may still refuse them)
        # learned from the run's first image request (None: not yet); our local llama.cpp server loads no vision
        # projector, so it never reads one
        self.images_accepted: bool | None = False if self.settings.is_local else None
        self._images_gate = threading.Lock()  # held by that first request: the others wait for its verdict
        self._notice_lock = threading.Lock()

    def prompt_for(self, document: Document, index: int) -> PromptTemplate:
        section = document.sections[index]
        chosen = self.section_prompts.get(index)
        if chosen and chosen in self.prompts.prompts:
            return self.prompts.get(chosen)
        return route_prompt(self.prompts, section.kind, section.title, document.genre)

    def prepare(self, document: Document) -> None:
        """Fix the output language and the short brief every section call shares."""
        self.overview = None
        self.language = self.settings.language_name(document.language)
        calibrate = getattr(self.client, "calibrate_tokens", None)
        if calibrate is not None:
            sample = document.text[:20000]
            ratio = calibrate(sample, self.tokenizer.count(sample))
            if ratio:
                self.token_ratio = max(self.token_ratio, ratio)
        abstract = document.abstract.strip()
        if not abstract:
            first = next((s.text for s in document.sections if s.summarizable), "")
            self.brief = self.fit_text(first, BRIEF_TOKENS)
            return
        self.brief = self.fit_text(abstract, BRIEF_TOKENS)

    def plan_requests(self, document: Document, indices: list[int]) -> list[list[int]]:
        """The sections to summarize, as requests: small neighbours with the same prompt share one
        (``groups``); a section re-asked about a problem, or the abstract (the brief's source),
        is asked alone."""
        if self.whole_paper(document, indices):
            return [sorted(indices)]
        candidates = [Candidate(i, self.tokenizer.count(document.sections[i].text), self.prompt_for(document, i).name,
                                alone=i in self.feedback or document.sections[i].kind == "abstract") for i in indices]
        return plan_groups(candidates, self._group_below())

    def _group_below(self) -> int:
        # the local model's tokens are free, and a small model answers for several sections badly
        return 0 if self.settings.is_local else int(self.settings.group_below or 0)

    def whole_paper(self, document: Document, indices: list[int]) -> bool:
        """A short paper is asked in one request, overall summary included (``groups``): when
        ``indices`` are all the sections it has to summarize, grouping is on, no section is being
        re-asked, and every prompt involved is a default one: a section prompt the user chose or edited
        is honoured by asking that section with it."""
        below = int(getattr(self.settings, "whole_paper_below", 0) or 0)
        if document.genre != "paper" or not below or not self._group_below() or self.feedback or self.section_prompts \
                or self.groups_unusable or not self.schema_trusted:  # each part's fields are named by the schema only
            return False
        if sorted(indices) != [i for i, s in enumerate(document.sections) if s.summarizable]:
            return False
        prompts = [self.prompt_for(document, i) for i in indices]
        defaults = default_prompts()
        used = {p.name: p for p in [*prompts, self.prompts.get("generic"), self.prompts.get("synthesis")]}
        if any(name not in defaults or p.to_dict() != defaults[name].to_dict() for name, p in used.items()):
            return False
        return whole_paper_fits([self.tokenizer.count(document.sections[i].text) for i in indices], below) and \
            whole_answer_fits([self.words_for(p) for p in prompts], self.words_for(self.prompts.get("synthesis")),
                              GROUP_MAX_OUTPUT)

    def _focus(self, prompt: PromptTemplate) -> str:
        """What a part asked in a whole paper's request is to give: its own prompt's summary field
        (the generic prompt's says nothing more than "the main points": none)."""
        if prompt.name == "generic":
            return ""
        described = str(prompt.fields.get("summary", "")) or prompt.description
        return re.sub(r"^\s*Markdown bullets:\s*", "", described)

    def summarize_group(self, document: Document, results: list[SectionResult],
                        report: Callable[[SectionResult], None]) -> None:
        """Summarize several small sections in one request (or a short paper whole, overall summary
        included). Each section the answer covers well is filled (and checked as if asked alone, against
        its own prompt); the others are left as they were, to be asked alone. Once a group's answer was of
        no use at all, this model is not asked for groups again in the run."""
        if self.groups_unusable:
            return
        sections = [document.sections[r.index] for r in results]
        n = len(results)
        whole = self.whole_paper(document, [r.index for r in results])
        # each part's own prompt; a whole paper is asked through the generic prompt's messages
        parts = [self.prompt_for(document, r.index) for r in results]
        if not whole and len({p.name for p in parts}) > 1:
            return  # only a whole paper mixes prompts (planned so, but no longer whole): each is asked alone
        prompt = self.prompts.get("generic") if whole else parts[0]
        synthesis = self.prompts.get("synthesis") if whole else None
        titles = [s.title for s in sections]
        brief = "" if whole else self._brief_for([s.text for s in sections])
        values = {"title": document.title, "brief": brief, "section_title": "all sections" if whole else group_title(titles),
                  "kind": ("paper" if whole else sections[0].kind) if document.genre == "paper" else "news",
                  "section_text": group_text([(s.title, delimit(s.text)) for s in sections])}
        if synthesis is not None:
            values["max_words"] = max(self.words_for(p) for p in parts)
            extra = whole_instruction([(self._focus(p), self.words_for(p)) for p in parts], self.words_for(synthesis),
                                      list(synthesis.fields))
        else:
            extra = group_instruction(n, self.words_for(prompt))
        try:
            call = self.sized(prompt, values, extra)
        except BackendError:
            return
        if call.room < 2 * prompt.max_output_tokens:  # a small context: the answers would not fit together
            return
        if synthesis is not None and not whole_answer_fits([self.words_for(p) for p in parts], self.words_for(synthesis),
                                                            min(call.room, GROUP_MAX_OUTPUT)):
            return  # the context left too little room: the answer would be cut, so each section is asked alone
        room = sum(p.max_output_tokens for p in parts) + (synthesis.max_output_tokens if synthesis else 0)
        if synthesis is not None:
            schema = whole_schema([self.schema_for(p) for p in parts], self.schema_for(synthesis))
            grammar = whole_schema([bounded_schema(p, self.scale) for p in parts], bounded_schema(synthesis, self.scale))
            # every prompt's whole text is in the key: editing one (a new release's defaults) asks again
            key_schema = {"answer": whole_schema([p.json_schema() for p in parts], synthesis.json_schema()),
                          "prompts": [p.to_dict() for p in (*parts, synthesis)]}
        else:
            schema, key_schema = group_schema(self.schema_for(prompt), n), group_schema(prompt.json_schema(), n)
            grammar = group_schema(bounded_schema(prompt, self.scale), n)
        call = replace(call, max_tokens=min(call.room, room, GROUP_MAX_OUTPUT), schema=schema, grammar_schema=grammar)
        key = self.cache_key(call, key_schema)
        hit = self.cache.get(key) if self.cache is not None else None
        lead = results[0]
        overview = None
        if hit is not None:
            overview = hit.get("overview")
            entries = hit.get("entries") or [None] * n
        elif (fresh := [r for r in results if not self._cached_alone(document, r.index)]) != results:
            # some were answered before (alone, or in another request whose parts were kept under their own
            # keys): they come from the cache when asked alone, and only the others are asked, together if
            # they still make a group (a prompt edit re-runs only the sections that use the prompt)
            if len(fresh) > 1:
                self.summarize_group(document, fresh, report)
            return
        else:
            before = (lead.tokens_in, lead.tokens_out, lead.attempts)
            try:
                completion = self.call(call, lead, report)  # no terser retry: a cut answer's sections are asked alone
            except ContextOverflow as exc:
                self.learn_overflow(exc)
                return
            except (Cancelled, EndpointUnavailable):
                raise
            except BackendError:  # refused (an output limit below what a group asks, say): not again this run
                self.groups_unusable = True
                raise
            _share_usage(results, [self.tokenizer.count(s.text) for s in sections], before)
            answer = parse_answer(completion.text, getattr(completion, "reasoning", ""))
            cut = completion.finish_reason == "length"
            entries = group_entries(answer.fields, n) if answer.ok and not cut else [None] * n
            if synthesis is not None and answer.ok and not cut:
                overview = self._checked_overview(answer.fields.get("overview"), synthesis, document, extra)
        if synthesis is not None and overview:
            self.overview = overview
        if hit is not None and not any(entries):  # this model's answer for this group was of no use: known, not paid again
            self.groups_unusable = True
            return
        kept: list[dict | None] = []
        repeated = repeated_summaries([field_text((e or {}).get("summary", "")) for e in entries])
        for position, (result, section, entry, own) in enumerate(zip(results, sections, entries, parts)):
            part = parse_answer(json.dumps(entry, ensure_ascii=False)) if entry and position not in repeated else None
            ctx = self.context_for(own, {**values, "section_title": section.title, "section_text": section.text}, extra)
            if part is None or not part.ok or self.judge(part, own, ctx) or not self._language_ok(part):
                kept.append(None)
                continue
            part.fields = {k: strip_delimiters(v) if isinstance(v, str) else v for k, v in part.fields.items()}
            kept.append(entry)
            result.prompt, result.cached = own.name, hit is not None
            result.asked_with = [t for t in titles if t != section.title]
            if self._fill(result, part, own).structured and hit is None:
                self._keep_alone(document, result.index, part)
        if hit is None and self.cache is not None:  # a useless answer too: a re-run does not pay for it again
            self.cache.set(key, {"entries": kept, "overview": overview})
        if hit is None and not any(kept):
            log.info("the answer for %d sections together was not usable: each is asked alone, and so are the "
                     "sections of later groups in this run", n)
            self.groups_unusable = True

    def _checked_overview(self, raw: object, synthesis: PromptTemplate, document: Document,
                          extra: str = "") -> dict | None:
        """A whole paper's overall summary, if it passes the checks a synthesis answer gets: every field
        of the synthesis prompt, not an echo of our instructions nor a copy of the text, in the right
        language. ``None`` otherwise: the overall summary is then asked on its own."""
        if not isinstance(raw, dict):
            return None
        answer = parse_answer(json.dumps(raw, ensure_ascii=False))
        ctx = self.context_for(synthesis, {"title": document.title, "section_text": document.text}, extra)
        if not answer.ok or schema_problems(answer.fields, synthesis.json_schema()) or \
                self.judge(answer, synthesis, ctx) or not self._language_ok(answer):
            log.info("the overall summary in the whole paper's answer was not usable: asked on its own")
            return None
        return {k: strip_delimiters(v) if isinstance(v, str) else v for k, v in answer.fields.items()}

    def summarize_section(self, document: Document, result: SectionResult,
                          report: Callable[[SectionResult], None]) -> SectionResult:
        for attempt in range(OVERFLOW_RETRIES + 1):
            try:
                return self._summarize_section(document, result, report)
            except ContextOverflow as exc:
                if attempt == OVERFLOW_RETRIES:
                    raise
                self.learn_overflow(exc)
                result.note = "the context window was smaller than budgeted: re-split"
        raise AssertionError("unreachable")

    def _brief_for(self, texts: list[str]) -> str:
        """The brief for a request carrying ``texts`` (one section's, or a group's): it gives text too
        short to carry its own context what it lacks; a longer text carries its own, and text the brief
        was taken from would get the same words twice."""
        short = self.tokenizer.count("\n".join(texts)) < BRIEF_HELPS_BELOW
        return self.brief if short and not any(_same_text(t, self.brief) for t in texts) else ""

    def _alone(self, document: Document, index: int) -> tuple[PromptTemplate, dict, str, list[str]]:
        """How a section is asked on its own: its prompt, the values, any re-ask text, and its text in
        the parts that fit the context."""
        section = document.sections[index]
        prompt = self.prompt_for(document, index)
        brief = "" if section.kind == "abstract" else self._brief_for([section.text])
        values = {"title": document.title, "brief": brief, "section_title": section.title,
                  "kind": section.kind if document.genre == "paper" else "news"}
        empty = self.render(prompt, {**values, "section_text": ""})
        room = self.budget_for(prompt).room_for_text(self.count_messages(empty))
        if room < 200:
            raise BackendError("The model's context window is too small for this prompt; raise the context window in Settings.")
        extra = RECHECK.format(problem=self.feedback[index]) if index in self.feedback else ""
        chunks = split_to_fit(delimit(section.text), room - self.tokenizer.count(extra), self.tokenizer)
        return prompt, values, extra, chunks

    def _alone_key(self, document: Document, index: int) -> str | None:
        """The cache key of the section's answer when asked alone in one request; ``None`` when it
        would not be (a long section is asked in parts) or the context is too small."""
        if self.cache is None:
            return None
        try:
            prompt, values, extra, chunks = self._alone(document, index)
            if len(chunks) != 1:
                return None
            return self.cache_key(self.sized(prompt, {**values, "section_text": chunks[0]}, extra), prompt.json_schema())
        except BackendError:
            return None

    def _cached_alone(self, document: Document, index: int) -> bool:
        """The section's own answer is in the cache (asked alone, or kept from a group's answer)."""
        key = self._alone_key(document, index)
        return key is not None and self.cache.get(key) is not None

    def _keep_alone(self, document: Document, index: int, answer: ParsedAnswer) -> None:
        """Keep a section's part of a group's (or a whole paper's) answer under the key it has when asked
        alone: the cache depends on that section's prompt and text only, so when another section's prompt is
        edited or chosen (which ends the grouping or the whole-paper request) this one is not asked again."""
        key = self._alone_key(document, index)
        if key is not None:
            self.cache.set(key, {"fields": answer.fields, "ok": answer.ok, "raw": answer.raw, "reasoning": answer.reasoning})

    def _summarize_section(self, document: Document, result: SectionResult,
                           report: Callable[[SectionResult], None]) -> SectionResult:
        section = document.sections[result.index]
        prompt, values, extra, chunks = self._alone(document, result.index)
        result.prompt = prompt.name
        if len(chunks) == 1:
            answer = self._ask(prompt, {**values, "section_text": chunks[0]}, result, report, extra)
        else:
            result.note = f"long section: summarized in {len(chunks)} parts, then merged"
            result.parts = len(chunks)
            parts = []
            for n, chunk in enumerate(chunks, 1):
                part = self._ask(prompt, {**values, "section_title": f"{section.title} (part {n} of {len(chunks)})",
                                          "section_text": chunk}, result, report)
                parts.append(field_text(part.fields.get(prompt.main_field, "")) or field_text(part.fields))
            answer = self._merge(document, section.title, parts, result, report)
            prompt = self.prompts.get("merge")  # the merged answer has the merge prompt's fields
            if extra:
                result.note = (result.note + "; " if result.note else "") + "re-asked about untraceable numbers"
        return self._fill(result, answer, prompt)

    def _merge(self, document: Document, title: str, parts: list[str], result: SectionResult,
               report: Callable[[SectionResult], None]) -> ParsedAnswer:
        merge = self.prompts.get("merge")
        empty = self.render(merge, {"title": document.title, "section_title": title, "chunk_summaries": ""})
        room = self.budget_for(merge).room_for_text(self.count_messages(empty))
        groups: list[list[str]] = [[]]
        used = 0
        for part in parts:
            n = self.tokenizer.count(part) + 8
            if groups[-1] and used + n > room:
                groups.append([])
                used = 0
            groups[-1].append(self.fit_text(part, room - 8))
            used += n
        merged = [self._ask(merge, {"title": document.title, "section_title": title, "chunk_summaries":
                                    _numbered(g)}, result, report) for g in groups]
        if len(merged) == 1:
            return merged[0]
        return self._merge(document, title, [field_text(m.fields.get("summary", "")) for m in merged], result, report)

    def _fill(self, result: SectionResult, answer: ParsedAnswer, prompt: PromptTemplate) -> SectionResult:
        """The section's fields, summary and status: ``done`` only for schema-valid fields."""
        result.fields = dict(answer.fields)
        result.reasoning = answer.reasoning or result.reasoning
        result.summary = ""  # written from the fields by output/, once the section is answered
        missing = schema_problems(answer.fields, prompt.json_schema()) if answer.ok else []
        result.structured = answer.ok and not missing
        if result.structured:
            result.status = Status.CACHED if result.cached and result.tokens_in == 0 else Status.DONE
            return result
        why = ("the model answered in free text, not in the expected fields; its text is shown as is"
               if not answer.ok else f"the model's answer lacked the expected fields ({', '.join(missing)})")
        result.note = f"{result.note}; {why}" if result.note else why
        result.status = Status.UNSTRUCTURED
        return result

    def synthesize(self, document: Document, results: list[SectionResult]) -> tuple[str, dict]:
        synthesis = self.prompts.get("synthesis")
        done = [r for r in results if r.ok and (r.summary or r.fields)]
        if not done:
            raise BackendError("No section was summarized, so there is nothing to synthesize.")
        if document.genre == "article" and len(done) == 1:
            # a news article in one part: its headline and summary are the overview; no extra call
            self.notices.append("The overall summary is the summary of the article's only part (no separate "
                                "synthesis call)" + (", which came as free text." if done[0].status == "unstructured" else "."))
            return done[0].summary, dict(done[0].fields)
        if self.overview is not None:  # the whole paper's answer held it: no request of its own
            return self._overview(dict(self.overview), True, done)
        abstract_done = any(r.kind == "abstract" for r in done)
        values = {"title": document.title, "brief": "" if abstract_done else self.brief}
        empty = self.render(synthesis, {**values, "section_summaries": ""})
        room = self.budget_for(synthesis).room_for_text(self.count_messages(empty))
        # the summaries themselves (not their extra fields), within a share of the document's size
        share = int(OVERVIEW_SHARE * self.tokenizer.count(document.text) / len(done))
        per = max(40, min(room // len(done) - 10, share))
        joined = "\n\n".join(f"## {r.title}\n{self.fit_text(field_text(r.fields.get('summary', '')) or r.summary, per)}"
                               for r in done)
        joined = self.fit_text(joined, room) if self.tokenizer.count(joined) > room else joined
        answer = self._ask(synthesis, {**values, "section_summaries": joined}, None, None)
        return self._overview(dict(answer.fields), answer.ok, done)

    def describe_figure(self, document: Document, figure: Float, png: bytes) -> None:
        """``figure.description``: one sentence on what its image ``png`` shows, by this model, or left empty
        (the endpoint refuses images, said once in ``notices``; or two answers failed their checks). Until the
        endpoint has taken one image, one request at a time: a text-only server is sent one image, not one per
        figure in flight."""
        if self.images_accepted is False or not self.client_accepts_images():
            self._images_refused()
            return
        self._images_gate.acquire()
        if self.images_accepted is not None:  # the first request's verdict is known: ask at once, alongside others
            self._images_gate.release()
            if self.images_accepted:
                self._describe(document, figure, png)
            return
        try:
            self._describe(document, figure, png)
        finally:
            self._images_gate.release()

    def client_accepts_images(self) -> bool:
        """False once the endpoint refused an image, in this run or an earlier one of the process."""
        known = getattr(self.client, "accepts_images", True)  # a stand-in client (an estimate) knows nothing
        return known is not False

    def _describe(self, document: Document, figure: Float, png: bytes) -> None:
        prompt = self.prompts.get("figure")
        caption = delimit_caption(figure.caption)
        values = {"title": document.title, "caption": caption, "max_words": FIGURE_MAX_WORDS}

        def check(answer: ParsedAnswer) -> str:
            if says_no_image(description_of(answer)):  # the server dropped the image: a refusal in words
                raise ImagesRefused(f"The model at {self.settings.host} answered that it was sent no image it could see.")
            return description_problem(description_of(answer), figure.caption)

        try:
            answer = self._ask(prompt, values, None, None, image=ImageInput(png), check=check, reask=FIGURE_REASK)
        except ImagesRefused as exc:
            log.info("%s: no description: %s", figure.label, exc)
            self._images_refused()
            return
        except ContextOverflow as exc:  # a few hundred tokens and an image that did not fit: the server read the
            # image's data as text (a text-only template), which a model that reads images does not do
            log.info("%s: no description: the request with its image did not fit (%s)", figure.label, exc)
            self._images_refused()
            return
        except (Cancelled, EndpointUnavailable):
            raise
        except BackendError as exc:  # a description is an extra: its failure is logged, never a failed section
            log.info("%s: no description (%s)", figure.label, exc)
            return
        self.images_accepted = True
        # checked by ``check`` (never empty), a cached answer when it was kept
        figure.description, figure.described_by = description_of(answer), self.settings.model

    def _images_refused(self) -> None:
        with self._notice_lock:
            self.images_accepted = False
            if FIGURES_SKIPPED not in self.notices:
                self.notices.append(FIGURES_SKIPPED)

    def _overview(self, fields: dict, ok: bool, done: list[SectionResult]) -> tuple[str, dict]:
        """The overall summary: ("", its fields), which output/ writes as Markdown, or (its free text, its
        fields) where the model gave no fields; with a notice where it is free text or a copy."""
        overview = "" if ok else field_text(fields.get("summary", ""))
        if not ok:
            self.notices.append("The overall summary came as free text, not in the expected fields.")
        said = overview or "\n".join(field_text(v) for v in fields.values())
        copied = copied_from_one(said, [r.summary or field_text(r.fields.get("summary", "")) for r in done])
        if copied is not None:
            self.notices.append(f"The overall summary mostly repeats the summary of one section "
                                f"(“{done[copied].title}”).")
        return overview, fields


def _share_usage(results: list[SectionResult], sizes: list[int], before: tuple[int, int, int]) -> None:
    """A group's request was counted on its first section: share its tokens out by section size."""
    lead = results[0]
    used_in, used_out = lead.tokens_in - before[0], lead.tokens_out - before[1]
    total = max(1, sum(sizes))
    for result, size in zip(results[1:], sizes[1:]):
        share_in, share_out = used_in * size // total, used_out * size // total
        result.tokens_in += share_in
        result.tokens_out += share_out
        result.attempts += lead.attempts - before[2]  # the tries of the request its answer came from
        lead.tokens_in -= share_in
        lead.tokens_out -= share_out


def _same_text(a: str, b: str) -> bool:
    """True when ``b`` is (a prefix of) ``a``, whitespace aside: the brief taken from this section."""
    na, nb = " ".join(a.split()), " ".join(b.split())
    return bool(nb) and na.startswith(nb[: max(40, len(nb) // 2)])


_CLOSING_TAG = re.compile(r"</\s*(section|article|parts|summaries|abstract)\s*>", re.I)
_PART_TAG = re.compile(r"<(\s*part\b)", re.I)


def delimit(text: str) -> str:
    """Section text is data inside <section>…</section>: a closing tag inside it must not end the
    data early (prompt injection), and a ``<part …>`` tag (our marker between a group's sections) must
    not start a part, so both are neutralised."""
    return _PART_TAG.sub(r"< \1", _CLOSING_TAG.sub(lambda m: f"</ {m.group(1)}>", text))


def description_of(answer: ParsedAnswer) -> str:
    """A figure's description from its answer: the "description" field (or, from a model that named it otherwise
    or answered in free text, the text it gave), on one line."""
    fields = answer.fields
    value = fields.get("description") or fields.get("summary") or \
        next((v for v in fields.values() if isinstance(v, str) and v.strip()), "")
    return " ".join(field_text(value).split())


_CLOSING_CAPTION = re.compile(r"</\s*caption\s*>", re.I)


def delimit_caption(caption: str) -> str:
    """A caption is data inside <caption>…</caption>: a closing tag inside it must not end the data early."""
    return _CLOSING_CAPTION.sub("</ caption>", caption)


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
                cut = tokenizer.longest_prefix(sentence, max_tokens)
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
