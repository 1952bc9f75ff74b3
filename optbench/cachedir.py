"""Where optbench's caches live: private directories, numba's compiled-code directory and the
lock every optbench process holds on it (what :mod:`optbench._jit` needs before it compiles;
pruning and listing are :mod:`optbench.cache`).

Compiled code lives in numba's disk cache, in ``$NUMBA_CACHE_DIR`` when that is set, else in
``<user cache>/optbench/numba`` (``~/.cache/optbench/numba`` on Linux); known optima in
``$OPTBENCH_CACHE_DIR``, else ``<user cache>/optbench/optima`` (see :mod:`optbench.optima`).

numba's cache index is a pickle: whoever can write it can run code as the user who loads it.
A cache directory is used only when it is the user's own: owned by the user, not a symbolic
link to someone else's, and writable by nobody else (no write bit for others; none for the
group unless it is the user's own primary group). A directory optbench creates is made with
mode 0700. When the chosen location fails these checks or cannot be written, the fallback is
``<tmp>/optbench-<uid>/<what>``, created 0700 and checked the same way on every start; when
even that is taken, a fresh private temporary directory for this process only. Each fallback
is one warning (logger ``optbench``). Every optbench process holds a shared lock on the
compiled-code cache while it runs.
"""

from __future__ import annotations

import fcntl
import functools
import logging
import os
import stat
import sys
import tempfile
from pathlib import Path

__all__ = ["check_numba_cache", "caching_enabled", "numba_cache_dir", "private_dir",
           "user_cache_root", "not_private", "take_lock"]

log = logging.getLogger("optbench")
_LOCK_NAME = ".optbench.lock"
_lock_fd: int | None = None


# -- private directories ---------------------------------------------------------------------------
def user_cache_root() -> Path:
    """The platform's per-user cache directory."""
    home = Path.home()
    if sys.platform == "darwin":
        return home / "Library" / "Caches"
    return Path(os.environ.get("XDG_CACHE_HOME") or home / ".cache")


def not_private(directory: Path) -> str | None:
    """Why ``directory`` is not safe to load cached code from (None when it is the user's
    own: a directory owned by the user that nobody else can write)."""
    try:
        st = os.stat(directory)  # follows a symbolic link: the target is what counts
        link = os.lstat(directory)
    except OSError as exc:
        return f"{type(exc).__name__}: {exc.strerror}"
    if not stat.S_ISDIR(st.st_mode):
        return "it is not a directory"
    if stat.S_ISLNK(link.st_mode) and link.st_uid != os.getuid():
        return f"it is a symbolic link owned by user id {link.st_uid}"
    if st.st_uid != os.getuid():
        return f"it is owned by user id {st.st_uid}, not by this user ({os.getuid()})"
    if st.st_mode & stat.S_IWOTH:
        return f"other users can write it (mode {stat.S_IMODE(st.st_mode):o})"
    if st.st_mode & stat.S_IWGRP and st.st_gid != os.getgid():
        return f"group {st.st_gid} can write it (mode {stat.S_IMODE(st.st_mode):o})"
    return None


def _make_private(directory: Path) -> str | None:
    """Create ``directory`` (mode 0700 for what is created) if needed, check that it is
    private and writable; the reason when it is not."""
    try:
        missing = [p for p in (directory, *directory.parents) if not p.exists()]
        for p in reversed(missing):
            p.mkdir(mode=0o700)
            os.chmod(p, 0o700)
    except OSError as exc:
        return f"it cannot be created ({type(exc).__name__}: {exc.strerror})"
    reason = not_private(directory)
    if reason is None and not os.access(directory, os.W_OK | os.X_OK):
        reason = "it cannot be written"
    return reason


def private_dir(preferred: Path, what: str, setting: str) -> Path:
    """``preferred`` when it is (or can be made) a private writable directory, else the
    per-user fallback ``<tmp>/optbench-<uid>/<what>``, else a fresh temporary directory for
    this process; one warning names ``setting`` and why ``preferred`` was not used."""
    reason = _make_private(preferred)
    if reason is None:
        return preferred
    fallback = Path(tempfile.gettempdir()) / f"optbench-{os.getuid()}" / what
    why_not = _make_private(fallback)
    if why_not is None:
        log.warning("optbench: warning: %s %r is not used for the %s cache: %s; using %r "
                    "instead", setting, str(preferred), what, reason, str(fallback))
        return fallback
    own = Path(tempfile.mkdtemp(prefix=f"optbench-{os.getuid()}-{what}-"))
    log.warning("optbench: warning: %s %r is not used for the %s cache (%s), nor is %r (%s); "
                "using %r for this process only", setting, str(preferred), what, reason,
                str(fallback), why_not, str(own))
    return own


# -- the compiled-code cache ----------------------------------------------------------------------
# numba is imported only here, when compiled code is cached (the optima's directory needs none).
def numba_cache_dir() -> Path:
    """The directory numba caches optbench's compiled code in (checked, see the module doc)."""
    check_numba_cache()
    from ._numba import cache_dir_setting

    return Path(cache_dir_setting())


@functools.cache
def check_numba_cache() -> bool:
    """Point numba's disk cache at a private directory (see the module doc) and take the
    shared lock on it. Returns False when caching is impossible (never in practice: the
    last fallback is a fresh temporary directory)."""
    from ._numba import cache_dir_setting, set_cache_dir

    configured = cache_dir_setting()
    if configured:
        chosen = private_dir(Path(configured).expanduser(), "numba", "NUMBA_CACHE_DIR")
    else:
        chosen = private_dir(user_cache_root() / "optbench" / "numba", "numba",
                             "the default location")
    set_cache_dir(chosen)
    take_lock(chosen, fcntl.LOCK_SH)
    return True


def caching_enabled() -> bool:
    """Whether compiled code may be cached on disk (see :func:`check_numba_cache`)."""
    return check_numba_cache()


def take_lock(directory: Path, how: int) -> bool:
    """Take this process's lock on the compiled-code cache ``directory`` (``fcntl.LOCK_SH``,
    or ``LOCK_EX | LOCK_NB`` to prune); False when it cannot be had."""
    global _lock_fd
    try:
        if _lock_fd is None:
            _lock_fd = os.open(directory / _LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o600)
        fcntl.flock(_lock_fd, how)
        return True
    except OSError:
        return False
