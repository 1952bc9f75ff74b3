"""Faults of the environment, told apart from errors of a cell's problem or solver.

A sweep records an exception raised by a cell's problem or solver as that cell's outcome
(status ``error``). A fault of the machine (disk full, out of memory, the compiled-code cache
or the results directory unusable) says nothing about the cell: it stops the sweep with one
line naming the cause, nothing is recorded for the cell, and the finished cells are kept. A
cell that an older version recorded as ``error`` with such a cause runs again on resume.
"""

from __future__ import annotations

import errno
import re
from pathlib import Path

from .errors import OptbenchError

__all__ = ["SweepError", "EnvironmentFault", "environment_cause", "environment_fault"]

# errno values that always mean the machine, whatever file they concern
_MACHINE_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EMFILE, errno.ENFILE,
                   errno.ENOMEM, errno.EIO}
# the same causes, found in a recorded error message
_MESSAGE = re.compile(
    r"^(MemoryError|EnvironmentFault)\b|No space left on device|Disk quota exceeded|"
    r"Read-only file system|Too many open files|Cannot allocate memory|Input/output error|"
    r"(NotADirectoryError|PermissionError|FileNotFoundError|IsADirectoryError): .*"
    r"(numba|optbench-|\.nbi|\.nbc)")


class SweepError(OptbenchError, RuntimeError):
    """The sweep could not go on (a worker process died, the cluster went away)."""


class EnvironmentFault(SweepError):
    """The machine failed a cell (disk, memory, the cache directory), not its problem."""


def _chain(exc: BaseException):
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        yield exc
        exc = exc.__cause__ or exc.__context__


def _under(path, directories) -> bool:
    try:
        p = Path(path).resolve()
    except (OSError, TypeError, ValueError):
        return False
    return any(d is not None and (p == d or d in p.parents) for d in directories)


def environment_cause(exc: BaseException, directories=()) -> str | None:
    """A one-line cause when ``exc`` (or what caused it) is a fault of the environment:
    memory, a full or read-only disk, or any operating-system error on a file under
    ``directories`` (the compiled-code cache, the results directory). None otherwise."""
    dirs = [Path(d).resolve() for d in directories if d is not None]
    for e in _chain(exc):
        if isinstance(e, MemoryError):
            return "out of memory (MemoryError)"
        if isinstance(e, OSError) and (e.errno in _MACHINE_ERRNOS or
                                       _under(e.filename, dirs) or _under(e.filename2, dirs)):
            where = f" on {e.filename}" if e.filename else ""
            return f"{type(e).__name__}: {e.strerror or e}{where}"
    return None


def environment_fault(message: str) -> bool:
    """Whether a recorded error message names a fault of the environment (see above)."""
    return bool(_MESSAGE.search(message or ""))
