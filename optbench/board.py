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

import contextlib
import os
import select
import signal
import sys
import threading
import time

import numpy as np
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic

from ._jit import jit

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


@contextlib.contextmanager
def watch(board: np.ndarray, progress: bool = False, label: str = ""):
    """While the block runs the compiled loop: SIGINT / SIGTERM stop it at its next
    checkpoint instead of raising (``Watch.signal`` says which came), and with ``progress``
    a line on stderr (a terminal only) shows the run once it has lasted a second.

    Outside the main thread (where signal handlers cannot be set), and in sweep worker
    processes (``WATCH_SIGNALS`` off: their parent kills them), nothing is connected."""
    seen = Watch()
    if not WATCH_SIGNALS or threading.current_thread() is not threading.main_thread():
        yield seen
        return
    read_fd, write_fd = os.pipe()
    os.set_blocking(read_fd, False)
    os.set_blocking(write_fd, False)
    previous = {s: signal.getsignal(s) for s in STOP_SIGNALS}

    def record(signum, frame):  # runs when the compiled call has returned, or at once
        seen.signal = seen.signal or signum  # in a Python solver (optbench.external),
        board[STOP] = board[STOP] or signum  # which reads the board itself

    done = threading.Event()
    show = progress and _is_terminal()
    thread = threading.Thread(target=_watcher, args=(read_fd, board, done, show, label),
                              name="optbench-watch", daemon=True)
    global active
    old_wakeup = signal.set_wakeup_fd(write_fd, warn_on_full_buffer=False)
    try:
        for s in STOP_SIGNALS:
            signal.signal(s, record)
        thread.start()
        active = board
        yield seen
    finally:
        active = None
        done.set()
        with contextlib.suppress(OSError):  # wake the watcher now, not at its next timeout
            os.write(write_fd, b"\0")
        if thread.is_alive():
            thread.join()
        signal.set_wakeup_fd(old_wakeup)
        for s, handler in previous.items():
            signal.signal(s, handler)
        os.close(read_fd)
        os.close(write_fd)
        if not seen.signal and board[STOP]:
            seen.signal = int(board[STOP])


def _is_terminal() -> bool:
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False


def _watcher(read_fd: int, board: np.ndarray, done: threading.Event, show: bool,
             label: str) -> None:
    started = time.monotonic()
    shown = 0.0  # when the progress line was last written (0: never)
    while not done.is_set():
        ready, _, _ = select.select([read_fd], [], [], 0.05)
        if ready:
            try:
                data = os.read(read_fd, 64)
            except BlockingIOError:
                data = b""
            for number in data:
                if number in STOP_SIGNALS and not board[STOP]:
                    board[STOP] = number
        if show and time.monotonic() - started >= PROGRESS_AFTER and \
                (not shown or time.monotonic() - shown >= PROGRESS_EVERY):
            sys.stderr.write("\r" + progress_line(board, label) + "\033[K")
            sys.stderr.flush()
            shown = time.monotonic()
    if shown:
        sys.stderr.write("\r\033[K")
        sys.stderr.flush()


def progress_line(board: np.ndarray, label: str = "") -> str:
    """``label  iteration 1,234,567  f=...  |grad|=...  12.3 s  1.0e+05 it/s``."""
    k, elapsed = int(board[ITERATION]), float(board[ELAPSED])
    rate = f"{k / elapsed:.3g} it/s" if elapsed > 0 else ""
    return (f"{label}  iteration {k:,}  f={board[F]:.6g}  |grad|={board[GRAD_NORM]:.3e}  "
            f"{elapsed:.1f} s  {rate}").strip()
