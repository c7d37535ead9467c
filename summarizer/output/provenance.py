"""How a summary was made, as the exports state it: the backend, the model, the endpoint's host (never a key, a
user name or a path), the prompts in force (a short hash of each, and one for the set), when, what it cost, and how
many numbers could not be traced to the source. A reader of a Word file or a web page has nothing else to go on."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone

from summarizer.model.results import DocumentSummary


@dataclass(frozen=True)
class Provenance:
    """What an export says about its making. Build it with ``Provenance.of`` (from a run and its settings) or
    directly (a run reopened from History, whose stored settings hold the same facts)."""

    backend: str
    model: str = ""
    host: str = ""  # the endpoint's host[:port] only
    prompts: Mapping[str, str] = field(default_factory=dict)  # prompt name -> short content hash
    when: datetime | None = None
    cost_usd: float | None = None
    unverified: int = 0  # numbers in the summary not found in the source
    offline: bool = False  # no model was paid for (the built-in summarizer)

    @property
    def prompt_set(self) -> str:
        """One short hash for the whole set of prompts ("" when no prompt was used)."""
        if not self.prompts:
            return ""
        text = json.dumps(dict(sorted(self.prompts.items())), sort_keys=True)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()[:10]

    @property
    def date(self) -> str:
        """When, as "2026-01-31 14:05 UTC"."""
        when = (self.when or datetime.now(timezone.utc)).astimezone(timezone.utc)
        return when.strftime("%Y-%m-%d %H:%M UTC")

    @property
    def cost(self) -> str:
        """The cost as a reader reads it: dollars, "none (offline)", or "not priced" when the model has no price."""
        if self.offline:
            return "none (offline)"
        return "not priced" if self.cost_usd is None else f"${self.cost_usd:.4f}"

    def rows(self) -> list[tuple[str, str]]:
        """(label, value) pairs for a provenance block; a fact that does not apply (no model offline) is left out."""
        rows = [("Backend", self.backend)]
        rows += [("Model", self.model)] if self.model else []
        rows += [("Endpoint host", self.host)] if self.host else []
        if self.prompts:
            rows.append(("Prompts", f"set {self.prompt_set} ({len(self.prompts)} prompts: "
                         + ", ".join(f"{name} {digest}" for name, digest in sorted(self.prompts.items())) + ")"))
        rows += [("Generated", self.date), ("Cost", self.cost), ("Unverified numbers", str(self.unverified))]
        return rows

    @classmethod
    def of(cls, result: DocumentSummary, settings=None, when: datetime | None = None,
           prompts: Mapping[str, str] | None = None) -> Provenance:
        """The provenance of a run: its backend label and cost from ``result``; the model, the endpoint's host and
        the prompts from ``settings`` (``config.Settings``) where given. ``prompts`` (name -> hash, as History keeps
        them) spares reading the prompt files again."""
        llm = settings is not None and getattr(settings, "backend", "") == "llm"
        local = llm and bool(getattr(settings, "model_path", None))
        model = (os.path.basename(str(settings.model_path)) if local else settings.model) if llm else ""
        if llm and prompts is None:
            from summarizer.llm.prompts import prompt_versions

            prompts = prompt_versions(settings)
        return cls(result.backend, model, settings.host if llm and not local else "", dict(prompts or {}), when,
                   result.usage.cost_usd, result.unverified_count,
                   offline=not llm and (settings is not None or result.backend.startswith("extractive")))
