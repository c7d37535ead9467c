"""Paragraph-level sizes and grouping: how long a text reads, and parts of about a target size made of
whole paragraphs (a long section is summarized part by part)."""

from __future__ import annotations


def text_size(text: str, lang: str) -> int:
    """A text's length as a reader counts it: words, or characters / 2 for Chinese."""
    return len(text) // 2 if lang == "zh" else len(text.split())


def chunk_paragraphs(paragraphs: list[str], lang: str, target: int = 450) -> list[list[str]]:
    """Group paragraphs into parts of about ``target`` words (characters/2 for Chinese)."""
    parts: list[list[str]] = []
    current: list[str] = []
    size = 0
    for para in paragraphs:
        n = text_size(para, lang)
        if current and size + n > target * 1.3:
            parts.append(current)
            current, size = [], 0
        current.append(para)
        size += n
    if current:
        if parts and size < target * 0.3:
            parts[-1].extend(current)
        else:
            parts.append(current)
    return parts
