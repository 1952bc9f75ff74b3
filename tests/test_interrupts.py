"""Interrupts and faults: Ctrl-C and SIGTERM inside compiled loops, sweeps stopped and
resumed, workers that die with their parent or crash, faults of the environment, corrupt
results. Every test acts on an event (a progress line printed, a cell file written, a
board showing iterations), never on a delay of chosen length, and fails loudly when the
event never comes."""

import importlib
import os
import pty
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pandas as pd
import pytest
from test_sweep import comparable, comparable_history

import optbench
from optbench import board
from optbench.cli import main

EVENT_TIMEOUT = 600.0  # seconds: only a broken machine takes this long for a first event
LONG_RUN = ["run", "quadratic", "gd", "--dim", "2", "--max-iter", "2000000000000", "--tol",
            "0", "--record-every", "1000000000000"]


def _wait_for(event, what: str, proc=None, timeout: float = EVENT_TIMEOUT):
    """Poll ``event()`` until it is true; fail loudly if it never is (or ``proc`` ends)."""
    deadline = time.monotonic() + timeout
    while not event():
        if proc is not None and proc.poll() is not None:
            pytest.fail(f"the process ended (exit {proc.returncode}) before {what}")
        if time.monotonic() > deadline:
            pytest.fail(f"{what} did not happen within {timeout:.0f} s")
        time.sleep(0.005)  # a polling interval, not a delay anything waits for


def _interactive() -> None:
    """In the child: Ctrl-C at its default, as on a terminal, even when this test process
    was started as a background job (which inherits SIGINT ignored)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _cli(args, **kw):
    return subprocess.Popen([sys.executable, "-m", "optbench", *args], text=True,
                            preexec_fn=_interactive, **kw)


# -- a single run -----------------------------------------------------------------------------
@pytest.mark.slow
@pytest.mark.parametrize("sig, code", [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_a_long_run_stops_on_a_signal_and_keeps_its_table(sig, code, tmp_path):
    """The run shows its progress line on a terminal; the signal sent once the line is seen
    stops the compiled loop at its next checkpoint: the table so far is printed and saved,
    the exit status names the signal, no traceback."""
    out = tmp_path / "partial.csv"
    controller, terminal = pty.openpty()
    proc = _cli([*LONG_RUN, "--out", str(out)], stdout=subprocess.PIPE, stderr=terminal,
                cwd=tmp_path)
    os.close(terminal)
    seen = bytearray()

    def progress_line_shown():
        try:
            seen.extend(os.read(controller, 4096))
        except OSError:
            pass
        return b"iteration" in seen and b"it/s" in seen

    _wait_for(progress_line_shown, "the progress line", proc)
    sent = time.monotonic()
    proc.send_signal(sig)
    stdout, _ = proc.communicate(timeout=60)
    latency = time.monotonic() - sent
    os.close(controller)
    assert proc.returncode == code, stdout
    assert b"Traceback" not in seen
    lines = stdout.splitlines()
    assert lines[-2].startswith(f"interrupted: stopped by {signal.Signals(sig).name} at "
                                "iteration ")
    table = optbench.load_table(out)
    iterations = int(lines[-2].split("iteration ")[1].split(".")[0])
    assert table["iteration"].iloc[-1] == iterations < 2_000_000_000_000
    print(f"stopped {latency:.3f} s after the signal")  # the figure, not a test of speed


def test_optbench_run_raises_interrupted_with_the_partial_result():
    """In the same process: a thread sends SIGINT to the main thread once the run's board
    shows iterations; run() raises Interrupted (a KeyboardInterrupt) holding the Result."""
    p = optbench.make_problem("quadratic", dim=2)
    optbench.run(p, "gd", max_iter=10)  # compiled before the watched run
    before = signal.getsignal(signal.SIGINT)  # (ignored when pytest runs as a background job)

    def interrupt_once_running():
        _wait_for(lambda: board.active is not None and board.active[board.ITERATION] > 0,
                  "the run's first checkpoint")
        signal.pthread_kill(threading.main_thread().ident, signal.SIGINT)

    thread = threading.Thread(target=interrupt_once_running, daemon=True)
    thread.start()
    with pytest.raises(optbench.Interrupted) as caught:
        optbench.run(p, "gd", max_iter=2 * 10**12, tol=0.0, record_every=10**12)
    thread.join()
    res = caught.value.result
    assert isinstance(caught.value, KeyboardInterrupt) and caught.value.signal == signal.SIGINT
    assert res.status == "interrupted" and "SIGINT" in res.message
    assert 0 < res.iterations < 2 * 10**12
    assert res.table["iteration"].iloc[-1] == res.iterations
    # the iterate is the one of the last row: the loop stopped cleanly between iterations
    assert res.table["f"].iloc[-1] == pytest.approx(p.f(res.x), rel=1e-12, abs=1e-12)
    assert board.active is None and signal.getsignal(signal.SIGINT) is before


# -- sweeps ------------------------------------------------------------------------------------
SLOW_CELLS = """
seeds = "0-3"
[run]
max_iter = 3000000
tol = 0
record_every = 1000000
[[problems]]
name = "quadratic"
dim = 2
[[solvers]]
name = "gd"
params = { step = [0.5, 1.0] }
"""


def _cells(out: Path) -> int:
    """Part files written (each holds a batch of finished cells)."""
    return len(list((out / "parts").glob("part-*.parquet"))) if (out / "parts").is_dir() else 0


@pytest.mark.slow
@pytest.mark.parametrize("workers", ["1", "2"])
def test_an_interrupted_sweep_keeps_what_finished_and_resumes(workers, tmp_path):
    config = tmp_path / "sweep.toml"
    config.write_text(SLOW_CELLS)
    reference = optbench.sweep(config, tmp_path / "reference", workers=1, progress=False)
    out = tmp_path / "interrupted"
    proc = _cli(["sweep", str(config), "--out", str(out), "--workers", workers,
                 "--no-progress"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                start_new_session=True)
    _wait_for(lambda: _cells(out) >= 1, "the first cell file", proc)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert "Traceback" not in err and "run the same sweep again to resume" in err
    kept = optbench.load_runs(out)
    assert (kept["status"] != "error").all() and 1 <= len(kept) < len(reference)
    assert all(p.name.startswith("part-") for p in (out / "parts").iterdir())  # none half-done
    resumed = optbench.sweep(config, out, workers=1, progress=False)
    pd.testing.assert_frame_equal(comparable(resumed), comparable(reference))
    pd.testing.assert_frame_equal(comparable_history(out),
                                  comparable_history(tmp_path / "reference"))


@pytest.mark.slow
def test_kill_9_of_the_parent_leaves_no_worker_behind(tmp_path):
    config = tmp_path / "sweep.toml"
    config.write_text(SLOW_CELLS.replace("3000000", "300000000"))
    out = tmp_path / "r"
    proc = _cli(["sweep", str(config), "--out", str(out), "--workers", "2", "--no-progress"],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    _wait_for(lambda: _cells(out) >= 1, "the first cell file", proc)
    group = os.getpgid(proc.pid)
    proc.kill()
    proc.wait()

    def none_left():
        found = subprocess.run(["pgrep", "-g", str(group)], capture_output=True, text=True)
        return not found.stdout.split()

    _wait_for(none_left, "every worker's exit", timeout=5.0)


CRASHING_PROBLEM = '''
import multiprocessing
import os
import sys

import numpy as np
import optbench
from optbench import Oracle, Param, Problem, jit


@jit
def f(x, args):
    return (x[0] - 3.0) ** 2


@jit
def grad(x, args, out):
    (limit,) = args
    if x[0] > limit:  # past the limit: writes far outside out, the process dies
        for i in range(1 << 30, (1 << 30) + 4096 * 256, 4096):
            out[i] = 1.0
    out[0] = 2.0 * (x[0] - 3.0)


@optbench.register_problem("segv", params=(Param("limit", 1.0, float, "crash past it"),),
                           summary="crashes its process once x passes the limit")
def build(limit):
    return Problem(name="segv", family="segv", oracle=Oracle(f, grad, None, None, (limit,)),
                   x0=np.zeros(1), formula="(x - 3)^2", f_star=0.0, minimizers=([3.0],))


def _in_worker():
    return multiprocessing.parent_process() is not None  # (the sweep plans with it too)


@optbench.register_problem("quits", params=(Param("code", -1, int, "exit code"),),
                           summary="ends a worker process with the code when it is >= 0")
def build_quits(code):
    if code >= 0 and _in_worker():
        os._exit(code)
    return build(100.0)


@optbench.register_problem("exits", params=(Param("code", 3, int, "exit code"),),
                           summary="raises SystemExit in a worker process")
def build_exits(code):
    if _in_worker():
        sys.exit(code)
    return build(100.0)
'''


@pytest.mark.slow
def test_a_cell_that_kills_its_worker_is_recorded_crashed_and_the_rest_run(tmp_path):
    folder = tmp_path / "problems"
    folder.mkdir()
    (folder / "segv.py").write_text(CRASHING_PROBLEM)
    out = tmp_path / "r"
    proc = subprocess.run([sys.executable, "-m", "optbench", "--problems-dir", str(folder),
                           "sweep", "--problems", "segv,quits,exits,quadratic", "-P",
                           "segv.limit=1,100", "-P", "quits.code=-1,0,3", "--solvers", "gd",
                           "-p", "step=0.1",
                           "--out", str(out), "--workers", "2", "--no-progress"],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 4, proc.stderr  # a cell crashed
    runs = optbench.load_runs(out).set_index("instance")
    assert runs.loc["segv(limit=1)", "status"] == "crashed"
    assert "SIGSEGV" in runs.loc["segv(limit=1)", "message"]
    assert runs.loc["segv(limit=100)", "status"] == "converged"  # never blamed
    for code in (0, 3):  # exited, not signalled (0 too: mid-cell, it is no normal end)
        assert runs.loc[f"quits(code={code})", "status"] == "crashed"
        assert f"(exit code {code}) running this cell" in runs.loc[f"quits(code={code})", "message"]
    assert runs.loc["quits(code=-1)", "status"] == "converged"
    assert runs.loc["exits", "status"] == "error"  # raised SystemExit: recorded, no crash
    assert runs.loc["exits", "message"] == "SystemExit: 3"
    assert runs.loc["quadratic", "status"] == "max_iter"
    assert "Traceback" not in proc.stderr


@pytest.mark.slow
def test_workers_that_die_before_any_cell_stop_the_sweep_with_one_error(tmp_path):
    """Worker processes that cannot start (here: their initializer is os._exit, called with
    the wrong arguments) break the pool before any cell runs: the sweep gives up after
    _BREAKS_ALLOWED restarts in a row instead of restarting them for ever."""
    allowed = importlib.import_module("optbench.sweep")._BREAKS_ALLOWED
    script = ("import importlib, os, optbench\n"
              "importlib.import_module('optbench.sweep')._worker_init = os._exit\n"
              "optbench.sweep({'problems': ['quadratic'], 'solvers': ['gd'], 'seeds': '0-3'}, "
              f"{str(tmp_path / 'r')!r}, workers=2, progress=False)\n")
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=300)  # (before: restarted for ever)
    assert proc.returncode == 1
    assert f"SweepError: the worker processes died {allowed + 1} times in a row with no " \
           "cell finished (before any cell)" in proc.stderr
    assert "0 of 4 cells are finished" in proc.stderr
    assert optbench.load_runs(tmp_path / "r").empty


def test_a_sweep_from_a_script_read_on_stdin_refuses_workers_at_once(tmp_path):
    """Spawned workers read the main script again: one read from standard input cannot be,
    so the sweep refuses before starting (it used to restart dying workers for ever)."""
    script = ("import optbench\n"
              f"optbench.sweep({{'problems': ['quadratic'], 'solvers': ['gd']}}, "
              f"{str(tmp_path / 'r')!r}, workers=2, progress=False)\n")
    proc = subprocess.run([sys.executable, "-"], input=script, capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 1
    assert "InvalidValueError: worker processes cannot start from a script that is not a " \
           "file ('<stdin>'" in proc.stderr and "workers=1" in proc.stderr
    assert not (tmp_path / "r").exists()


# -- faults of the environment -------------------------------------------------------------------
@pytest.mark.slow
def test_a_results_directory_that_breaks_stops_the_sweep_with_one_line(tmp_path):
    config = tmp_path / "sweep.toml"
    config.write_text(SLOW_CELLS)
    reference = optbench.sweep(config, tmp_path / "reference", workers=1, progress=False)
    out = tmp_path / "r"
    proc = _cli(["sweep", str(config), "--out", str(out), "--workers", "1", "--no-progress"],
                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    _wait_for(lambda: _cells(out) >= 1, "the first cell file", proc)
    (out / "parts").rename(out / "saved")  # the next part cannot be written
    (out / "parts").write_text("not a directory")
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 5, err
    assert "Traceback" not in err and "optbench: error: " in err and "parts" in err
    (out / "parts").unlink()
    (out / "saved").rename(out / "parts")  # fixed: resume
    assert (optbench.load_runs(out)["status"] != "error").all()
    resumed = optbench.sweep(config, out, workers=1, progress=False)
    pd.testing.assert_frame_equal(comparable(resumed), comparable(reference))


@pytest.mark.slow
def test_a_cache_directory_that_breaks_never_becomes_error_cells(tmp_path):
    """The compiled-code cache replaced by a file once the first cell is written: depending on
    what still had to compile, the sweep either stops with one line naming the cause (exit 5)
    or finishes with code already loaded (exit 0); never a cell recorded as an error."""
    config = tmp_path / "sweep.toml"
    config.write_text(SLOW_CELLS + '\n[[solvers]]\nname = "bfgs"\n')
    reference = optbench.sweep(config, tmp_path / "reference", workers=1, progress=False)
    cache, out = tmp_path / "cache", tmp_path / "r"
    proc = _cli(["sweep", str(config), "--out", str(out), "--workers", "1", "--no-progress"],
                stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                env=dict(os.environ, NUMBA_CACHE_DIR=str(cache)))
    _wait_for(lambda: _cells(out) >= 1, "the first cell file", proc)
    shutil.move(cache, tmp_path / "cache-moved")
    cache.write_text("not a directory")
    _, err = proc.communicate(timeout=300)
    assert proc.returncode in (0, 5), err
    if proc.returncode == 5:
        assert "optbench: error: " in err and "while running" in err
    assert "Traceback" not in err
    assert (optbench.load_runs(out)["status"] != "error").all()
    cache.unlink()
    resumed = optbench.sweep(config, out, workers=1, progress=False)
    pd.testing.assert_frame_equal(comparable(resumed), comparable(reference))


def test_environment_causes_are_told_from_cell_errors(tmp_path):
    from optbench.faults import environment_cause, environment_fault

    assert environment_cause(MemoryError()) is not None
    assert environment_cause(OSError(28, "No space left on device")) is not None
    inside = OSError(20, "Not a directory", str(tmp_path / "cache" / "x.nbi"))
    assert environment_cause(inside, [tmp_path / "cache"]) is not None
    data_file = FileNotFoundError(2, "No such file", str(tmp_path / "data.csv"))
    assert environment_cause(data_file, [tmp_path / "cache"]) is None  # the problem's own
    wrapped = ValueError("bad")
    wrapped.__cause__ = MemoryError()
    assert environment_cause(wrapped) is not None
    assert environment_fault("NotADirectoryError: [Errno 20] Not a directory: "
                             "'/tmp/x/numba/a.nbi'")
    assert not environment_fault("FileNotFoundError: [Errno 2] No such file: 'x0-1.csv'")


def test_dask_without_workers_stops_with_one_line(tmp_path):
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=0, processes=False, dashboard_address=None) as c:
        with pytest.raises(optbench.OptbenchError, match="has no workers"):
            optbench.sweep({"problems": ["parabola"], "solvers": ["gd"]}, tmp_path / "r",
                           scheduler=c.scheduler_address, worker_timeout=1.0, progress=False)
    assert not (tmp_path / "r").exists()  # nothing written


# -- corrupt results ----------------------------------------------------------------------------
def _results(tmp_path) -> Path:
    out = tmp_path / "r"
    optbench.sweep({"problems": [{"name": "quadratic", "dim": 2}], "solvers": [
        {"name": "gd", "params": {"step": [0.5, 1.0]}}], "seeds": [0, 1],
        "run": {"max_iter": 50}}, out, workers=1, progress=False)
    return out


CORRUPTIONS = {
    "truncated": lambda p: p.write_bytes(p.read_bytes()[:100]),
    "garbage": lambda p: p.write_bytes(b"garbage" * 10),
    "empty": lambda p: p.write_bytes(b""),
    "directory": lambda p: (p.unlink(), p.mkdir()),
    "symlink": lambda p: (p.unlink(), p.symlink_to("/etc/hostname")),
    "foreign-parquet": lambda p: pd.DataFrame({"a": [1.0]}).to_parquet(p),
    "bad-metadata": lambda p: _rewrite_meta(p, {"cell": "../../outside", "status": "converged"}),
}


def _rewrite_meta(path: Path, record: dict) -> None:
    import json

    import pyarrow.parquet as pq

    table = pq.read_table(path)
    pq.write_table(table.replace_schema_metadata({b"optbench.cell": json.dumps(record)}), path)


@pytest.mark.parametrize("kind", list(CORRUPTIONS))
def test_a_corrupt_cell_file_is_named_by_every_reader_and_run_again(kind, tmp_path, caplog):
    out = _results(tmp_path)
    import pyarrow.parquet as pq

    before = optbench.load_runs(out)
    bad = sorted((out / "parts").glob("*.parquet"))[0]
    lost = set(pq.read_table(bad, columns=["cell"]).column("cell").to_pylist())
    CORRUPTIONS[kind](bad)
    with caplog.at_level("WARNING", logger="optbench"):
        runs = optbench.load_runs(out)
        history = optbench.load_history(out)
    assert set(runs["cell"]) == set(before["cell"]) - lost and not lost & set(history["cell"])
    assert str(bad) in caplog.text and "not a valid part" in caplog.text
    for argv in (["results", str(out)], ["report", str(out), "-o", str(tmp_path / "r.html")],
                 ["plot", "convergence", str(out), "-o", str(tmp_path / "c.png")]):
        proc = subprocess.run([sys.executable, "-m", "optbench", *argv], capture_output=True,
                              text=True)
        assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stderr
        assert bad.name in proc.stderr
    caplog.clear()
    with caplog.at_level("WARNING", logger="optbench"):  # a resume quarantines and re-runs it
        again = optbench.sweep(_config(out), out, workers=1, progress=False)
    assert os.path.lexists(out / "parts" / ".quarantine" / bad.name)
    assert "moved to" in caplog.text
    pd.testing.assert_frame_equal(comparable(again), comparable(before))


def _config(out: Path) -> dict:
    return optbench.store.load_manifest(out)["config"]


MANIFESTS = {
    "truncated": b'{"config": {"problems": ',
    "binary": bytes(range(256)),
    "empty-object": b"{}",
    "list": b"[]",
    "null": b"null",
    "solved-word": None,  # filled from the real manifest below
}


@pytest.mark.parametrize("kind", list(MANIFESTS))
def test_a_broken_manifest_is_one_line_naming_it(kind, tmp_path):
    import json

    out = _results(tmp_path)
    manifest = out / "manifest.json"
    if kind == "solved-word":
        data = json.loads(manifest.read_text())
        data["config"]["solved"] = "abc"
        manifest.write_text(json.dumps(data))
    else:
        manifest.write_bytes(MANIFESTS[kind])
    for argv in (["results", str(out)], ["report", str(out)],
                 ["plot", "profiles", str(out), "-o", str(tmp_path / "p.png")]):
        assert main(argv) == 2
    proc = subprocess.run([sys.executable, "-m", "optbench", "results", str(out)],
                          capture_output=True, text=True)
    lines = proc.stderr.strip().splitlines()
    assert proc.returncode == 2 and len(lines) == 1 and "manifest.json" in lines[0]
    with pytest.raises(optbench.OptbenchError, match="manifest"):
        optbench.load_runs(out)


def test_a_results_directory_without_cells_is_one_line(tmp_path):
    out = _results(tmp_path)
    shutil.rmtree(out / "parts")
    with pytest.raises(optbench.OptbenchError, match="no parts/"):
        optbench.load_runs(out)
