"""A run's shared board: what the compiled loop publishes, and the stop request it obeys.

The board is a small float array in the run's :class:`~optbench.Control`. At each of its
checkpoints (every recorded row, and at least every ~10 ms of running, see
:mod:`optbench.solvers._loop`) the compiled loop writes the iteration, f, the gradient norm
and the elapsed time into it, and reads the ``STOP`` slot with an atomic load, so that a
value written there by another thread is seen at the next checkpoint.

:func:`watch` connects a run to the outside while its compiled code runs on the main thread
(which cannot run Python signal handlers until the compiled call returns): Ctrl-C (SIGINT)
and SIGTERM are recorded instead of raised, Python's C-level handler writes the signal number
to a wake-up pipe at once, and a watcher thread copies it into ``STOP``. The same thread
prints a progress line on a terminal once a run has lasted a second. Calls of the compiled
solvers from the user's own code never stop: nothing writes their board.
"""

from __future__ import annotations

import _signal
import os
import select
import signal
import sys
import threading
import time

import numpy as np
from numba import types
from numba.extending import intrinsic

from ._jit import jit
from ._numba import cgutils

__all__ = ["STOP", "ITERATION", "F", "GRAD_NORM", "ELAPSED", "SIZE", "new_board", "publish",
           "stop_requested", "watch", "Watch", "signal_name"]

STOP, ITERATION, F, GRAD_NORM, ELAPSED = range(5)
SIZE = 5
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)
WATCH_SIGNALS = True     # False in sweep worker processes: their parent handles signals
PROGRESS_AFTER = 1.0     # seconds of running before the progress line appears
PROGRESS_EVERY = 0.5     # seconds between its updates


def new_board() -> np.ndarray:
    """A fresh board (all zero: no stop requested)."""
    return np.zeros(SIZE)


def signal_name(number: int) -> str:
    try:
        return signal.Signals(int(number)).name
    except ValueError:
        return f"signal {int(number)}"


# -- the compiled side ---------------------------------------------------------------------------
@intrinsic
def _atomic_load(typingctx, board, index):
    """board[index] read with an atomic (monotonic) load: never kept in a register across
    loop iterations, so a write by another thread is seen."""
    sig = types.float64(board, index)

    def codegen(context, builder, signature, args):
        aryty = signature.args[0]
        ary = context.make_array(aryty)(context, builder, args[0])
        ptr = cgutils.get_item_pointer(context, builder, aryty, ary, [args[1]],
                                       wraparound=False)
        return builder.load_atomic(ptr, "monotonic", 8)

    return sig, codegen


@jit(inline=True)
def stop_requested(board):
    """The signal number a watcher wrote into the board (0: none)."""
    return _atomic_load(board, STOP)


@jit(inline=True)
def publish(board, k, fx, gsq, t):
    """The loop's state at a checkpoint, for progress lines (plain stores)."""
    board[ITERATION] = k
    board[F] = fx
    board[GRAD_NORM] = np.sqrt(gsq)
    board[ELAPSED] = t


# -- the Python side ------------------------------------------------------------------------------
class Watch:
    """What :func:`watch` saw: the stop signal received (0: none)."""

    def __init__(self):
        self.signal = 0


active: np.ndarray | None = None  # the board of the run being watched (None between runs)


class _Watcher:
    """The process's one watcher thread: it sleeps on the signal wake-up pipe (waking every
    50 ms only while a progress line is wanted), copies a stop signal into the active board
    and writes the progress line. Made on first use, so that a run pays no thread start."""

    def __init__(self):
        self.pid = os.getpid()
        self.read_fd, self.write_fd = os.pipe()
        os.set_blocking(self.read_fd, False)
        os.set_blocking(self.write_fd, False)
        self.lock = threading.Lock()  # guards board, show and the progress line
        self.board: np.ndarray | None = None
        self.show = False
        self.label = ""
        self.started = 0.0
        self.shown = 0.0  # when the progress line was last written (0: not on screen)
        threading.Thread(target=self._loop, name="optbench-watch", daemon=True).start()

    def begin(self, board: np.ndarray, show: bool, label: str) -> None:
        with self.lock:
            self._drain()  # bytes of signals that came between runs are not this run's
            self.board, self.show, self.label = board, show, label
            self.started, self.shown = time.monotonic(), 0.0
        if show:
            os.write(self.write_fd, b"\0")  # wake the thread: it now polls for progress

    def end(self) -> None:
        with self.lock:
            self.board = None
            self.show = False
            if self.shown:
                sys.stderr.write("\r\033[K")
                sys.stderr.flush()
                self.shown = 0.0

    def _drain(self) -> bytes:
        try:
            return os.read(self.read_fd, 64)
        except BlockingIOError:
            return b""

    def _loop(self) -> None:
        while True:
            select.select([self.read_fd], [], [], PROGRESS_POLL if self.show else None)
            with self.lock:
                data, board = self._drain(), self.board
                if board is not None:
                    for number in data:
                        if number in STOP_SIGNALS and not board[STOP]:
                            board[STOP] = number
                self._progress()

    def _progress(self) -> None:
        now = time.monotonic()
        if self.show and now - self.started >= PROGRESS_AFTER and \
                (not self.shown or now - self.shown >= PROGRESS_EVERY):
            sys.stderr.write("\r" + progress_line(self.board, self.label) + "\033[K")
            sys.stderr.flush()
            self.shown = now


_watcher: _Watcher | None = None
PROGRESS_POLL = 0.05  # seconds between the watcher's looks at the clock for progress lines


def _the_watcher() -> _Watcher:
    global _watcher
    if _watcher is None or _watcher.pid != os.getpid():  # none yet, or made before a fork
        _watcher = _Watcher()
    return _watcher


class watch:
    """``with watch(board, progress, label) as seen:`` around the compiled loop: SIGINT /
    SIGTERM stop it at its next checkpoint instead of raising (``seen.signal`` says which
    came), and with ``progress`` a line on stderr (a terminal only) shows the run once it
    has lasted a second.

    Outside the main thread (where signal handlers cannot be set), and in sweep worker
    processes (``WATCH_SIGNALS`` off: their parent kills them), nothing is connected.
    Handlers are set through ``_signal`` (what ``signal`` wraps in enums, at ~10x the cost);
    a class, not a generator context manager: a run pays about a microsecond less."""

    __slots__ = ("board", "progress", "label", "seen", "watcher", "previous", "old_wakeup")

    def __init__(self, board: np.ndarray, progress: bool = False, label: str = ""):
        self.board, self.progress, self.label = board, progress, label
        self.seen = Watch()
        self.watcher = None

    def _record(self, signum, frame):  # runs when the compiled call has returned, or at once
        self.seen.signal = self.seen.signal or signum  # in a Python solver
        self.board[STOP] = self.board[STOP] or signum  # (optbench.external), which reads it

    def __enter__(self) -> Watch:
        if not WATCH_SIGNALS or threading.current_thread() is not threading.main_thread():
            return self.seen
        global active
        self.watcher = watcher = _the_watcher()
        watcher.begin(self.board, self.progress and _is_terminal(), self.label)
        record = self._record
        self.previous = [(s, _signal.signal(s, record)) for s in STOP_SIGNALS]
        self.old_wakeup = _signal.set_wakeup_fd(watcher.write_fd, warn_on_full_buffer=False)
        active = self.board
        return self.seen

    def __exit__(self, *exc) -> None:
        if self.watcher is None:
            return
        global active
        active = None
        _signal.set_wakeup_fd(self.old_wakeup)
        for s, handler in self.previous:
            _signal.signal(s, handler)
        self.watcher.end()
        if not self.seen.signal and self.board[STOP]:
            self.seen.signal = int(self.board[STOP])


def _is_terminal() -> bool:
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False


def progress_line(board: np.ndarray, label: str = "") -> str:
    """``label  iteration 1,234,567  f=...  |grad|=...  12.3 s  1.0e+05 it/s``."""
    k, elapsed = int(board[ITERATION]), float(board[ELAPSED])
    rate = f"{k / elapsed:.3g} it/s" if elapsed > 0 else ""
    return (f"{label}  iteration {k:,}  f={board[F]:.6g}  |grad|={board[GRAD_NORM]:.3e}  "
            f"{elapsed:.1f} s  {rate}").strip()
