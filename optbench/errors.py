"""optbench's exceptions: each is a subclass of the matching builtin, so callers may catch
either. Messages say what was expected, what arrived and which option to change; the CLI
prints them as one line and exits with status 2."""

from __future__ import annotations

import difflib

__all__ = ["OptbenchError", "UnknownNameError", "InvalidValueError", "IncompatibleError",
           "UnfitValueError", "InvalidTypeError", "MissingDependencyError", "unknown_name"]


class OptbenchError(Exception):
    """Base class of every error optbench raises on bad input."""

    def __str__(self) -> str:  # KeyError would quote the message; keep it plain
        return str(self.args[0]) if self.args else ""


class UnknownNameError(OptbenchError, KeyError):
    """A problem, solver or parameter name that is not registered."""


class InvalidValueError(OptbenchError, ValueError):
    """A value outside what an option accepts (negative step, NaN, wrong shape...)."""


class IncompatibleError(OptbenchError, ValueError):
    """A solver that needs something the problem does not provide."""


class UnfitValueError(IncompatibleError, InvalidValueError):
    """A parameter value this problem cannot take (a ``batch_size`` above its number of
    samples): both a refused value and a misfit, so sweeps and ``optbench info`` leave the
    pair out (:func:`optbench.registry.fits`) while a run refuses it."""


class InvalidTypeError(OptbenchError, TypeError):
    """A value of the wrong kind (a string where a number is needed...)."""


class MissingDependencyError(OptbenchError, ImportError):
    """An optional dependency (an extra such as ``optbench[datasets]``) is not installed."""


def unknown_name(kind: str, name: str, valid, where: str | None = None) -> UnknownNameError:
    """An error for an unknown ``name`` that lists the valid ones and the closest match.

    ``where`` names the owner: ``unknown parameter 'stp' of solver 'gd'``."""
    valid = sorted(valid)
    close = difflib.get_close_matches(str(name)[:100], valid, n=1)
    hint = f" Did you mean {close[0]!r}?" if close else ""
    owner = f" of {where}" if where else ""
    listing = ", ".join(valid) if valid else "(none)"
    text = repr(name) if len(repr(name)) <= 60 else f"{repr(name)[:60]}..."
    return UnknownNameError(f"unknown {kind} {text}{owner}.{hint} Valid: {listing}.")
