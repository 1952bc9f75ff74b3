"""Parsing of the command line's shared option values (``-p``/``-P`` pairs, data options,
``--x0``), used by every ``optbench`` subcommand. Errors are one-line optbench errors."""

from __future__ import annotations

from .errors import OptbenchError
from .params import shown

__all__ = ["pairs", "problem_params", "parse_x0"]


def pairs(items, option: str) -> dict[str, str]:
    """``["step=0.1", "t0=1"]`` -> ``{"step": "0.1", "t0": "1"}``; a name given twice is
    refused (the last one would silently win)."""
    out = {}
    for item in items or ():
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise OptbenchError(f"{option} takes NAME=VALUE; got {shown(item)}")
        if name.strip() in out:
            raise OptbenchError(f"{option} gives {name.strip()!r} twice ({shown(out[name.strip()])}"
                                f" and {shown(value.strip())}); give it once")
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
    """``"1,2"`` -> ``[1.0, 2.0]`` (spaces allowed, ``1,,2`` refused); None stays None."""
    if text is None:
        return None
    parts = [p.strip() for p in text.split(",")]
    try:
        if not text.strip() or any(not p for p in parts):
            raise ValueError(text)
        return [float(v) for p in parts for v in p.split()]
    except ValueError:
        raise OptbenchError(f"--x0 takes numbers separated by commas (one per coordinate); "
                            f"got {shown(text)}") from None
