"""Before a run: how many tokens it will send and receive, and what that costs.

The estimate renders each section's real prompt, counts it with the same tokenizer the budget
uses, counts small neighbouring sections asked together once (``llm.groups``), adds the parts
a long section is split into and the merge and synthesis calls, and
assumes each answer fills about two thirds of its reserved room. With ``describe_figures``, each figure with a
region (``Document.figures_to_describe``: located, not yet described) adds one request: the figure prompt with its
caption, and the image at ``requests.IMAGE_TOKENS_LOW`` tokens (OpenAI's price for detail "low"; an estimate for
other providers). The price is the chosen model's
(``Settings.price``: the maintained table in prices.json, or the user's price for that model name);
an unknown model gives tokens only and says so.
"""

from __future__ import annotations

from dataclasses import dataclass

from summarizer.config.prices import cost_usd
from summarizer.config.settings import Settings
from summarizer.model.document import Document


@dataclass
class Estimate:
    calls: int
    tokens_in: int
    tokens_out: int
    cost_usd: float | None
    exact_tokens: bool
    per_section: dict[int, int]  # section index → input tokens
    model: str = ""
    price: tuple[float, float] | None = None  # USD per 1M tokens (input, output) used for cost_usd
    figures: int = 0  # of ``calls``, the figures' descriptions (``describe_figures``)

    def describe(self) -> str:
        if self.cost_usd is not None:
            cost = f" ≈ ${self.cost_usd:.4f}"
        else:
            cost = f" (no price known for {self.model or 'this model'}: enter one on Settings)"
        approx = "" if self.exact_tokens else " (estimated: no tokenizer available)"
        figures = f" ({self.figures} for figure descriptions)" if self.figures else ""
        return f"{self.calls} calls{figures} · ~{self.tokens_in:,} tokens in · ~{self.tokens_out:,} tokens out{cost}{approx}"


def estimate_run(document: Document, settings: Settings, section_prompts: dict[int, str] | None = None) -> Estimate:
    from summarizer.llm.backend import GROUP_MAX_OUTPUT, LLMBackend, split_to_fit
    from summarizer.llm.prompts import load_prompts

    backend = LLMBackend(settings, prompts=load_prompts(settings.prompts_dir), client=_NoClient(), cache=None,
                         section_prompts=section_prompts)
    backend.language = settings.language_name(document.language)
    backend.brief = document.abstract[:2000] or document.title
    calls = tokens_in = tokens_out = 0
    per_section: dict[int, int] = {}
    todo = [i for i, section in enumerate(document.sections) if section.summarizable]
    whole = backend.whole_paper(document, todo)  # one request, the overall summary included
    synthesis = backend.prompts.get("synthesis")
    for unit in backend.plan_requests(document, todo) if len(todo) > 1 else [[i] for i in todo]:
        if len(unit) > 1:  # small neighbours asked in one request: its instructions are counted once
            calls += 1
            sizes = [backend.tokenizer.count(document.sections[i].text) for i in unit]
            prompt = backend.prompts.get("generic") if whole else backend.prompt_for(document, unit[0])
            values = {"title": document.title, "brief": "" if whole else backend.brief, "section_title":
                      document.sections[unit[0]].title, "kind": document.sections[unit[0]].kind, "section_text": "",
                      "max_words": backend.words_for(prompt), "language": backend.language}
            unit_in = backend.count_messages(prompt.render(values)) + sum(sizes) + 40 * len(unit)
            if whole:  # each part's own prompt answers, and the overview; within one answer's room
                tokens_out += min(GROUP_MAX_OUTPUT, int(0.66 * (synthesis.max_output_tokens + sum(
                    backend.prompt_for(document, i).max_output_tokens for i in unit))))
            else:
                tokens_out += int(prompt.max_output_tokens * 0.66) * len(unit)
            for i, size in zip(unit, sizes):
                per_section[i] = unit_in * size // max(1, sum(sizes))
            tokens_in += unit_in
            continue
        i = unit[0]
        section = document.sections[i]
        prompt = backend.prompt_for(document, i)
        values = {"title": document.title, "brief": backend.brief, "section_title": section.title, "kind": section.kind,
                  "section_text": "", "max_words": backend.words_for(prompt), "language": backend.language}
        overhead = backend.count_messages(prompt.render(values))
        room = backend.budget_for(prompt).room_for_text(overhead)
        chunks = split_to_fit(section.text, max(room, 200), backend.tokenizer) if room > 0 else [section.text]
        section_in = sum(overhead + backend.tokenizer.count(c) for c in chunks)
        out = int(prompt.max_output_tokens * 0.66)
        calls += len(chunks) + (1 if len(chunks) > 1 else 0)
        tokens_out += out * (len(chunks) + (1 if len(chunks) > 1 else 0))
        if len(chunks) > 1:
            section_in += overhead + out * len(chunks)
        per_section[i] = section_in
        tokens_in += section_in
    if per_section and not whole:
        calls += 1
        tokens_in += backend.count_messages(synthesis.render({"title": document.title, "brief": backend.brief,
                                                                "section_summaries": "", "language": backend.language})) \
            + int(synthesis.max_output_tokens * 0.66) * len(per_section) // 2
        tokens_out += int(synthesis.max_output_tokens * 0.66)
    # the local model reads no image (``LLMBackend.images_accepted``): it is sent none
    figures = figure_requests(backend, document) if settings.describe_figures and not settings.is_local else []
    calls += len(figures)
    tokens_in += sum(tokens for tokens, _ in figures)
    tokens_out += sum(out for _, out in figures)
    price = settings.price
    cost = cost_usd(tokens_in, tokens_out, price)
    return Estimate(calls, tokens_in, tokens_out, cost, backend.tokenizer.exact, per_section, settings.model, price,
                    len(figures))


def figure_requests(backend, document: Document) -> list[tuple[int, int]]:
    """(tokens in, tokens out) of each figure's description request: its prompt with the caption, and the image."""
    from summarizer.llm.answer_checks import FIGURE_MAX_WORDS
    from summarizer.llm.backend import delimit_caption
    from summarizer.llm.requests import IMAGE_TOKENS_LOW

    prompt = backend.prompts.get("figure")
    out = []
    for figure in document.figures_to_describe():
        messages = backend.render(prompt, {"title": document.title, "caption": delimit_caption(figure.caption),
                                           "max_words": FIGURE_MAX_WORDS})
        out.append((backend.count_messages(messages) + IMAGE_TOKENS_LOW, int(prompt.max_output_tokens * 0.66)))
    return out


class _NoClient:
    """Stands in for the chat client: an estimate never sends anything."""

    def complete(self, *args, **kwargs):
        raise RuntimeError("an estimate sends no requests")
