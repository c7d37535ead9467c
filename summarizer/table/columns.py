"""The literature table's columns: what each aspect is called and what its cells must hold. Column sets are
JSON5 files like prompts: the default set ships in ``prompts/columns/``, a user's own sets live in the data
folder's ``columns/`` (saved from the app or written by hand) and a set file can be passed to the CLI."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import json5

from summarizer.config.paths import PROMPTS_DIR, data_dir, write_atomic
from summarizer.model.errors import InputError

MAX_COLUMNS = 12
MAX_NAME = 60
MAX_DESCRIPTION = 300
MIN_DESCRIPTION_WORDS = 2
DEFAULT_SET = "default"
_SAFE_SET = re.compile(r"^[A-Za-z0-9_\-]{1,64}$")
_KINDS = {"abstract", "introduction", "background", "related_work", "method", "experiments", "results",
          "discussion", "limitations", "conclusion", "other"}


class ColumnError(InputError):
    """A column or a column set the table cannot use; the message says which and why."""


@dataclass(frozen=True)
class Column:
    """One aspect of the papers: its name, what a cell must hold, and where the answer usually is."""

    name: str
    description: str
    cues: tuple[str, ...] = ()  # words that mark a sentence holding the answer (offline retrieval)
    kinds: tuple[str, ...] = ()  # the section kinds where the answer usually is
    numeric: bool = False  # a cell should hold numbers (key results)
    key: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        if not self.key:
            object.__setattr__(self, "key", column_key(self.name))

    def as_json(self) -> dict:
        out: dict = {"name": self.name, "description": self.description}
        if self.cues:
            out["cues"] = list(self.cues)
        if self.kinds:
            out["kinds"] = list(self.kinds)
        if self.numeric:
            out["numeric"] = True
        return out

    @classmethod
    def from_json(cls, data: dict) -> Column:
        if not isinstance(data, dict):
            raise ColumnError("Each column must be an object with a name and a description.")
        return cls(" ".join(str(data.get("name", "")).split()), " ".join(str(data.get("description", "")).split()),
                   tuple(str(c) for c in data.get("cues", []) or []), tuple(str(k) for k in data.get("kinds", []) or []),
                   bool(data.get("numeric", False)))


def column_key(name: str) -> str:
    """A stable key for a column name: lower-case letters, digits and underscores (CJK kept)."""
    key = re.sub(r"[^\w]+", "_", name.strip().lower()).strip("_")
    return key[:48] or "column"


def check_columns(columns: list[Column]) -> list[Column]:
    """The columns, or ``ColumnError`` with one sentence on the first that cannot be used."""
    if not columns:
        raise ColumnError("The table needs at least one column.")
    if len(columns) > MAX_COLUMNS:
        raise ColumnError(f"A table has at most {MAX_COLUMNS} columns; this one has {len(columns)}.")
    seen: set[str] = set()
    for column in columns:
        if not column.name:
            raise ColumnError("A column has no name; give each column a short name.")
        if len(column.name) > MAX_NAME:
            raise ColumnError(f"The column name '{column.name[:40]}…' is too long (at most {MAX_NAME} characters).")
        if not column.description:
            raise ColumnError(f"The column '{column.name}' has no description; say what its cells should hold "
                              "(e.g. 'the sample size of the study').")
        words = len(column.description.split()) if not re.search(r"[\u4e00-\u9fff]", column.description) \
            else len(column.description) // 2
        if words < MIN_DESCRIPTION_WORDS:
            raise ColumnError(f"The description of '{column.name}' is too short to search the papers with; say in a "
                              "few words what its cells should hold.")
        if len(column.description) > MAX_DESCRIPTION:
            raise ColumnError(f"The description of '{column.name}' is too long ({len(column.description)} characters; "
                              f"at most {MAX_DESCRIPTION}): say what a cell holds in one sentence.")
        unknown = [k for k in column.kinds if k not in _KINDS]
        if unknown:
            raise ColumnError(f"The column '{column.name}' names an unknown section kind '{unknown[0]}' "
                              f"(known: {', '.join(sorted(_KINDS))}).")
        if column.key in seen:
            raise ColumnError(f"Two columns are called '{column.name}'; give each its own name.")
        seen.add(column.key)
    return columns


def parse_column_set(text: str, where: str = "the column set") -> tuple[str, list[Column]]:
    """(name, columns) from a column set's JSON5 text; ``ColumnError`` with one sentence when it is not one."""
    try:
        data = json5.loads(text)
    except ValueError as exc:
        raise ColumnError(f"{where} is not valid JSON5 ({str(exc).splitlines()[0][:120]}).") from None
    if isinstance(data, list):
        data = {"columns": data}
    if not isinstance(data, dict) or not isinstance(data.get("columns"), list):
        raise ColumnError(f"{where} must hold a 'columns' list of {{name, description}} objects.")
    name = str(data.get("name") or DEFAULT_SET)
    return name, check_columns([Column.from_json(c) for c in data["columns"]])


def column_set_text(name: str, columns: list[Column]) -> str:
    """A column set as the JSON5 file it is saved in."""
    import json

    return json.dumps({"name": name, "columns": [c.as_json() for c in columns]}, ensure_ascii=False, indent=2) + "\n"


def default_columns() -> list[Column]:
    return parse_column_set((PROMPTS_DIR / "columns" / f"{DEFAULT_SET}.json5").read_text(encoding="utf-8"))[1]


def user_sets_dir() -> Path:
    return data_dir() / "columns"


def column_sets(folders: list[Path] | None = None) -> dict[str, list[Column]]:
    """Every column set by name: the default, then each folder's (a later folder's set of the same name wins; a
    broken file is left out and logged). Default folders: the data folder's ``columns/``."""
    import logging

    sets = {DEFAULT_SET: default_columns()}
    for folder in folders if folders is not None else [user_sets_dir()]:
        for path in sorted(folder.glob("*.json5")) if folder.is_dir() else []:
            try:
                _name, columns = parse_column_set(path.read_text(encoding="utf-8"), path.name)
            except (OSError, UnicodeDecodeError, ColumnError) as exc:
                logging.getLogger(__name__).warning("column set %s left out: %s", path, exc)
                continue
            if path.stem != DEFAULT_SET:
                sets[path.stem] = columns
    return sets


def delete_column_set(name: str, folder: Path) -> bool:
    """Remove a user's set from ``folder``; False when there is none of that name."""
    if not _SAFE_SET.match(name) or name == DEFAULT_SET:
        return False
    path = folder / f"{name}.json5"
    if not path.is_file():
        return False
    path.unlink()
    return True


def save_column_set(name: str, columns: list[Column], folder: Path | None = None) -> Path:
    """Save a user's column set (``name`` of letters, digits, - and _); the default set cannot be overwritten."""
    if not _SAFE_SET.match(name) or name == DEFAULT_SET:
        raise ColumnError("Name the column set with letters, digits, '-' or '_' (not 'default').")
    check_columns(columns)
    folder = folder or user_sets_dir()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.json5"
    write_atomic(path, column_set_text(name, columns).encode("utf-8"))
    return path


def read_column_file(path: str | Path) -> list[Column]:
    """The columns of a set file given on the command line."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ColumnError(f"The column set {path} cannot be read ({exc.__class__.__name__}).") from None
    return parse_column_set(text, str(path))[1]


def parse_column_option(value: str) -> Column:
    """A column from the command line: ``"Sample size: the number of participants or samples studied"``."""
    name, sep, description = value.partition(":")
    if not sep:
        raise ColumnError(f"Write a column as 'Name: what its cells should hold' (got '{value[:60]}').")
    return Column(" ".join(name.split()), " ".join(description.split()))
