"""Declared parameters of problems and solvers: name, default, kind, bounds, one-line doc.

Values from the CLI arrive as strings and from Python as objects; :meth:`Param.coerce` turns
either into the declared kind and checks its bounds, with a message naming the owner and the
parameter. Every problem family and solver declares its parameters this way, so ``--help``,
``optbench list``, the tables' ``p_<name>`` columns and validation all read one source.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from .errors import InvalidTypeError, InvalidValueError, unknown_name

__all__ = ["Param", "coerce_all", "shown", "INT_LIMIT"]

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}
# the largest integer any option takes: compiled loops count in int64 and add to counters,
# so every integer stays far from 2^63
INT_LIMIT = 2**62
_SHOWN = 60  # characters of a value echoed in a message


def shown(value) -> str:
    """``repr(value)``, cut to a readable length for messages."""
    text = repr(value)
    return text if len(text) <= _SHOWN else f"{text[:_SHOWN]}... ({len(text)} characters)"


@dataclass(frozen=True)
class Param:
    """One parameter: ``low``/``high`` are bounds, ``strict`` makes ``low`` exclusive,
    ``finite=False`` admits infinity (never NaN), ``names`` are words accepted besides
    numbers (``step`` takes 0.1 or ``armijo``), ``choices`` the only values accepted."""

    name: str
    default: Any
    kind: type = float
    doc: str = ""
    low: float | None = None
    high: float | None = None
    strict: bool = False
    choices: tuple | None = None
    finite: bool = True
    names: tuple[str, ...] = ()

    def describe_bounds(self) -> str:
        if self.choices:
            return "one of " + ", ".join(map(str, self.choices))
        parts = []
        if self.low is not None:
            parts.append(f"{'>' if self.strict else '>='} {self.low:g}")
        if self.high is not None:
            parts.append(f"<= {self.high:g}")
        kind = {float: "a finite number" if self.finite else "a number",
                int: "an integer of at most 2^62", str: "a string",
                bool: "true or false"}[self.kind]
        text = kind + (" " + " and ".join(parts) if parts else "")
        return text + (f", or one of {', '.join(self.names)}" if self.names else "")

    def coerce(self, value: Any, owner: str, where: str | None = None) -> Any:
        """Return ``value`` as this parameter's kind, or raise naming ``owner`` and the name.

        ``where`` replaces the default "parameter NAME of OWNER" in messages."""
        kind = self.kind
        if type(value) is kind and kind is not str and self.choices is None:  # the usual case
            if kind is bool or not self._out_of_bounds(value):
                return value
            raise InvalidValueError(self._refusal(value, owner, where))
        if value is None and self.default is None:  # an optional parameter left unset
            return None
        if self.names and isinstance(value, str) and value.strip() in self.names:
            return value.strip()
        try:
            out = self._convert(value)
        except (TypeError, ValueError, OverflowError):
            raise InvalidTypeError(self._refusal(value, owner, where)) from None
        if self.choices is not None:
            if out not in self.choices:
                raise InvalidValueError(self._refusal(value, owner, where))
            return out
        if self.kind in (float, int) and self._out_of_bounds(out):
            raise InvalidValueError(self._refusal(value, owner, where))
        return out

    def _out_of_bounds(self, out) -> bool:
        if self.kind is float:
            if out != out or (self.finite and (out == math.inf or out == -math.inf)):
                return True  # NaN, or an infinity where only finite numbers are taken
        elif abs(out) > INT_LIMIT:
            return True
        low, high = self.low, self.high
        return (low is not None and (out <= low if self.strict else out < low)) or (
            high is not None and out > high)

    def _refusal(self, value, owner: str, where: str | None) -> str:
        """The message refusing ``value`` (built only when refusing: it is not cheap)."""
        where = where or f"parameter {self.name!r} of {owner}"
        return f"{where} must be {self.describe_bounds()}; got {shown(value)}."

    def _convert(self, value):
        if self.kind is bool:
            if isinstance(value, bool):
                return value
            text = str(value).strip().lower()
            if text in _TRUE:
                return True
            if text in _FALSE:
                return False
            raise ValueError(value)
        if self.kind is int:
            if isinstance(value, bool):
                raise TypeError(value)
            if isinstance(value, int):
                return value
            text = str(value).strip()
            if text.lstrip("+-").isascii() and text.lstrip("+-").isdigit():
                return int(text)  # exact, however long (bounds are checked after)
            f = float(value)
            if not f.is_integer():
                raise ValueError(value)
            return int(f)
        if self.kind is float:
            if isinstance(value, bool):
                raise TypeError(value)
            return float(value)
        return str(value)


def coerce_all(params: tuple[Param, ...], given: dict[str, Any], owner: str) -> dict[str, Any]:
    """Defaults overlaid with ``given``, each value coerced; unknown names are refused."""
    known = {p.name: p for p in params}
    for name in given:
        if name not in known:
            raise unknown_name("parameter", name, known, where=owner)
    return {p.name: p.coerce(given.get(p.name, p.default), owner) for p in params}
