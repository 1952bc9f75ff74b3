"""Output paths, checked before any work starts.

Every command that writes (``run --out/--plot``, ``sweep --out``, ``results --out``,
``report -o``, ``plot -o``) checks its output here first, so that a run of minutes is never
lost to a path that cannot be written: an empty path, a directory where a file is expected
(or a file where a directory is), a missing parent directory, a place that cannot be written
(read-only, ``/proc``) and a wrong file suffix are each one error naming the option. An
existing file is replaced (atomically, when the work is done).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from .errors import InvalidValueError

__all__ = ["output_file", "output_dir"]


def _probe(directory: Path, shown: str, option: str) -> None:
    """Create and remove a file in ``directory``: the only sure test that it can be written."""
    try:
        with tempfile.NamedTemporaryFile(dir=directory, prefix=".optbench-probe-"):
            pass
    except OSError as exc:
        raise InvalidValueError(f"cannot write {shown}: {exc.strerror or exc} in "
                                f"{str(directory)!r} (option {option})") from None


def output_file(path, option: str, suffixes=None) -> Path:
    """``path`` as a file that can be written (see the module doc); ``suffixes`` are the
    endings allowed (any when None)."""
    if path is None or not str(path).strip():
        raise InvalidValueError(f"an empty path is not a file name (option {option})")
    path = Path(path).expanduser()
    shown = repr(str(path))
    if path.is_dir():
        raise InvalidValueError(f"cannot write {shown}: it is a directory; give a file name "
                                f"(option {option})")
    if suffixes and path.suffix.lower() not in suffixes:
        raise InvalidValueError(f"cannot use {shown}: the file name must end in "
                                f"{' or '.join(suffixes)} (option {option})")
    parent = path.parent
    if not parent.is_dir():
        what = "is not a directory" if parent.exists() else "does not exist"
        raise InvalidValueError(f"cannot write {shown}: directory {str(parent)!r} {what} "
                                f"(option {option})")
    if path.exists() and not os.access(path, os.W_OK):
        raise InvalidValueError(f"cannot write {shown}: the file is read-only (option {option})")
    _probe(parent, shown, option)
    return path


def output_dir(path, option: str) -> Path:
    """``path`` as a directory that exists or can be created, and can be written."""
    if path is None or not str(path).strip():
        raise InvalidValueError(f"an empty path is not a directory name (option {option})")
    path = Path(path).expanduser()
    shown = repr(str(path))
    if path.exists() and not path.is_dir():
        raise InvalidValueError(f"cannot write results to {shown}: it is a file (option "
                                f"{option})")
    existing = next((p for p in (path, *path.parents) if p.exists()), None)
    if existing is None or not existing.is_dir():
        raise InvalidValueError(f"cannot create {shown}: {str(existing)!r} is not a directory "
                                f"(option {option})")
    _probe(existing, shown, option)
    return path
