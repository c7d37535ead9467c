"""Prompts as data: JSON5 files validated into ``PromptTemplate`` objects, and ``route_prompt``.

A template names its variables as ``{name}``; only known names are allowed and each role has the
ones it must use (a section prompt without ``{section_text}`` would summarize nothing). Other
braces (JSON examples) are left alone. A broken file is reported with its name and line, and the
default for that prompt is used instead, so the app keeps running.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import threading
from dataclasses import dataclass, field, replace
from pathlib import Path

from summarizer.config.paths import PROMPTS_DIR, cache_dir, write_atomic
from summarizer.model.errors import PromptError

log = logging.getLogger(__name__)

#: The longest string bound sent in a schema: llama.cpp turns ``maxLength`` into nested grammar rules
#: and its parser refuses a string bound much beyond 1,000 characters (llama-cpp-python 0.3.x: 1,000
#: compiles, 1,020 does not — and its server aborts on it, killing every request of the run).
GRAMMAR_MAX_CHARS = 960

_VAR = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
_SAFE_NAME = re.compile(r"^[A-Za-z0-9_\-]{1,64}$")

#: Variables every template may use, and what they hold.
VARIABLES = {
    "title": "the document title",
    "brief": "a short brief of the whole paper (title + abstract)",
    "section_title": "the title of the section being summarized",
    "section_text": "the section text, passed as delimited data",
    "kind": "the section kind (method, results, ...)",
    "language": "the output language, in words",
    "max_words": "the length limit for the summary",
    "fields": "the JSON answer fields, with what each must hold",
    "abstract": "the abstract (brief prompt)",
    "section_summaries": "the section summaries (synthesis prompt)",
    "chunk_summaries": "summaries of the parts of one long section (merge prompt)",
    "question": "the reader's question about the document (ask prompt)",
    "passages": "the document's passages retrieved for the question, each with its citation (ask prompt)",
    "history": "the earlier questions and answers of the conversation (ask prompt)",
    "document": "the document's text, cut to fit (judge prompt)",
    "summary_1": "the first of two summaries compared (judge prompt)",
    "summary_2": "the second of two summaries compared (judge prompt)",
    "columns": "the literature table's columns, each with what its cell must hold (table prompt)",
    "cells": "the literature table's cells with their citations, per paper (table_synthesis prompt)",
    "caption": "a figure's caption, passed as delimited data beside its image (figure prompt)",
}
REQUIRED = {
    "section": {"section_text"},
    "brief": {"abstract"},
    "synthesis": {"section_summaries"},
    "merge": {"chunk_summaries"},
    "ask": {"question", "passages"},
    "judge": {"summary_1", "summary_2"},
    "table": {"columns", "passages"},
    "table_synthesis": {"cells"},
    "figure": {"caption"},
}


@dataclass
class PromptTemplate:
    """One prompt: which sections it serves, its messages, and the answer it asks for."""

    name: str
    role: str = "section"
    description: str = ""
    kinds: list[str] = field(default_factory=list)
    keywords: list[str] = field(default_factory=list)
    system: str = ""
    user: str = ""
    fields: dict[str, str] = field(default_factory=dict)
    max_words: int = 150
    max_output_tokens: int = 800
    examples: list[dict] = field(default_factory=list)
    source: str = ""  # file it came from

    @property
    def variables(self) -> set[str]:
        return set(_VAR.findall(self.system)) | set(_VAR.findall(self.user))

    def validate(self) -> None:
        where = self.source or self.name
        if not _SAFE_NAME.match(self.name):
            raise PromptError(f"{where}: the prompt name '{self.name}' may only use letters, digits, '-' and '_'.")
        if self.role not in REQUIRED:
            raise PromptError(f"{where}: unknown role '{self.role}' (use one of {', '.join(REQUIRED)}).")
        if not self.user.strip():
            raise PromptError(f"{where}: the user template is empty.")
        unknown = sorted(self.variables - set(VARIABLES))
        if unknown:
            raise PromptError(f"{where}: unknown variable {{{unknown[0]}}} (known: {', '.join(sorted(VARIABLES))}).")
        missing = sorted(REQUIRED[self.role] - self.variables)
        if missing:
            raise PromptError(f"{where}: the template must use {{{missing[0]}}}.")
        if "reasoning" in self.fields and list(self.fields)[0] != "reasoning":
            raise PromptError(f"{where}: 'reasoning' must be the first answer field, so the answer is never cut off.")
        if not isinstance(self.max_words, int) or not 10 <= self.max_words <= 2000:
            raise PromptError(f"{where}: max_words must be a whole number between 10 and 2000.")

    def render(self, values: dict[str, object]) -> list[dict[str, str]]:
        """Chat messages with the variables filled in; unknown braces stay as written."""
        full = {"fields": self.fields_spec(), "max_words": self.max_words, **values}

        def fill(template: str) -> str:
            return _VAR.sub(lambda m: str(full.get(m.group(1), m.group(0))), template)

        messages = [{"role": "system", "content": fill(self.system)}] if self.system.strip() else []
        for example in self.examples:
            if example.get("user") and example.get("assistant"):
                messages.append({"role": "user", "content": str(example["user"])})
                messages.append({"role": "assistant", "content": str(example["assistant"])})
        messages.append({"role": "user", "content": fill(self.user)})
        return messages

    def fields_spec(self) -> str:
        return json.dumps(self.fields, ensure_ascii=False)

    @property
    def main_field(self) -> str:
        """The field that carries the answer itself: ``summary`` where there is one."""
        answer_fields = [k for k in self.fields if k != "reasoning"]
        return "summary" if "summary" in answer_fields else (answer_fields[0] if answer_fields else "summary")

    def is_list_field(self, name: str) -> bool:
        """A field whose description starts with "list" holds a list of short strings."""
        return str(self.fields.get(name, "")).strip().lower().startswith("list")

    def json_schema(self, max_chars: int | None = None) -> dict:
        """The answer as a JSON schema built from ``fields`` (in their order, all required), for
        ``response_format``: string fields, and arrays of strings for the "list of ..." ones.

        ``max_chars`` bounds the main text (and the others in proportion): a grammar-constrained
        model (llama.cpp) must then close every string, so a looping model cannot run to the
        output limit inside one. Hosted APIs get no bounds (strict modes may reject them)."""
        properties = {}
        for name, description in self.fields.items():
            if self.is_list_field(name):
                kind: dict = {"type": "array", "items": {"type": "string"}}
                if max_chars:
                    item = min(GRAMMAR_MAX_CHARS, max(80, max_chars // 6))
                    kind = {**kind, "maxItems": 8, "items": {"type": "string", "maxLength": item}}
            else:
                kind = {"type": "string"}
                if max_chars:
                    bound = max_chars if name == self.main_field else max(120, max_chars // 3)
                    kind["maxLength"] = min(GRAMMAR_MAX_CHARS, bound)
            properties[name] = {**kind, "description": str(description)}
        return {"type": "object", "properties": properties, "required": list(self.fields),
                "additionalProperties": False}

    def to_dict(self) -> dict:
        return {
            "name": self.name, "role": self.role, "description": self.description, "kinds": self.kinds,
            "keywords": self.keywords, "system": self.system, "user": self.user, "fields": self.fields,
            "max_words": self.max_words, "max_output_tokens": self.max_output_tokens, "examples": self.examples,
        }


def _line_of(exc: Exception) -> str:
    m = re.search(r"line (\d+)|<string>:(\d+)", str(exc))
    return f" line {m.group(1) or m.group(2)}:" if m else ""


def _json5_data(text: str):
    """``json5.loads(text)``, remembered on disk by the text's hash: the pure-Python JSON5 parser costs
    about 0.1 s a file, and every process (a CLI run, an app start, a cached re-run) would pay it again
    for files that did not change. What is remembered is plain JSON, read back with the fast stdlib
    parser. Invalid text is never remembered: it raises ``ValueError`` as before."""
    path = cache_dir() / "prompts" / f"{hashlib.sha256(text.encode('utf-8')).hexdigest()[:40]}.json"
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        pass
    import json5

    data = json5.loads(text)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, json.dumps(data, ensure_ascii=False).encode("utf-8"), durable=False)
    except OSError as exc:  # a read-only data folder: parse again next time
        log.debug("prompt parse cache not written (%s)", exc)
    return data


def parse_prompt(text: str, source: str = "<prompt>") -> PromptTemplate:
    """Parse and validate one JSON5 prompt text."""
    try:
        data = _json5_data(text)
    except ValueError as exc:
        raise PromptError(f"{source}:{_line_of(exc)} this is not valid JSON5 ({str(exc).splitlines()[0]}).") from exc
    if not isinstance(data, dict):
        raise PromptError(f"{source}: a prompt file must hold one object {{...}}.")
    known = set(PromptTemplate.__dataclass_fields__) - {"source"}
    extra = sorted(set(data) - known)
    if extra:
        raise PromptError(f"{source}: unknown field '{extra[0]}'.")
    if "name" not in data:
        raise PromptError(f"{source}: the prompt has no name.")
    try:
        prompt = PromptTemplate(**data, source=source)
    except TypeError as exc:
        raise PromptError(f"{source}: {exc}.") from exc
    for attr in ("system", "user", "description"):
        if not isinstance(getattr(prompt, attr), str):
            raise PromptError(f"{source}: '{attr}' must be text.")
    if not isinstance(prompt.fields, dict):
        raise PromptError(f"{source}: 'fields' must map each answer field to what it holds.")
    prompt.validate()
    return prompt


@dataclass
class PromptSet:
    """The prompts in force: defaults, overridden by valid user files; errors kept for display."""

    prompts: dict[str, PromptTemplate]
    errors: list[str] = field(default_factory=list)
    overridden: set[str] = field(default_factory=set)

    def get(self, name: str) -> PromptTemplate:
        if name not in self.prompts:
            raise PromptError(f"There is no prompt named '{name}'.")
        return self.prompts[name]

    def section_prompts(self) -> list[PromptTemplate]:
        return [p for p in self.prompts.values() if p.role == "section"]


_parsed: dict[tuple, tuple[dict[str, PromptTemplate], list[str]]] = {}
_parsed_lock = threading.Lock()


def _read_dir(folder: Path) -> tuple[dict[str, PromptTemplate], list[str]]:
    """Prompts in a folder; parsed once per state of its files (JSON5 parsing is slow, and the
    app and batches load prompts often). Callers get copies they may change."""
    if not folder.is_dir():
        return {}, []
    files = sorted(folder.glob("*.json5"))
    key = (str(folder.resolve()), tuple((p.name, *_stamp(p)) for p in files))
    with _parsed_lock:
        cached = _parsed.get(key)
    if cached is None:
        cached = _parse_files(files)
        with _parsed_lock:
            _parsed[key] = cached
    prompts, errors = cached
    return {n: replace(p, kinds=list(p.kinds), keywords=list(p.keywords), fields=dict(p.fields),
                       examples=list(p.examples)) for n, p in prompts.items()}, list(errors)


def _stamp(path: Path) -> tuple[int, int]:
    try:
        st = path.stat()
        return st.st_mtime_ns, st.st_size
    except OSError:
        return 0, 0


def _parse_files(files: list[Path]) -> tuple[dict[str, PromptTemplate], list[str]]:
    prompts: dict[str, PromptTemplate] = {}
    errors: list[str] = []
    for path in files:
        try:
            prompt = parse_prompt(path.read_text(encoding="utf-8"), path.name)
        except (OSError, UnicodeDecodeError) as exc:
            errors.append(f"{path.name}: cannot be read ({exc.__class__.__name__}).")
            continue
        except PromptError as exc:
            errors.append(str(exc))
            continue
        prompts[prompt.name] = prompt
    return prompts, errors


#: Prompts the engine asks for by name; a package without them is broken, and says which one is missing.
REQUIRED_PROMPTS = ("generic", "brief", "merge", "synthesis", "news")


def load_prompts(user_dir: Path | str | None = None) -> PromptSet:
    """Defaults from ``prompts/``; valid files in ``user_dir`` override them by name."""
    defaults, errors = _read_dir(PROMPTS_DIR)
    if errors:  # a broken default is a bug in the package, not a user error
        raise PromptError("; ".join(errors))
    missing = [name for name in REQUIRED_PROMPTS if name not in defaults]
    if missing:
        raise PromptError(f"The default prompt '{missing[0]}' is missing from {PROMPTS_DIR}; reinstall Summarizer.")
    prompts = dict(defaults)
    overridden: set[str] = set()
    if user_dir:
        user, user_errors = _read_dir(Path(user_dir))
        errors.extend(f"{e} The default is used instead." for e in user_errors)
        for name, prompt in user.items():
            prompts[name] = prompt
            if name in defaults:
                overridden.add(name)
    return PromptSet(prompts, errors, overridden)


def default_prompts() -> dict[str, PromptTemplate]:
    return _read_dir(PROMPTS_DIR)[0]


def route_prompt(prompts: PromptSet, kind: str, title: str, genre: str = "paper") -> PromptTemplate:
    """The section prompt for a section: by kind, then by heading keyword, then the generic one."""
    section = prompts.section_prompts()
    if genre == "article":
        for p in section:
            if "news" in p.kinds:
                return p
    lowered = title.lower()
    by_keyword = next((p for p in section if any(k.lower() in lowered for k in p.keywords)), None)
    if kind in ("other", "body") and by_keyword is not None:
        return by_keyword
    for p in section:
        if kind in p.kinds:
            return p
    if by_keyword is not None:
        return by_keyword
    for p in section:
        if "other" in p.kinds:
            return p
    if not section:
        raise PromptError(f"There is no section prompt for a '{kind}' section (the prompt 'generic' is missing).")
    return section[0]


def safe_prompt_path(folder: Path, name: str) -> Path:
    """The file for prompt ``name`` inside ``folder``; refuses names that would leave it."""
    if not _SAFE_NAME.match(name):
        raise PromptError(f"'{name}' is not a valid prompt name (letters, digits, '-' and '_' only).")
    path = (folder / f"{name}.json5").resolve()
    if path.parent != folder.resolve():
        raise PromptError(f"'{name}' is not a valid prompt name.")
    return path


def save_user_prompt(folder: Path, prompt: PromptTemplate) -> Path:
    """Validate and write a user prompt atomically (temp file + rename)."""
    prompt.validate()
    folder.mkdir(parents=True, exist_ok=True)
    path = safe_prompt_path(folder, prompt.name)
    header = f"// User copy of the '{prompt.name}' prompt, edited in Summarizer's Settings page.\n"
    write_atomic(path, (header + json.dumps(prompt.to_dict(), ensure_ascii=False, indent=2) + "\n").encode("utf-8"))
    return path


def reset_user_prompt(folder: Path, name: str) -> None:
    path = safe_prompt_path(folder, name)
    if path.exists():
        path.unlink()


PROMPT_SET_FORMAT = "summarizer-prompts/1"


def prompt_versions(settings) -> dict[str, str]:
    """A short content hash per prompt in effect (LLM backend): two runs with another prompt differ here (History
    keeps them with a run; the exports' provenance names them)."""
    if getattr(settings, "backend", "") != "llm":
        return {}
    prompts = load_prompts(settings.prompts_dir)
    return {name: hashlib.sha256(json.dumps(p.to_dict(), sort_keys=True, ensure_ascii=False).encode()).hexdigest()[:10]
            for name, p in sorted(prompts.prompts.items())}


def export_prompt_set(prompts: PromptSet, names: list[str] | None = None) -> str:
    """One JSON file holding the given prompts (default: all in force)."""
    chosen = [prompts.prompts[n] for n in (names or sorted(prompts.prompts))]
    return json.dumps({"format": PROMPT_SET_FORMAT, "prompts": [p.to_dict() for p in chosen]}, ensure_ascii=False, indent=2)


def import_prompt_set(folder: Path, text: str) -> tuple[list[str], list[str]]:
    """Validate every prompt in an exported set and write the valid ones to ``folder``.

    Returns (imported names, errors); nothing invalid is written.
    """
    import json5

    try:
        data = json5.loads(text)
    except ValueError as exc:
        raise PromptError(f"The prompt set is not valid JSON ({str(exc).splitlines()[0]}).") from exc
    if not isinstance(data, dict) or not isinstance(data.get("prompts"), list):
        raise PromptError("This file is not a Summarizer prompt set (it has no 'prompts' list).")
    imported, errors = [], []
    for n, item in enumerate(data["prompts"], 1):
        label = f"prompt {n}" + (f" ('{item.get('name')}')" if isinstance(item, dict) and item.get("name") else "")
        try:
            prompt = parse_prompt(json.dumps(item, ensure_ascii=False), label)
            save_user_prompt(folder, prompt)
            imported.append(prompt.name)
        except PromptError as exc:
            errors.append(str(exc))
    return imported, errors
