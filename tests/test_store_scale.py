"""Sweeps at scale: batched cells, the part-file store (and the legacy one-file-per-cell
store it still reads), merging parts, kill -9 during a batched sweep, SQL on the parts."""

import json
import logging
import os
import shutil
import signal
import subprocess
import sys
import time

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import optbench
from optbench.store import PARTS, ResultsStore, load_manifest, read_cell, spool_part

TIMING = ["solve_seconds", "seconds_to_tol"]

# gd with step 1.5 on the quadratics (L = 1) converges; on rosenbrock it diverges; 40 seeds
# make batches of many cells
TINY = {"problems": [{"name": "quadratic", "dim": 2, "params": {"cond": [10.0, 100.0]}},
                     "rosenbrock"],
        "solvers": [{"name": "gd", "params": {"step": [0.5, 1.5]}}],
        "seeds": "0-39", "run": {"max_iter": 60, "tol": 1e-9}}
TINY_CELLS = 3 * 2 * 40


def comparable(runs):
    return runs.drop(columns=TIMING).set_index("cell").sort_index()


def comparable_history(history):
    return history.drop(columns=["time"]).sort_values(["cell", "iteration"]) \
        .reset_index(drop=True)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    out = tmp_path_factory.mktemp("tiny") / "r"
    runs = optbench.sweep(TINY, out, workers=1, progress=False)
    return out, runs


def part_paths(out):
    return sorted((out / PARTS).glob("part-*.parquet"))


def write_legacy(source, target, keys=None):
    """The cells of ``source`` (a part directory) as a store of the previous layout, one
    Parquet file per cell (``cells/KEY.parquet``: the history, the record as JSON in the
    file's metadata), written here with pyarrow only."""
    (target / "cells").mkdir(parents=True)
    shutil.copy(source / "manifest.json", target / "manifest.json")
    for row in pq.read_table(source / PARTS).to_pylist():
        if keys is not None and row["cell"] not in keys:
            continue
        record = {k: v for k, v in row.items() if not k.startswith("h_")}
        for name in ("problem_params", "solver_values"):
            record[name] = json.loads(record[name])
        history = {k[2:]: pa.array(v, pa.int64() if k == "h_iteration" else pa.float64())
                   for k, v in row.items() if k.startswith("h_") and v is not None}
        table = pa.table(history).replace_schema_metadata(
            {b"optbench.cell": json.dumps(record).encode()})
        pq.write_table(table, target / "cells" / f"{row['cell']}.parquet")


# -- what the sweep wrote ------------------------------------------------------------------------
def test_batches_hold_every_cell_once_with_the_outcome_of_a_separate_run(tiny):
    out, runs = tiny
    assert len(runs) == TINY_CELLS
    keys = [k for p in part_paths(out) for k in pq.read_table(p, columns=["cell"])["cell"]
            .to_pylist()]
    assert sorted(keys) == sorted(runs["cell"])  # each cell in one part, once
    assert max(pq.read_metadata(p).num_rows for p in part_paths(out)) > 1  # batched
    counts = runs.groupby(["instance", "setting"])["status"].agg(set)
    assert counts[("rosenbrock", "gd(step=1.5)")] == {"diverged"}
    assert not runs.loc[runs["problem"] == "quadratic", "diverged"].any()
    for _, row in runs.sample(5, random_state=0).iterrows():
        quadratic = row["problem"] == "quadratic"
        res = optbench.run(row["problem"], "gd", seed=int(row["seed"]),
                           dim=2 if quadratic else None,
                           problem_params={"cond": row["problem_cond"]} if quadratic else None,
                           step=row["p_step"], max_iter=60, tol=1e-9)
        assert (row["status"], row["iterations"], row["nfev"]) == \
            (res.status, res.iterations, res.summary["nfev"])
        assert row["f"] == pytest.approx(res.summary["f"], rel=1e-12, abs=1e-300) or \
            (np.isnan(row["f"]) and np.isnan(res.summary["f"]))


def test_the_legacy_layout_and_a_mix_of_both_give_the_same_tables(tiny, tmp_path):
    out, runs = tiny
    legacy = tmp_path / "legacy"
    write_legacy(out, legacy)
    pd.testing.assert_frame_equal(comparable(optbench.load_runs(legacy)), comparable(runs),
                                  check_like=True)
    history = comparable_history(optbench.load_history(out))
    pd.testing.assert_frame_equal(comparable_history(optbench.load_history(legacy)), history,
                                  check_like=True, check_dtype=False)
    # half the cells in legacy files, the rest in a part: each read once
    mixed = tmp_path / "mixed"
    half = set(sorted(runs["cell"])[::2])
    write_legacy(out, mixed, keys=half)
    (mixed / PARTS).mkdir()
    table = pq.read_table(out / PARTS)
    rest = table.filter(pa.array([k not in half for k in table["cell"].to_pylist()]))
    shutil.copy(part_paths(out)[0], mixed / PARTS / part_paths(out)[0].name)  # its metadata
    meta = pq.read_schema(part_paths(out)[0]).metadata
    pq.write_table(rest.replace_schema_metadata(meta), mixed / PARTS / part_paths(out)[0].name)
    pd.testing.assert_frame_equal(comparable(optbench.load_runs(mixed)), comparable(runs),
                                  check_like=True)
    pd.testing.assert_frame_equal(comparable_history(optbench.load_history(mixed)), history,
                                  check_like=True, check_dtype=False)
    # a sweep resumes a legacy directory: nothing left to run, nothing written
    before = sorted(p.name for p in (legacy / "cells").iterdir())
    again = optbench.sweep(TINY, legacy, workers=1, progress=False)
    assert sorted(p.name for p in (legacy / "cells").iterdir()) == before
    assert not part_paths(legacy)
    pd.testing.assert_frame_equal(comparable(again), comparable(runs), check_like=True)


def test_read_cell_finds_a_cell_in_the_parts(tiny):
    out, runs = tiny
    key = runs["cell"].iloc[7]
    record, table = read_cell(out / "cells" / f"{key}.parquet")
    assert record["cell"] == key and record["status"] == runs["status"].iloc[7]
    history = optbench.load_history(out)
    mine = history[history["cell"] == key]
    np.testing.assert_array_equal(table.column("f").to_numpy(), mine["f"].to_numpy())
    np.testing.assert_array_equal(table.column("iteration").to_numpy(),
                                  mine["iteration"].to_numpy())


@pytest.mark.parametrize("filters", [{"setting": "gd(step=1.5)"}, {"problem": "rosenbrock"},
                                     {"problem": ["quadratic"], "setting": ["gd(step=0.5)"]}])
def test_history_filters_keep_exactly_those_cells(tiny, filters):
    out, _ = tiny
    everything = optbench.load_history(out)
    keep = np.ones(len(everything), bool)
    for name, value in filters.items():
        keep &= everything[name].isin([value] if isinstance(value, str) else value).to_numpy()
    expected = everything[keep].reset_index(drop=True)
    got = optbench.load_history(out, **filters)
    assert len(got) > 0
    # columns only other cells have (problem_cond of the quadratics) are not there
    assert expected.drop(columns=list(got.columns)).isna().all().all()
    expected = expected[list(got.columns)]
    pd.testing.assert_frame_equal(comparable_history(got), comparable_history(expected),
                                  check_dtype=False)


def test_a_history_filter_of_the_wrong_kind_is_refused(tiny):
    with pytest.raises(optbench.OptbenchError, match="option solver"):
        optbench.load_history(tiny[0], solver=3)


# -- reading at scale: order, words, summary -------------------------------------------------------
_SCALAR_COLUMNS = ["cell", "index", "problem", "solver", "dim", "seed", "instance", "setting",
                   "status", "message", "iterations", "f", "gap", "nfev"]


def test_runs_are_in_sweep_order_whatever_order_the_parts_hold(tiny, tmp_path):
    """Parts holding the cells shuffled, each with its own words in its own order (so its
    own Parquet dictionaries), and five cells again in a newer part: each cell once, the
    newest version, in sweep order, text columns plain strings as pandas reads them, every
    column writable."""
    out, runs = tiny
    table = pq.read_table(out / PARTS)  # plain strings: the reference reads no dictionary
    meta = pq.read_schema(part_paths(out)[0]).metadata
    copy = tmp_path / "r"
    (copy / PARTS).mkdir(parents=True)
    shutil.copy(out / "manifest.json", copy / "manifest.json")
    rng = np.random.default_rng(0)
    by_words = table.sort_by([("setting", "descending"), ("instance", "descending")])
    pieces = [by_words.take(rng.permutation(rows))
              for rows in np.array_split(np.arange(table.num_rows), 3)]
    newer = table.take(rng.choice(table.num_rows, 5, replace=False))
    newer = newer.set_column(newer.schema.get_field_index("status"), "status",
                             pa.array(["error"] * 5)) \
        .set_column(newer.schema.get_field_index("message"), "message",
                    pa.array(["written again"] * 5))
    for number, piece in enumerate([*pieces, newer], 1):
        pq.write_table(piece.replace_schema_metadata(meta),
                       copy / PARTS / f"part-{number:010d}.parquet")
    expected = pd.concat([t.select(_SCALAR_COLUMNS).to_pandas() for t in (table, newer)]) \
        .drop_duplicates("cell", keep="last").sort_values("index")
    got = optbench.load_runs(copy)
    assert got["cell"].tolist() == expected["cell"].tolist()
    assert list(got.columns) == list(runs.columns)
    for name in ("problem", "solver", "instance", "setting", "status", "message"):
        assert got[name].dtype == expected[name].dtype == pd.Series(["a"]).dtype
        assert got[name].tolist() == expected[name].tolist()
    for name in ("dim", "seed", "iterations", "f", "gap", "nfev"):
        np.testing.assert_array_equal(got[name].to_numpy(float),
                                      expected[name].to_numpy(float))
    kept = ~runs["cell"].isin(newer["cell"].to_pylist())
    pd.testing.assert_frame_equal(comparable(got[got["cell"].isin(runs["cell"][kept])]),
                                  comparable(runs[kept]))
    for name in got.columns:  # the table's memory is its own: every column can be written
        got.loc[0, name] = got.loc[1, name]
        assert got[name].iloc[0] == got[name].iloc[1] or got[name].iloc[:2].isna().all()


def test_summarize_against_a_per_pair_reference():
    """Quartiles, medians, shares and counts per (instance, setting) against NumPy, pair by
    pair, on runs with unsolved pairs, missing gaps and every status."""
    from optbench.status import METHOD_FAILURES, NO_OUTCOME, STATUSES

    rng = np.random.default_rng(5)
    n = 4000
    instance = np.array([f"problem-{i}" for i in range(9)])[rng.integers(0, 9, n)]
    setting = np.array([f"solver(step={j})" for j in range(6)])[rng.integers(0, 6, n)]
    iterations = rng.integers(0, 1000, n).astype(float)
    iterations[rng.random(n) < 0.4] = np.nan
    iterations[(instance == "problem-0") & (setting == "solver(step=0)")] = np.nan
    seconds = iterations * rng.uniform(1e-6, 1e-3, n)
    gap = 10.0 ** rng.uniform(-15, 2, n)
    gap[rng.random(n) < 0.05] = np.nan
    status = rng.choice(np.array([*STATUSES, "error", "crashed"]), n)
    runs = pd.DataFrame({"instance": instance, "setting": setting, "status": status,
                         "solved": ~np.isnan(iterations), "iterations_to_tol": iterations,
                         "seconds_to_tol": seconds, "gap": gap,
                         "diverged": rng.random(n) < 0.1})
    got = optbench.summarize(runs)
    pairs = list(dict.fromkeys(zip(instance, setting, strict=True)))  # as they first appear
    assert list(zip(got["instance"], got["setting"], strict=True)) == pairs
    assert list(got.columns) == [
        "instance", "setting", "runs", "solved", "iterations_q1", "iterations_median",
        "iterations_q3", "seconds_q1", "seconds_median", "seconds_q3", "final_gap_median",
        "diverged", "failed", "errors"]
    for (_, row), (i, s) in zip(got.iterrows(), pairs, strict=True):
        mine = (instance == i) & (setting == s)
        assert row["runs"] == mine.sum()
        assert row["solved"] == pytest.approx(np.mean(~np.isnan(iterations[mine])), rel=1e-15)
        for name, values in (("iterations", iterations[mine]), ("seconds", seconds[mine])):
            values = values[~np.isnan(values)]
            reference = np.percentile(values, [25, 50, 75]) if len(values) else [np.nan] * 3
            np.testing.assert_allclose(
                [row[f"{name}_{q}"] for q in ("q1", "median", "q3")], reference, rtol=1e-14)
        np.testing.assert_allclose(row["final_gap_median"], np.nanmedian(gap[mine]),
                                   rtol=1e-14)
        assert row["diverged"] == runs["diverged"][mine].sum()
        assert row["failed"] == np.isin(status[mine], METHOD_FAILURES).sum()
        assert row["errors"] == np.isin(status[mine], NO_OUTCOME).sum()
    assert np.isnan(got.iloc[pairs.index(("problem-0", "solver(step=0)"))]
                    [["iterations_q1", "iterations_median", "seconds_q3"]].astype(float)).all()


# -- merging parts --------------------------------------------------------------------------------
def _store(out):
    manifest = load_manifest(out)
    return ResultsStore(out, manifest["config"], manifest["config_hash"], manifest["cells"],
                        manifest["skipped"])


def test_merging_parts_keeps_the_tables_and_survives_a_kill_half_way(tiny, tmp_path):
    out, runs = tiny
    copy = tmp_path / "r"
    shutil.copytree(out, copy)
    old = {p.name: p.read_bytes() for p in part_paths(copy)}
    assert len(old) > 2
    with _store(copy) as store:
        store.merge_parts(min_parts=2)
    merged = part_paths(copy)
    assert len(merged) == 1 and merged[0].name not in old
    pd.testing.assert_frame_equal(comparable(optbench.load_runs(copy)), comparable(runs))
    # killed before the old parts were removed: every cell twice, the same values
    for name, data in old.items():
        (copy / PARTS / name).write_bytes(data)
    pd.testing.assert_frame_equal(comparable(optbench.load_runs(copy)), comparable(runs))
    pd.testing.assert_frame_equal(comparable_history(optbench.load_history(copy)),
                                  comparable_history(optbench.load_history(out)))


def test_a_spooled_part_is_renamed_into_place_and_nothing_else_is(tiny, tmp_path):
    """A pool worker writes its part under a temporary name (store.spool_part); the sweep
    renames it to the next part. A name that is not such a file is refused."""
    out, runs = tiny
    copy = tmp_path / "r"
    shutil.copytree(out, copy)
    last = part_paths(copy)[-1]
    data = last.read_bytes()
    last.unlink()
    with _store(copy) as store:  # (opening it removes the temporary files of the past)
        name = spool_part(copy / PARTS, data)
        assert name.startswith(".tmp-") and optbench.load_runs(copy).shape[0] < len(runs)
        for bad in ("../manifest.json", "part-0000000001.parquet", f"{name}/x"):
            with pytest.raises(ValueError, match="not a spooled part"):
                store.write_part(bad)
        written = store.write_part(name)
    assert written.read_bytes() == data and sorted(p.name for p in (copy / PARTS).iterdir()) \
        == sorted(p.name for p in part_paths(copy))  # no temporary file left
    pd.testing.assert_frame_equal(comparable(optbench.load_runs(copy)), comparable(runs))


def test_a_part_spooled_by_a_batch_that_ran_on_after_the_sweep_stopped_is_removed(tmp_path):
    """A caller's executor cannot be killed: a batch still running when the sweep stopped
    spools its part later, and the callback the sweep left on it removes that file."""
    import concurrent.futures as cf
    import importlib

    from optbench.store import discard_spooled

    parts = tmp_path / PARTS
    parts.mkdir()
    name = spool_part(parts, b"bytes of a part")
    future = cf.Future()
    future.add_done_callback(importlib.import_module("optbench.sweep")._discard_spooled(parts))
    assert (parts / name).exists()
    future.set_result({"part": name, "runs": b""})  # the batch ends
    assert not list(parts.iterdir())
    for bad in ("../manifest.json", "part-0000000001.parquet", f"{name}/x"):
        with pytest.raises(ValueError, match="not a spooled part"):
            discard_spooled(parts, bad)


def test_a_sweep_returns_its_runs_without_reading_back_the_parts_it_wrote(tiny, tmp_path,
                                                                         monkeypatch):
    """The runs table a sweep returns is exactly the one read from its directory afterwards,
    though the parts this sweep wrote are not read back (the store holds their runs columns,
    ResultsStore.runs); the parts of an earlier session are. Held or read, a part gives the
    same rows (past _HELD_PARTS parts, the rest are read)."""
    import optbench.store as store

    out, runs = tiny
    pd.testing.assert_frame_equal(runs, optbench.load_runs(out))
    parts = part_paths(out)
    assert len(parts) >= 2
    old = {p.name for p in parts[:len(parts) // 2]}
    read = []
    real = store._read_part
    monkeypatch.setattr(store, "_read_part",
                        lambda path, *args: read.append(path.name) or real(path, *args))
    for held, copy in ((store._HELD_PARTS, tmp_path / "held"), (0, tmp_path / "read")):
        monkeypatch.setattr(store, "_HELD_PARTS", held)
        shutil.copytree(out, copy)
        for path in part_paths(copy):
            if path.name not in old:
                path.unlink()
        read.clear()
        again = optbench.sweep(TINY, copy, workers=1, progress=False)  # resumed
        new = {p.name for p in part_paths(copy)} - old
        assert new and sorted(read) == sorted([*old, *old, *(new if held == 0 else ())])
        pd.testing.assert_frame_equal(again, optbench.load_runs(copy))
        pd.testing.assert_frame_equal(comparable(again), comparable(runs))


# -- files that are not what a sweep writes -------------------------------------------------------
def _rewrite(path, change):
    table = pq.read_table(path)
    meta = table.schema.metadata
    pq.write_table(change(table).replace_schema_metadata(meta), path)


def _set(name, value):
    def change(table):
        column = pa.array([value] * table.num_rows, table.schema.field(name).type)
        return table.set_column(table.schema.get_field_index(name), name, column)
    return change


CORRUPTIONS = {
    "truncated": lambda p: p.write_bytes(p.read_bytes()[:100]),
    "garbage": lambda p: p.write_bytes(b"garbage" * 10),
    "symlink": lambda p: (p.unlink(), p.symlink_to("/etc/hostname")),
    "foreign-parquet": lambda p: pd.DataFrame({"a": [1.0]}).to_parquet(p),
    "no-metadata": lambda p: pq.write_table(pq.read_table(p).replace_schema_metadata(None), p),
    "bad-key": lambda p: _rewrite(p, _set("cell", "../../outside")),
    "bad-status": lambda p: _rewrite(p, _set("status", "splendid")),
    "bad-json": lambda p: _rewrite(p, _set("solver_values", "[1, 2]")),
    "null-json": lambda p: _rewrite(p, _set("problem_params", None)),
    "wrong-type": lambda p: _rewrite(p, lambda t: t.set_column(
        t.schema.get_field_index("iterations"), "iterations",
        pa.array(["many"] * t.num_rows))),
}


@pytest.mark.parametrize("kind", list(CORRUPTIONS))
def test_a_corrupt_part_is_named_by_readers_and_its_cells_run_again(tiny, tmp_path, kind,
                                                                    caplog):
    out, runs = tiny
    copy = tmp_path / "r"
    shutil.copytree(out, copy)
    bad = part_paths(copy)[1]
    lost = set(pq.read_table(bad, columns=["cell"])["cell"].to_pylist())
    CORRUPTIONS[kind](bad)
    with caplog.at_level(logging.WARNING, logger="optbench"):
        partial = optbench.load_runs(copy)
        history = optbench.load_history(copy)
    assert set(partial["cell"]) == set(runs["cell"]) - lost
    assert not lost & set(history["cell"])
    assert str(bad) in caplog.text and "not a valid part file" in caplog.text
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="optbench"):
        again = optbench.sweep(TINY, copy, workers=1, progress=False)
    assert os.path.lexists(copy / PARTS / ".quarantine" / bad.name) and "moved to" in caplog.text
    pd.testing.assert_frame_equal(comparable(again), comparable(runs))


# -- where the cells run ------------------------------------------------------------------------
@pytest.mark.slow
def test_serial_two_workers_and_dask_give_the_same_batched_results(tiny, tmp_path):
    out, runs = tiny
    history = comparable_history(optbench.load_history(out))
    pooled = optbench.sweep(TINY, tmp_path / "pool", workers=2, progress=False)
    pd.testing.assert_frame_equal(comparable(pooled), comparable(runs))
    pd.testing.assert_frame_equal(
        comparable_history(optbench.load_history(tmp_path / "pool")), history)
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster:
        on_dask = optbench.sweep(TINY, tmp_path / "dask", scheduler=cluster.scheduler_address,
                                 progress=False)
    pd.testing.assert_frame_equal(comparable(on_dask), comparable(runs))
    pd.testing.assert_frame_equal(
        comparable_history(optbench.load_history(tmp_path / "dask")), history)


# -- kill -9 during a batched sweep ---------------------------------------------------------------
KILL = """
seeds = "0-1499"
[run]
max_iter = 200
tol = 0.0
[[problems]]
name = "quadratic"
dim = 2
[[solvers]]
name = "gd"
params = { step = [0.5, 1.0] }
"""


@pytest.fixture(scope="module")
def kill_reference(tmp_path_factory):
    root = tmp_path_factory.mktemp("kill")
    (root / "sweep.toml").write_text(KILL)
    out = root / "reference"
    return optbench.sweep(root / "sweep.toml", out, workers=1, progress=False), out


def _wait_for_parts(out, count, proc, timeout=120.0):
    """Until ``count`` part files exist; fails loudly when the sweep ends or time runs out."""
    deadline = time.monotonic() + timeout
    while True:
        if (out / PARTS).is_dir() and len(part_paths(out)) >= count:
            return
        if proc.poll() is not None:
            pytest.fail(f"the sweep ended (exit {proc.returncode}) before {count} parts: "
                        f"{proc.stderr.read().decode()[-500:]}")
        if time.monotonic() > deadline:
            pytest.fail(f"{count} parts never appeared within {timeout:.0f} s")
        time.sleep(0.002)


@pytest.mark.slow
@pytest.mark.parametrize("parts", [1, 4])
def test_kill_9_during_a_batched_sweep_then_resume_equals_the_uninterrupted(
        kill_reference, tmp_path, parts, kill_sweep):
    reference, ref_out = kill_reference
    out = tmp_path / "killed"
    toml = tmp_path / "sweep.toml"
    toml.write_text(KILL)
    proc = subprocess.Popen([sys.executable, "-m", "optbench.cli", "sweep", str(toml), "--out",
                             str(out), "--workers", "2", "--no-progress"],
                            start_new_session=True, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    _wait_for_parts(out, parts, proc)
    kill_sweep(proc, out)  # the sweep and its workers, mid-write or not
    assert proc.returncode == -signal.SIGKILL
    kept = {p.name: p.read_bytes() for p in part_paths(out)}
    finished = optbench.load_runs(out)  # every file there is valid: no warning, no error
    assert 0 < len(finished) < len(reference), "the kill did not land part-way"
    resumed = optbench.sweep(toml, out, workers=1, progress=False)
    for name, data in kept.items():  # what had finished is still there, untouched
        assert (out / PARTS / name).read_bytes() == data
    assert sorted(p.name for p in (out / PARTS).iterdir()) == \
        sorted(p.name for p in part_paths(out))  # no stray temporary file
    keys = [k for p in part_paths(out) for k in pq.read_table(p, columns=["cell"])["cell"]
            .to_pylist()]
    assert sorted(keys) == sorted(reference["cell"])  # each cell once
    pd.testing.assert_frame_equal(comparable(resumed), comparable(reference))
    pd.testing.assert_frame_equal(comparable_history(optbench.load_history(out)),
                                  comparable_history(optbench.load_history(ref_out)))


# -- SQL -----------------------------------------------------------------------------------------
def test_duckdb_reads_the_parts(tiny):
    duckdb = pytest.importorskip("duckdb")
    out, runs = tiny
    sql = (f"SELECT setting, count(*) AS runs, sum(len(h_f)) AS rows "
           f"FROM read_parquet('{out / PARTS}/*.parquet', union_by_name = true) "
           "GROUP BY setting ORDER BY setting")
    got = duckdb.sql(sql).df()
    history = optbench.load_history(out)
    assert got["setting"].tolist() == sorted(runs["setting"].unique())
    assert got["runs"].tolist() == runs.groupby("setting").size().sort_index().tolist()
    assert got["rows"].tolist() == history.groupby("setting").size().sort_index().tolist()


# -- a large sweep end to end -------------------------------------------------------------------
@pytest.mark.slow
def test_a_sweep_of_100000_tiny_cells(tmp_path):
    config = {"problems": [{"name": "quadratic", "dim": 2}],
              "solvers": [{"name": "gd", "params": {"step": [0.5, 1.0]}}],
              "seeds": "0-49999", "run": {"max_iter": 100, "tol": 0.0, "record_every": 50}}
    t = time.perf_counter()
    runs = optbench.sweep(config, tmp_path / "r", workers=2, progress=False)
    seconds = time.perf_counter() - t
    print(f"\n100,000 tiny cells on 2 workers: {seconds:.1f} s, {len(runs) / seconds:,.0f} "
          f"cells/s")
    assert len(runs) == 100_000 and runs["cell"].is_unique
    assert set(runs["status"]) == {"max_iter"} and (runs["iterations"] == 100).all()
    assert len(part_paths(tmp_path / "r")) <= 3  # merged at the end
    for _, row in runs.iloc[[0, 54_321, 99_999]].iterrows():
        res = optbench.run("quadratic", "gd", dim=2, seed=int(row["seed"]), step=row["p_step"],
                           max_iter=100, tol=0.0, record_every=50)
        assert row["f"] == pytest.approx(res.summary["f"], rel=1e-12)


# -- plans that stream --------------------------------------------------------------------------
def test_a_plan_lists_its_cells_on_demand_with_the_keys_of_their_runs():
    import hashlib

    from optbench.grid import plan_sweep

    config = {"problems": [{"name": "quadratic", "dim": 2, "params": {"cond": [10.0, 1e3]}}],
              "solvers": [{"name": "gd", "params": {"step": [0.1, 0.5, 1.0, 1.5, 2.0]}}],
              "seeds": "0-99999", "run": {"max_iter": 100}}
    plan = plan_sweep(config, max_cells=10**6)
    assert plan.count == 10**6
    assert len(plan.pairs) == 10 and len(plan.seeds) == 10**5  # no per-cell state
    keys = np.concatenate(list(plan.keys(chunk=300_007)))
    assert len(keys) == 10**6 and len(np.unique(keys)) == 10**6
    for index in (0, 99_999, 100_000, 654_321, 10**6 - 1):
        cell = plan.cell(index)
        identity = {"problem": cell.problem, "problem_params": cell.problem_params,
                    "seed": cell.seed, "solver": cell.solver,
                    "solver_params": cell.solver_params, "run": cell.run}
        text = json.dumps(identity, sort_keys=True, separators=(",", ":"))
        assert cell.key == hashlib.sha256(text.encode()).hexdigest()[:20] == \
            keys[index].decode()
        assert cell.index == index and cell.seed == index % 10**5
    assert [c.index for c in plan.iter_cells([3, 7, 200_001])] == [3, 7, 200_001]


def test_a_directory_without_finished_cells_gives_empty_tables(tiny, tmp_path):
    out, _ = tiny
    (tmp_path / "r" / PARTS).mkdir(parents=True)  # a sweep stopped before its first batch
    shutil.copy(out / "manifest.json", tmp_path / "r" / "manifest.json")
    assert optbench.load_runs(tmp_path / "r").empty
    assert optbench.summarize(optbench.load_runs(tmp_path / "r")).empty
    assert optbench.load_history(tmp_path / "r").empty
