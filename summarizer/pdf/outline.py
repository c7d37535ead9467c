"""Keep the outline's shape: an unnumbered heading cannot become the parent of numbered headings
whose parent number appeared before it.

A figure-panel label taken for a heading ("SEDs & Lightcurves" between 3.2 and 3.3) must not
adopt 3.3–3.13; a heading numbered "3.3" belongs under "3", wherever "3" is. Empty parents
("3. Package" followed directly by "3.1") are left as they are: their children follow them.
"""

from __future__ import annotations

import re


def number_parts(number: str | None) -> tuple[str, ...] | None:
    """("3", "1") for "3.1" or "3.1."; None for no number or a non-decimal one (roman, Chinese)."""
    if not number:
        return None
    number = re.sub(r"^appendix\s+", "", number.strip().rstrip("."), flags=re.I)
    if not re.fullmatch(r"(?:[A-Z]|\d{1,3})(?:\.\d{1,3})*", number):
        return None
    return tuple(number.split("."))


def number_key(parts: tuple[str, ...]) -> tuple[int, ...]:
    """A sort key in numbering order: "2.9" < "2.10" < "3" < "A" (appendix letters after numbers)."""
    return tuple(int(p) if p.isdigit() else 10_000 + ord(p.upper()) for p in parts)


def keep_numbering(numbers: list[str | None], levels: list[int]) -> list[int]:
    """New levels for headings (in document order, with their numbers or None): every heading that
    would adopt a numbered heading whose parent number it follows is moved down — under the numbered
    heading before it when that one is a sibling of the next, else beside the next. That is an
    unnumbered heading, or a numbered one whose number is not that parent ("4" between "2.9" and
    "2.10": a code line or a table row taken for a heading)."""
    parts = [number_parts(n) for n in numbers]
    out = list(levels)
    # the nearest numbered heading after each position, found in one backward pass (linear in headings)
    following: list[int | None] = [None] * len(parts)
    nxt: int | None = None
    for k in range(len(parts) - 1, -1, -1):
        following[k] = nxt
        if parts[k] is not None:
            nxt = k
    seen: set[tuple[str, ...]] = set()
    prev: int | None = None  # the nearest numbered heading before position i
    for i, own in enumerate(parts):
        nxt = following[i]
        if prev is not None and nxt is not None and out[i] < out[nxt]:
            parent = parts[nxt][:-1]
            if parent and parent in seen and parent != own:
                out[i] = out[prev] + 1 if out[prev] >= out[nxt] else out[nxt]
        if own is not None:
            seen.add(own)
            prev = i
    return out
