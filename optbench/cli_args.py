"""Parsing of the command line's shared option values (``-p``/``-P`` pairs, data options,
``--x0``), used by every ``optbench`` subcommand. Errors are one-line optbench errors."""

from __future__ import annotations

from .errors import OptbenchError

__all__ = ["pairs", "problem_params", "parse_x0"]


def pairs(items, option: str) -> dict[str, str]:
    """``["step=0.1", "t0=1"]`` -> ``{"step": "0.1", "t0": "1"}``."""
    out = {}
    for item in items or ():
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise OptbenchError(f"{option} takes NAME=VALUE; got {item!r}")
        out[name.strip()] = value.strip()
    return out


def problem_params(args) -> dict[str, str]:
    """-P pairs plus the data options (--data, --target, --standardize) where the command
    has them."""
    params = pairs(args.P, "-P")
    for name in ("data", "target"):
        if getattr(args, name, None) is not None:
            params[name] = getattr(args, name)
    if getattr(args, "standardize", False):
        params["standardize"] = "true"
    return params


def parse_x0(text: str | None):
    """``"1,2"`` -> ``[1.0, 2.0]``; None stays None."""
    if text is None:
        return None
    try:
        return [float(v) for v in text.replace(",", " ").split()]
    except ValueError:
        raise OptbenchError(f"--x0 takes numbers separated by commas; got {text!r}") from None
