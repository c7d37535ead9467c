"""Typed, documented, validated settings models in the standard library.

``Settings`` used pydantic for one thing: a flat model of plain fields (str, int, float, bool,
``Literal`` choices, optional values, dicts of them, a secret) with bounds, descriptions and alias
names. pydantic's import and the model's schema build cost 0.11–0.15 s of every process that runs
a summary — half of what a re-run answered from the cache may cost over parsing — so this module
gives that subset, with pydantic's names and its lax conversions (``"2"`` → 2, ``"false"`` → False),
in ~150 lines:

* ``Field(default, *, default_factory, ge, gt, le, description, validation_alias, exclude, repr)``
  and ``AliasChoices(*names)`` declare a field on a ``TypedModel`` subclass;
* ``Model(**values)`` converts and checks each given value against its annotation and bounds
  (defaults are trusted), refuses unknown names, and raises ``ValidationError`` naming the field;
* ``model_fields``, ``model_dump``, ``model_dump_json``; ``SecretStr`` hides a value from ``repr``
  and JSON.
"""

from __future__ import annotations

import copy
import json
import math
import re
import types
import typing
from dataclasses import dataclass
from typing import Any, Literal, Union, get_args, get_origin

_MISSING: Any = object()
_TRUE = {"1", "true", "t", "yes", "y", "on"}
_FALSE = {"0", "false", "f", "no", "n", "off"}
_DECIMAL = re.compile(r"([+-]?[0-9]+(?:_[0-9]+)*)(?:\.([0-9]+))?")


class ValidationError(ValueError):
    """A value that does not fit its field: ``field`` names it, ``value`` is what was given."""

    def __init__(self, field: str, message: str, value: Any = _MISSING) -> None:
        super().__init__(f"{field}: {message}")
        self.field, self.message, self.value, self.has_value = field, message, value, value is not _MISSING


class SecretStr:
    """A string kept out of ``repr``, ``str`` and JSON; ``get_secret_value`` gives it."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def get_secret_value(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "SecretStr('**********')" if self._value else "SecretStr('')"

    def __str__(self) -> str:
        return "**********" if self._value else ""

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SecretStr) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


@dataclass(frozen=True)
class AliasChoices:
    """Other names a field is given by (constructor arguments; upper-case ones are environment names)."""

    choices: tuple[str, ...]

    def __init__(self, *choices: str) -> None:
        object.__setattr__(self, "choices", tuple(choices))


@dataclass
class FieldInfo:
    """One field: its default (or a factory for one), bounds, description and alias names."""

    default: Any = _MISSING
    default_factory: Any = None
    ge: float | None = None
    gt: float | None = None
    le: float | None = None
    description: str = ""
    validation_alias: AliasChoices | None = None
    exclude: bool = False
    repr: bool = True
    annotation: Any = None

    def make_default(self) -> Any:
        return self.default_factory() if self.default_factory is not None else self.default


def Field(default: Any = _MISSING, *, default_factory: Any = None, ge: float | None = None, gt: float | None = None,  # noqa: N802
          le: float | None = None, description: str = "", validation_alias: AliasChoices | None = None,
          exclude: bool = False, repr: bool = True) -> Any:  # noqa: A002
    """Declare a field (pydantic's signature, for the arguments used here)."""
    return FieldInfo(default, default_factory, ge, gt, le, description, validation_alias, exclude, repr)


def _number(value: Any, kind: type) -> int | float:
    """An int or float from a number, a bool or a numeric string; ``ValueError`` with the reason if not."""
    name = "integer" if kind is int else "number"
    if isinstance(value, bool):
        return kind(value)
    try:
        if isinstance(value, str):
            text = value.strip()
            if kind is int:  # pydantic reads "4.0" and "1_000" as integers, never "1e1", "inf" or "4.01"
                whole = _DECIMAL.fullmatch(text)
                if not whole:
                    raise ValueError("Input should be a valid integer, unable to parse string as an integer")
                if (whole.group(2) or "").strip("0"):
                    raise ValueError("Input should be a valid integer, got a number with a fractional part")
                return _number(int(whole.group(1)), int)
            number = float(text) if kind is float else int(text) if text.lstrip("+-").isdigit() else float(text)
            if kind is int and isinstance(number, float):  # "4.0" is 4, as pydantic reads it
                return _number(number, int)
        elif isinstance(value, (int, float)):
            if kind is int and isinstance(value, float) and not value.is_integer():
                raise ValueError("Input should be a valid integer, got a number with a fractional part")
            number = kind(value)
        else:
            raise TypeError
    except ValueError as exc:
        if str(exc).startswith("Input"):
            raise
        raise ValueError(f"Input should be a valid {name}") from None
    except (TypeError, OverflowError):
        raise ValueError(f"Input should be a valid {name}") from None
    if not math.isfinite(number):
        raise ValueError("Input should be a finite number")
    return number


def convert(value: Any, annotation: Any) -> Any:
    """``value`` as ``annotation`` with pydantic's lax rules; ``ValueError`` with its message if it is not one."""
    origin, args = get_origin(annotation), get_args(annotation)
    if origin in (Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        inner = [a for a in args if a is not type(None)]
        return convert(value, inner[0]) if len(inner) == 1 else value
    if origin is Literal:
        if value in args:
            return value
        raise ValueError("Input should be " + " or ".join(repr(a) for a in args))
    if annotation is SecretStr:
        if isinstance(value, SecretStr):
            return value
        if isinstance(value, str):
            return SecretStr(value)
        raise ValueError("Input should be a valid string")
    if annotation is str:
        if isinstance(value, str):
            return value
        if isinstance(value, bytes):  # as pydantic: UTF-8 bytes are text
            try:
                return value.decode("utf-8")
            except UnicodeDecodeError:
                raise ValueError("Input should be a valid string, unable to parse raw data as a unicode string") from None
        raise ValueError("Input should be a valid string")
    if annotation is bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, (int, float)) and value in (0, 1):
            return bool(value)
        if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
            return value.strip().lower() in _TRUE
        raise ValueError("Input should be a valid boolean")
    if annotation in (int, float):
        return _number(value, annotation)
    if origin is dict:
        if not isinstance(value, dict):
            raise ValueError("Input should be a valid dictionary")
        key_type, value_type = args or (Any, Any)
        return {convert(k, key_type): convert(v, value_type) for k, v in value.items()}
    if origin is tuple:
        if not isinstance(value, (list, tuple)) or (args and len(value) != len(args)):
            raise ValueError(f"Input should be a list of {len(args)} items")
        return tuple(convert(v, a) for v, a in zip(value, args, strict=False))
    return value


def _bounds(value: Any, info: FieldInfo) -> None:
    if value is None or not isinstance(value, (int, float)):
        return
    if info.ge is not None and value < info.ge:
        raise ValueError(f"Input should be greater than or equal to {info.ge}")
    if info.gt is not None and value <= info.gt:
        raise ValueError(f"Input should be greater than {info.gt}")
    if info.le is not None and value > info.le:
        raise ValueError(f"Input should be less than or equal to {info.le}")


class TypedModel:
    """Base of a flat typed model: subclasses declare ``name: type = Field(...)`` attributes."""

    model_fields: typing.ClassVar[dict[str, FieldInfo]] = {}
    _names: typing.ClassVar[dict[str, str]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        hints = typing.get_type_hints(cls)
        fields: dict[str, FieldInfo] = dict(cls.model_fields)  # a subclass keeps its parent's fields
        for name in cls.__dict__.get("__annotations__", {}):
            if get_origin(hints[name]) is typing.ClassVar:
                continue
            declared = cls.__dict__.get(name, _MISSING)
            info = declared if isinstance(declared, FieldInfo) else FieldInfo(default=declared)
            info.annotation = hints[name]
            fields[name] = info
            if name in cls.__dict__:
                delattr(cls, name)
        cls.model_fields = fields
        cls._names = {name: name for name in fields}
        for name, info in fields.items():
            for alias in info.validation_alias.choices if info.validation_alias else ():
                cls._names.setdefault(alias, name)

    def __init__(self, **values: Any) -> None:
        given: dict[str, Any] = {}
        called: dict[str, str] = {}  # field → the name it was given by (errors name that)
        for key, value in values.items():
            if key not in self._names:
                raise ValidationError(key, "Extra inputs are not permitted", value)
            name = self._names[key]
            if name in called:  # two names of one field: which one was meant is not ours to guess
                raise ValidationError(key, f"given twice, also as {called[name]!r}", value)
            given[name], called[name] = value, key
        for name, info in self.model_fields.items():
            if name not in given:
                if info.default is _MISSING and info.default_factory is None:
                    raise ValidationError(name, "Field required")
                object.__setattr__(self, name, info.make_default())
                continue
            value = self._before(name, given[name])
            try:
                value = convert(value, info.annotation)
                _bounds(value, info)
            except ValueError as exc:
                raise ValidationError(called[name], str(exc), given[name]) from None
            object.__setattr__(self, name, value)
        self._after()

    def __setattr__(self, name: str, value: Any) -> None:
        """Assigning a declared field (unchecked, as pydantic without validate_assignment) or a private
        ``_name`` or a property with a setter; any other name is a typo that would otherwise be lost silently."""
        if name not in self.model_fields and not name.startswith("_") and not isinstance(getattr(type(self), name, None), property):
            raise AttributeError(f"{type(self).__name__} has no field {name!r}")
        object.__setattr__(self, name, value)

    def _before(self, name: str, value: Any) -> Any:
        """A hook: a given value before it is converted (a subclass may map "0" to None)."""
        return value

    def _after(self) -> None:
        """A hook: checks across fields once every field holds its value."""

    def model_dump(self, exclude: set[str] | None = None) -> dict[str, Any]:
        """Field → value, without the fields declared ``exclude=True`` and those in ``exclude``; dicts and
        lists are copies (as pydantic's), so a caller that edits the result leaves the model as it was."""
        return {name: copy.deepcopy(value) if isinstance(value, (dict, list)) else value
                for name, info in self.model_fields.items() if not info.exclude and not (exclude and name in exclude)
                for value in (getattr(self, name),)}

    def model_dump_json(self) -> str:
        data = {name: str(v) if isinstance(v, SecretStr) else v for name, v in self.model_dump().items()}
        return json.dumps(data, ensure_ascii=False)

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and all(getattr(self, n) == getattr(other, n) for n in self.model_fields)

    __hash__ = None  # type: ignore[assignment]  # mutable: like a pydantic model, not hashable

    def __repr__(self) -> str:
        shown = ", ".join(f"{name}={getattr(self, name)!r}" for name, info in self.model_fields.items() if info.repr)
        return f"{type(self).__name__}({shown})"
