"""Parse model answers: loose JSON (field note 7) cut out of the surrounding prose, with json5."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class ParsedAnswer:
    fields: dict = field(default_factory=dict)
    ok: bool = True
    raw: str = ""

    @property
    def reasoning(self) -> str:
        return str(self.fields.get("reasoning", "") or "")


def _outer_object(text: str) -> str | None:
    """The outermost balanced {...} in ``text``, ignoring braces inside strings."""
    start = text.find("{")
    while start != -1:
        depth, in_str, quote, escape = 0, False, "", False
        for i in range(start, len(text)):
            ch = text[i]
            if in_str:
                if escape:
                    escape = False
                elif ch == "\\":
                    escape = True
                elif ch == quote:
                    in_str = False
            elif ch in "\"'":
                in_str, quote = True, ch
            elif ch == "{":
                depth += 1
            elif ch == "}":
                depth -= 1
                if depth == 0:
                    return text[start:i + 1]
        start = text.find("{", start + 1)
    return None


def parse_answer(text: str) -> ParsedAnswer:
    """A JSON object from the answer; on failure, the raw text marked as not parsed."""
    import json5

    raw = text or ""
    candidate = _outer_object(raw)
    if candidate is not None:
        try:
            data = json5.loads(candidate)
            if isinstance(data, dict):
                return ParsedAnswer(data, True, raw)
        except ValueError:
            pass
    return ParsedAnswer({"summary": raw.strip()}, False, raw)


def field_text(value: object) -> str:
    """A field value as Markdown: lists become bullet lines."""
    if isinstance(value, list):
        return "\n".join(f"- {field_text(v)}" for v in value if str(v).strip())
    if isinstance(value, dict):
        return "\n".join(f"- **{k}**: {field_text(v)}" for k, v in value.items())
    return str(value).strip() if value is not None else ""
