"""Parse model answers into fields, keeping reasoning apart from the answer.

Models return loose JSON (field note 7): trailing commas, single quotes, prose or code fences
around the object, or an object cut off at the output limit. The text is parsed with json5 and,
when that fails, with ``json_repair`` (a maintained repair library that also cuts the object
out of surrounding prose and closes a cut one). Reasoning never reaches the summary, whatever
shape it comes in: ``<think>…</think>`` blocks, ``reasoning``/``thinking``/``analysis`` fields,
or the ``reasoning_content`` a reasoning model streams beside the answer (field note 8).
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass, field

log = logging.getLogger(__name__)

#: Answer fields that hold the model's thinking, never the summary.
REASONING_KEYS = ("reasoning", "thinking", "analysis", "thoughts", "thought", "chain_of_thought")

_THINK = re.compile(r"<(think|thinking|reasoning)>(.*?)(?:</\1>|\Z)", re.S | re.I)
_FENCE = re.compile(r"^\s*```[a-zA-Z0-9_-]*\s*\n?|\n?\s*```\s*$")


@dataclass
class ParsedAnswer:
    """An answer's fields (reasoning removed), whether it came as a JSON object, and its text."""

    fields: dict = field(default_factory=dict)
    ok: bool = True  # True: the answer was a JSON object; False: free text kept as the summary
    raw: str = ""
    reasoning: str = ""


def split_thinking(text: str) -> tuple[str, str]:
    """(answer, reasoning): ``<think>`` blocks cut out of ``text``; an unclosed block runs to the end."""
    parts: list[str] = []

    def cut(m: re.Match) -> str:
        parts.append(m.group(2).strip())
        return ""

    answer = _THINK.sub(cut, text or "")
    answer = re.sub(r"^\s*</(think|thinking|reasoning)>", "", answer, flags=re.I)  # a close tag with no open one
    return answer.strip(), "\n\n".join(p for p in parts if p)


def _json5_loads(text: str):
    import json5  # imported only for an answer that is not strict JSON

    return json5.loads(text)


def _as_object(text: str) -> dict | None:
    """The JSON object in ``text``: strict JSON first (the stdlib's parser: most answers, at once), then
    json5 (loose JSON: trailing commas, single quotes; pure Python, slow), then json_repair for
    prose-wrapped or cut JSON."""
    body = _FENCE.sub("", text.strip())
    if body.startswith("{"):
        for loads in (json.loads, _json5_loads):
            try:
                data = loads(body)
            except ValueError:
                continue
            if isinstance(data, dict):
                return data
    if "{" not in body:
        return None
    import json_repair

    try:
        data = json_repair.loads(body)
    except Exception as exc:  # the repair library is a best effort: never let it take a section down
        log.debug("json_repair failed: %s", exc)
        return None
    if isinstance(data, list):
        data = next((d for d in data if isinstance(d, dict) and d), None)
    return data if isinstance(data, dict) and data else None


def parse_answer(text: str, reasoning: str = "") -> ParsedAnswer:
    """Fields from the answer text; free text becomes the summary, marked as not structured.

    ``reasoning`` is what the endpoint streamed apart from the answer (``reasoning_content``).
    """
    raw = text or ""
    answer, thought = split_thinking(raw)
    thoughts = [t for t in (reasoning.strip(), thought) if t]
    data = _as_object(answer)
    if data is None:
        return ParsedAnswer({"summary": answer}, False, raw, "\n\n".join(thoughts))
    fields = {}
    for key, value in data.items():
        if str(key).lower() in REASONING_KEYS:
            text_value = field_text(value)
            if text_value:
                thoughts.append(text_value)
        else:
            fields[str(key)] = value
    return ParsedAnswer(fields, True, raw, "\n\n".join(thoughts))


def field_text(value: object) -> str:
    """A field value as Markdown: lists become bullet lines."""
    if isinstance(value, list):
        return "\n".join(f"- {field_text(v)}" for v in value if str(v).strip())
    if isinstance(value, dict):
        return "\n".join(f"- **{k}**: {field_text(v)}" for k, v in value.items())
    return str(value).strip() if value is not None else ""
