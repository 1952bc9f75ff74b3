"""Each data problem's compiled oracles against the same math written in NumPy, per call.

    python benchmarks/oracle_speed.py --quick        # sizes up to 1000x100, dims up to 128
    python benchmarks/oracle_speed.py                # 2x2 ... 20000x1000, dims 2 ... 2000
    python benchmarks/oracle_speed.py --problems logistic-regression --sizes 5000x500 --threads 2

Problems: least-squares, linear-regression and logistic- and softmax-regression at each data size
m x d (--sizes; linear-regression takes m samples and has d = 2; softmax has K = min(10, m)
classes), quadratic at each dimension (--dims). Oracles: f, grad, fg (value and gradient),
hess, and the mini-batch gradient over 32 and over 1 sample (batch32, batch1: indices drawn once
per instance, with replacement). The Hessian is skipped when x has more than 2048 entries
(softmax beyond 1000x100: its Hessian would be 200 MB or more).

optbench: the problem's compiled function (``problem.oracle.f`` ... with the signatures of
optbench/oracle.py) called K times inside a small ``numba.njit`` loop, so no Python dispatch is
counted, writing into preallocated arrays. NumPy: the same math as a NumPy/BLAS expression
called from Python (timeit), allocating its results as NumPy code does. Each side's K makes
its round last about 40 ms (one K for both would leave the faster side's round within the
noise of a call from Python when the two differ 100-fold); optbench's figure leaves out the
call of its loop from Python ((t_K - t_0) / K). Rounds alternate between the two sides; each
figure is the minimum over rounds; ratio = optbench / NumPy (above 1: optbench slower).

Before timing, every pair is run once and compared: the two results must agree within twice
the rounding-error bound of tests/naive_problems.py (each side is within the bound of the exact
value), or the script stops.

Instances: quadratic and linear-regression are built by ``optbench.make_problem`` at every
size. least-squares, logistic- and softmax-regression are built by ``make_problem`` at a small
size that picks the same compiled functions as the target size would (the threaded ones from
optbench.kernels.THREADED_MIN entries), and their oracle receives the data the builder would
generate at the target size (seed 0, default parameters; tests/test_benchmarks.py checks that
the data equal make_problem's): the builders also compute the reference optimum, which takes
minutes at 20000x1000.

Threads (--threads, default 1,2): numba's pool with numba.set_num_threads, every BLAS (NumPy's
and the one compiled code calls through SciPy) with threadpoolctl. The machine load
(os.getloadavg) is printed at start and end: the machine may be shared, so rerun before trusting
a ratio near 1. No timing is asserted: read the table.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
import time
import timeit
from functools import partial
from pathlib import Path

import numba
import numpy as np
from scipy.special import expit
from threadpoolctl import threadpool_info, threadpool_limits

import optbench
from optbench.datasets import gaussian_classes, load_for, two_gaussian_classes

if __package__:  # imported by asv's discovery
    from . import baselines as bl
else:  # run as a script, or imported from the tests
    import baselines as bl

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
import naive_problems as naive  # noqa: E402  (the rounding-error bounds)

SIZES = ((2, 2), (200, 20), (1000, 100), (5000, 500), (20000, 1000))
DIMS = (2, 20, 128, 500, 2000)  # quadratic: 128 is where its oracle switches to BLAS
QUICK_SIZES, QUICK_DIMS = SIZES[:3], DIMS[:3]
PROBLEMS = ("least-squares", "linear-regression", "logistic-regression", "softmax-regression",
            "quadratic")
BATCHES = (32, 1)
HESS_MAX_DIM = 2048  # no Hessian beyond this many unknowns
ROUND_SECONDS = 0.04  # the slower side's round
ROUNDS = 5
SEED = 0


# -- the optbench side: K calls in a compiled loop ------------------------------------------------
@numba.njit(nogil=True)
def _calls_value(fn, call, k, sink):
    """k calls of fn(*call), summing the values into sink[0] (a store the compiler cannot drop)"""
    for _ in range(k):
        sink[0] += fn(*call)


@numba.njit(nogil=True)
def _calls_void(fn, call, k, sink):
    """k calls of fn(*call) (it writes into an argument)"""
    for _ in range(k):
        fn(*call)


# -- the NumPy side: the math of each problem as NumPy code ---------------------------------------
def lsq_f(A, y, x):
    r = A @ x - y
    return 0.5 * (r @ r)


def lsq_grad(A, y, x):
    return A.T @ (A @ x - y)


def lsq_fg(A, y, x):
    r = A @ x - y
    return 0.5 * (r @ r), A.T @ r


def lsq_hess(A, y, x):
    return A.T @ A  # NumPy calls BLAS dsyrk for a product with its own transpose


def lsq_batch(A, y, x, idx):
    """mean over idx of f_i = m/2 (a_i.x - y_i)^2, and its gradient"""
    Ai = A[idx]
    r = Ai @ x - y[idx]
    s = A.shape[0] / idx.shape[0]
    return 0.5 * s * (r @ r), s * (Ai.T @ r)


def _lr_t(X, y, x):
    """t_i = -y_i (w.x_i + b)"""
    return -y * (X @ x[:-1] + x[-1])


def lr_f(X, y, lam, x):
    return np.logaddexp(0.0, _lr_t(X, y, x)).mean() + 0.5 * lam * (x @ x)


def _lr_gradient(X, y, lam, x, t):
    c = -y * expit(t) / X.shape[0]
    g = lam * x
    g[:-1] += X.T @ c
    g[-1] += c.sum()
    return g


def lr_grad(X, y, lam, x):
    return _lr_gradient(X, y, lam, x, _lr_t(X, y, x))


def lr_fg(X, y, lam, x):
    t = _lr_t(X, y, x)
    return (np.logaddexp(0.0, t).mean() + 0.5 * lam * (x @ x),
            _lr_gradient(X, y, lam, x, t))


def lr_hess(X, y, lam, x):
    """1/m B'B + lam I, B = rows sqrt(s_i) (x_i, 1) (dsyrk)"""
    m, d = X.shape
    t = _lr_t(X, y, x)
    w = np.sqrt(expit(t) * expit(-t))
    B = np.empty((m, d + 1))
    np.multiply(X, w[:, None], out=B[:, :d])
    B[:, d] = w
    H = (B.T @ B) / m
    H.flat[::d + 2] += lam
    return H


def lr_batch(X, y, lam, x, idx):
    return lr_fg(X[idx], y[idx], lam, x)


def _sm_parts(X, c, x):
    """(per-sample losses, P = softmax(Z) with 1 taken off at each sample's class)"""
    m, d = X.shape
    K = x.shape[0] // (d + 1)
    Z = X @ x[:K * d].reshape(K, d).T + x[K * d:]
    zmax = Z.max(axis=1)
    E = np.exp(Z - zmax[:, None])
    s = E.sum(axis=1)
    rows = np.arange(m)
    loss = zmax + np.log(s) - Z[rows, c]
    E /= s[:, None]
    E[rows, c] -= 1.0
    return loss, E


def sm_f(X, c, lam, x):
    return _sm_parts(X, c, x)[0].mean() + 0.5 * lam * (x @ x)


def _sm_gradient(X, lam, x, R):
    m = X.shape[0]
    return np.concatenate([(R.T @ X).ravel(), R.sum(axis=0)]) / m + lam * x


def sm_grad(X, c, lam, x):
    return _sm_gradient(X, lam, x, _sm_parts(X, c, x)[1])


def sm_fg(X, c, lam, x):
    loss, R = _sm_parts(X, c, x)
    return loss.mean() + 0.5 * lam * (x @ x), _sm_gradient(X, lam, x, R)


def sm_hess(X, c, lam, x):
    """1/m sum_i (diag(p_i) - p_i p_i') (x) (x_i, 1)(x_i, 1)' + lam I in the order of x:
    -G'G (G: m x n, columns p_k x_j then p_k, one dsyrk) plus the block diagonal
    (x_i, 1)' diag(p_k) (x_i, 1) of each class k"""
    m, d = X.shape
    K = x.shape[0] // (d + 1)
    n = K * (d + 1)
    P = _sm_parts(X, c, x)[1]
    P[np.arange(m), c] += 1.0  # back to the probabilities
    G = np.empty((m, n))
    np.multiply(P[:, :, None], X[:, None, :], out=G[:, :K * d].reshape(m, K, d))
    G[:, K * d:] = P
    H = -(G.T @ G)
    for k in range(K):
        Xk = X * np.sqrt(P[:, k])[:, None]
        w, b = slice(k * d, (k + 1) * d), K * d + k
        H[w, w] += Xk.T @ Xk
        v = G[:, w].sum(axis=0)  # X' p_k
        H[w, b] += v
        H[b, w] += v
        H[b, b] += P[:, k].sum()
    H /= m
    H.flat[::n + 1] += lam
    return H


def sm_batch(X, c, lam, x, idx):
    return sm_fg(X[idx], c[idx], lam, x)


def q_f(A, b, c, x):
    return 0.5 * (x @ (A @ x)) - b @ x + c


def q_grad(A, b, c, x):
    return A @ x - b


def q_fg(A, b, c, x):
    ax = A @ x
    return x @ (0.5 * ax - b) + c, ax - b


def q_hess(A, b, c, x):
    return A.copy()


# -- problems: NumPy functions and rounding bounds ------------------------------------------------
@dataclasses.dataclass(frozen=True)
class Math:
    """A problem's NumPy side: f, grad, fg, hess, batch (None: the problem has none), and
    bounds(args, x, idx or None, hessian) -> (f error, gradient error, Hessian error or None)."""
    f: object
    grad: object
    fg: object
    hess: object
    batch: object
    bounds: object


def _lsq_bounds(args, x, idx, hessian):
    if idx is not None:
        return (*naive.lsq_batch_bounds(*args, x, idx), None)
    return naive.lsq_bounds(*args, x)


MATH = {
    "least-squares": Math(lsq_f, lsq_grad, lsq_fg, lsq_hess, lsq_batch, _lsq_bounds),
    "logistic-regression": Math(lr_f, lr_grad, lr_fg, lr_hess, lr_batch,
                                lambda args, x, idx, h: naive.logistic_bounds(*args, x, idx)),
    "softmax-regression": Math(sm_f, sm_grad, sm_fg, sm_hess, sm_batch,
                               lambda args, x, idx, h: naive.softmax_bounds(*args, x, idx, h)),
    "quadratic": Math(q_f, q_grad, q_fg, q_hess, None,
                      lambda args, x, idx, h: naive.quadratic_bounds(*args, x)),
}
MATH["linear-regression"] = MATH["least-squares"]


# -- instances ------------------------------------------------------------------------------------
def generated_data(name: str, m: int, d: int, lam: float):
    """The data tuple ``make_problem(name, samples=m, dim=d)`` builds (seed 0, default
    parameters; softmax with K = min(10, m) classes), without its reference optimum."""
    separation = 2.0
    if name == "least-squares":
        ds = load_for({"data": "regression", "samples": m, "dim": d, "seed": SEED},
                      task="regression")
        return np.ascontiguousarray(ds.X, dtype=np.float64), np.ascontiguousarray(ds.y)
    if name == "logistic-regression":
        X, y, _ = two_gaussian_classes(m, d, separation, SEED)
        return X, y, lam
    X, c, _ = gaussian_classes(m, d, classes(m), separation, SEED)
    return X, c, lam


def classes(m: int) -> int:
    return min(10, m)


def size_params(name: str, m: int, d: int) -> dict:
    if name == "quadratic":
        return {"dim": d}
    if name == "linear-regression":
        return {"samples": m}
    extra = {"classes": classes(m)} if name == "softmax-regression" else {}
    return {"samples": m, "dim": d, **extra}


def unknowns(name: str, m: int, d: int) -> int:
    """The length of x"""
    return {"quadratic": d, "least-squares": d, "linear-regression": 2,
            "logistic-regression": d + 1, "softmax-regression": classes(m) * (d + 1)}[name]


def instance(name: str, m: int, d: int) -> optbench.Oracle:
    """The oracle optbench uses for ``name`` at size m x d (quadratic: dimension d)."""
    if name in ("quadratic", "linear-regression"):
        return optbench.make_problem(name, **size_params(name, m, d)).oracle
    extra = {"classes": classes(m)} if name == "softmax-regression" else {}
    proxy = bl.same_path_problem(name, m, d, **extra)  # the functions picked at m x d
    lam = proxy.oracle.args[-1]
    return proxy.oracle._replace(args=generated_data(name, m, d, lam))


# -- measuring ------------------------------------------------------------------------------------
@dataclasses.dataclass
class Case:
    """One oracle of one instance: the compiled call and its NumPy twin."""
    kind: str
    fn: object  # compiled oracle function
    call: tuple  # its arguments
    out: np.ndarray | None  # where it writes its array result
    returns: bool  # it returns a value
    numpy: object  # () -> the NumPy result
    idx: np.ndarray | None = None

    def optbench(self, k: int, sink: np.ndarray) -> None:
        (_calls_value if self.returns else _calls_void)(self.fn, self.call, k, sink)

    def results(self):
        """((value or None, array or None) of optbench, the same of NumPy)"""
        value = self.fn(*self.call)
        mine = (value if self.returns else None, None if self.out is None else self.out.copy())
        theirs = self.numpy()
        if self.kind == "f":
            theirs = (theirs, None)
        elif self.kind in ("grad", "hess"):
            theirs = (None, theirs)
        return mine, theirs


def cases(name: str, oracle, x: np.ndarray, rng) -> list[Case]:
    math, args, n = MATH[name], oracle.args, x.shape[0]
    g = np.empty(n)
    out = [Case("f", oracle.f, (x, args), None, True, partial(math.f, *args, x)),
           Case("grad", oracle.grad, (x, args, g), g, False, partial(math.grad, *args, x)),
           Case("fg", oracle.fg, (x, args, g), g, True, partial(math.fg, *args, x))]
    if oracle.hess is not None and n <= HESS_MAX_DIM:
        H = np.empty((n, n))
        out.append(Case("hess", oracle.hess, (x, args, H), H, False,
                        partial(math.hess, *args, x)))
    if oracle.batch is not None:
        m = args[0].shape[0]
        for b in BATCHES:
            idx = rng.integers(0, m, b)
            out.append(Case(f"batch{b}", oracle.batch, (x, args, idx, g), g, True,
                            partial(math.batch, *args, x, idx), idx))
    return out


def check(name: str, case: Case, args, x, full_bounds) -> None:
    """Stop unless both sides agree within twice the rounding bound of each output
    (``full_bounds``: those of the full f, gradient and Hessian)."""
    f_err, g_err, h_err = (full_bounds if case.idx is None
                           else MATH[name].bounds(args, x, case.idx, False))
    (mv, ma), (tv, ta) = case.results()
    ok = True
    if mv is not None:
        ok &= bool(abs(mv - tv) <= 2 * f_err)
    if ma is not None:
        err = h_err if case.kind == "hess" else g_err
        ok &= bool(np.allclose(ma, ta, rtol=0.0, atol=2 * err))
    if not ok:
        worst = "" if ma is None else f", array max diff {np.max(np.abs(ma - ta)):.3g}"
        raise SystemExit(f"{name} {case.kind}: optbench and NumPy disagree beyond rounding "
                         f"(value diff {abs((mv or 0) - (tv or 0)):.3g}{worst})")


def per_call(run, min_seconds=0.002) -> float:
    """Rough seconds per call of run(k) (k calls), doubling k until a run lasts min_seconds."""
    k = 1
    while True:
        t = time.perf_counter()
        run(k)
        elapsed = time.perf_counter() - t
        if elapsed >= min_seconds or k >= 1 << 24:
            return elapsed / k
        k *= 2


def _seconds(run, k: int) -> float:
    t = time.perf_counter()
    run(k)
    return time.perf_counter() - t


def measure_case(case: Case, rounds: int) -> tuple[float, float, int, int]:
    """(optbench, NumPy) seconds per call, the minimum over rounds of K calls each (K per
    side: a round lasts about ROUND_SECONDS), and the two K. optbench's figure leaves out the
    call of its loop from Python: (t_K - t_0) / K."""
    sink = np.zeros(1)
    timer = timeit.Timer(case.numpy)
    run = partial(case.optbench, sink=sink)
    run(1)  # compiled before anything is timed
    k_opt = max(1, int(ROUND_SECONDS / min(per_call(run) for _ in range(3))))
    k_np = max(1, int(ROUND_SECONDS / min(per_call(timer.timeit) for _ in range(3))))
    opt, empty, ref = [], [], []
    for _ in range(rounds):
        empty.append(_seconds(run, 0))
        opt.append(_seconds(run, k_opt))
        ref.append(timer.timeit(k_np))
    return max(min(opt) - min(empty), 0.0) / k_opt, min(ref) / k_np, k_opt, k_np


def fmt(seconds: float) -> str:
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("us", 1e-6)):
        if seconds >= scale:
            return f"{seconds / scale:.3g} {unit}"
    return f"{seconds / 1e-9:.3g} ns"


def run_problem(name: str, sizes, threads, rounds: int, slower: list) -> None:
    print(f"\n## {name}: seconds per call, optbench / NumPy")
    print("| size        | threads | oracle  |  optbench |     NumPy |  ratio | K optbench | "
          "K NumPy")
    print("|-------------|---------|---------|-----------|-----------|--------|------------|"
          "--------")
    for m, d in sizes:
        rng = np.random.default_rng(1)
        oracle = instance(name, m, d)
        n = unknowns(name, m, d)
        x = rng.standard_normal(n) / np.sqrt(n)
        shown = f"{d}" if name == "quadratic" else f"{m}x{2 if name == 'linear-regression' else d}"
        todo = cases(name, oracle, x, rng)
        full = MATH[name].bounds(oracle.args, x, None, any(c.kind == "hess" for c in todo))
        for case in todo:  # once: both sides compute the same thing
            check(name, case, oracle.args, x, full)
        if oracle.hess is not None and n > HESS_MAX_DIM:
            print(f"| {shown:<11} |         | hess    | skipped: {n} unknowns > {HESS_MAX_DIM}")
        for t in threads:
            numba.set_num_threads(t)
            with threadpool_limits(t):
                for case in todo:
                    opt, ref, k_opt, k_np = measure_case(case, rounds)
                    print(f"| {shown:<11} | {t:>7} | {case.kind:<7} | {fmt(opt):>9} | "
                          f"{fmt(ref):>9} | {opt / ref:6.2f} | {k_opt:>10} | {k_np:>7}",
                          flush=True)
                    if opt > ref:
                        slower.append(f"{name} {shown} {t} thr {case.kind}: {opt / ref:.2f}")
        numba.set_num_threads(1)


# -- main -----------------------------------------------------------------------------------------
def describe() -> None:
    bl.print_machine()
    pools = ", ".join(f"{p['internal_api']} ({os.path.basename(p['filepath'])})"
                      for p in threadpool_info())
    print(f"BLAS pools (set per row by threadpoolctl): {pools}")


def load() -> str:
    return "load average (1, 5, 15 min): " + ", ".join(f"{v:.2f}" for v in os.getloadavg())


def parse_list(text: str, option: str, parse, example: str) -> tuple:
    try:
        values = tuple(parse(item.strip()) for item in text.split(","))
    except ValueError:
        values = ()
    if not values:
        raise SystemExit(f"{option}: expected a list like {example}, got {text!r}")
    return values


def _size(item: str) -> tuple[int, int]:
    m, d = (int(v) for v in item.lower().split("x"))
    if min(m, d) < 2:
        raise ValueError(item)
    return m, d


def _positive(item: str, low: int = 1) -> int:
    value = int(item)
    if value < low:
        raise ValueError(item)
    return value


def _problem(item: str) -> str:
    if item not in PROBLEMS:
        raise SystemExit(f"--problems: unknown problem {item!r}; known: {', '.join(PROBLEMS)}")
    return item


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--sizes", help="data problems: m x d sizes, e.g. 200x20,5000x500 "
                        f"(default {','.join(f'{m}x{d}' for m, d in SIZES)})")
    parser.add_argument("--dims", help="quadratic: dimensions, e.g. 2,500 (default "
                        f"{','.join(map(str, DIMS))})")
    parser.add_argument("--problems", default=",".join(PROBLEMS), help="e.g. least-squares")
    parser.add_argument("--threads", default="1,2", help="thread counts, e.g. 1 or 1,2")
    parser.add_argument("--rounds", type=int, default=ROUNDS, help="rounds per figure (>= 1)")
    parser.add_argument("--quick", action="store_true",
                        help="small sizes only (default --sizes and --dims up to 1000x100, 128)")
    options = parser.parse_args(argv)
    if options.rounds < 1:
        raise SystemExit(f"--rounds: expected an integer >= 1, got {options.rounds}")
    sizes = (parse_list(options.sizes, "--sizes", _size, "200x20,5000x500") if options.sizes
             else QUICK_SIZES if options.quick else SIZES)
    dims = (parse_list(options.dims, "--dims", partial(_positive, low=2), "2,500") if options.dims
            else QUICK_DIMS if options.quick else DIMS)
    problems = parse_list(options.problems, "--problems", _problem, "least-squares")
    threads = parse_list(options.threads, "--threads", _positive, "1,2")
    import scipy.linalg.cython_blas  # noqa: F401  (every BLAS loaded before limiting threads)
    print(load())
    describe()
    slower: list[str] = []
    start = time.perf_counter()
    for name in problems:
        run_problem(name, tuple((d, d) for d in dims) if name == "quadratic" else sizes,
                    threads, options.rounds, slower)
    print(f"\n({time.perf_counter() - start:.0f} s) {load()}")
    print("rows where optbench is slower than NumPy (ratio > 1):")
    print("\n".join(f"  {row}" for row in slower) or "  none")
    return 0


if __name__ == "__main__":
    sys.exit(main())
