"""Least squares 1/2 ||Ax - y||^2 on generated data, and 1-D linear regression as its instance.

Both expose their residuals r = Ax - y (``extra["residuals"]``, ``extra["jacobian"]`` = A,
``extra["m"]``, ``extra["residual_scale"]`` = 1/2 since f = 1/2 ||r||^2) for Gauss-Newton type
solvers; the functions read (A, y) at run time: ``functools.partial(ls_residuals, args=(A, y))``.

f, the gradient and the mini-batch gradients read A once per call (sums reordered for SIMD);
the Hessian A'A is BLAS dsyrk beyond tiny sizes. Results are deterministic on a given machine
(and BLAS, for the Hessian): the code path depends on the shape of A only, and the threaded
path sums its 32 row blocks in a fixed order whatever the number of threads; they are not
bit-identical to NumPy's or to another CPU's.
"""

import functools

import numpy as np

import optbench
from optbench import Oracle, Param, Problem, jit
from optbench.datasets import data_params, load_for
from optbench.kernels import (
    SQUARED,
    THREADED_MIN,
    gram,
    linear_rows_value_grad,
    linear_value,
    linear_value_grad,
    load_threading_layer,
    register_blas,
)

register_blas()  # ls_hess calls BLAS dsyrk by name: known to LLVM before any code is loaded


# f and A'(Ax - y) in one pass over A (optbench.kernels.linear_value_grad): on numba's threads for
# large A (ls_*), on the calling thread always (ls_*_serial, -P parallel=false).
@jit
def ls_fg(x, args, out):
    """out = A'(Ax - y); returns 1/2 ||Ax - y||^2"""
    A, y = args
    return 0.5 * linear_value_grad(A, y, x, out, SQUARED, True)


@jit
def ls_f(x, args):
    A, y = args
    return 0.5 * linear_value(A, y, x, SQUARED, True)


@jit
def ls_grad(x, args, out):
    ls_fg(x, args, out)


@jit
def ls_fg_serial(x, args, out):
    A, y = args
    return 0.5 * linear_value_grad(A, y, x, out, SQUARED, False)


@jit
def ls_f_serial(x, args):
    A, y = args
    return 0.5 * linear_value(A, y, x, SQUARED, False)


@jit
def ls_grad_serial(x, args, out):
    ls_fg_serial(x, args, out)


@jit
def ls_batch(x, args, idx, out):
    """Mean of f_i = m/2 (a_i.x - y_i)^2 over the rows idx (so that 1/m sum_i f_i = f);
    the mean gradient m/|idx| sum_i (a_i.x - y_i) a_i goes into out."""
    A, y = args
    s = linear_rows_value_grad(A, y, x, idx, out, SQUARED)
    scale = A.shape[0] / idx.shape[0]
    for j in range(out.shape[0]):
        out[j] *= scale
    return 0.5 * scale * s


@jit
def ls_residuals(x, out, args):
    """out = Ax - y"""
    A, y = args
    m, n = A.shape
    for i in range(m):
        r = -y[i]
        for j in range(n):
            r += A[i, j] * x[j]
        out[i] = r


@jit
def ls_jacobian(x, out, args):
    """out = A (the Jacobian of Ax - y)"""
    A = args[0]
    m, n = A.shape
    for i in range(m):
        for j in range(n):
            out[i, j] = A[i, j]


@jit
def ls_hess(x, args, out):
    """out = A'A"""
    gram(args[0], out)


def _optimum(A, y):
    """x* by lstsq, refined once with the residual in extended precision; f* = 1/2 ||Ax* - y||^2
    in extended precision; its accuracy: the excess 1/2 ||A d||^2 of the last correction d
    (times 10) plus the rounding of an evaluation of f, about 4 sqrt(n + m) eps sum_i
    (|a_i||x| + |y_i|)^2 / 2 (rounding errors adding like a random walk)."""
    wide = np.longdouble
    Aw, yw = A.astype(wide), y.astype(wide)
    x = np.linalg.lstsq(A, y, rcond=None)[0]
    for _ in range(2):
        d = np.linalg.lstsq(A, (yw - Aw @ x.astype(wide)).astype(np.float64), rcond=None)[0]
        x = x + d
    r = Aw @ x.astype(wide) - yw
    f_star = float(r @ r / 2)
    excess = float(np.sum((A @ d) ** 2)) / 2
    scale = np.abs(A) @ np.abs(x) + np.abs(y)
    rounding = 4 * np.sqrt(sum(A.shape)) * np.finfo(float).eps * float(scale @ scale) / 2
    return x, f_star, 10 * excess + rounding


def _instance(name, A, y, x0, formula, reference, parallel=True, **facts):
    A = np.ascontiguousarray(A, dtype=np.float64)
    y = np.ascontiguousarray(y, dtype=np.float64)
    x_star, f_star, f_star_tol = _optimum(A, y)
    sv = np.linalg.svd(A, compute_uv=False)
    mu = float(sv.min() ** 2) if A.shape[0] >= A.shape[1] else 0.0
    if parallel and A.size >= THREADED_MIN:  # below, the threaded functions run serially
        load_threading_layer()  # they reach numba's threads: loaded before cached code runs
        oracle = Oracle(ls_f, ls_grad, ls_fg, ls_hess, (A, y), batch=ls_batch)
    else:
        oracle = Oracle(ls_f_serial, ls_grad_serial, ls_fg_serial, ls_hess, (A, y),
                        batch=ls_batch)
    data = (A, y)
    residuals = {"residuals": functools.partial(ls_residuals, args=data),
                 "jacobian": functools.partial(ls_jacobian, args=data), "m": A.shape[0],
                 "residual_scale": 0.5}
    facts["extra"] = {**facts.get("extra", {}), **residuals}
    return Problem(
        name=name, family="least-squares", oracle=oracle,
        x0=x0, formula=formula, reference=reference, f_star=f_star, f_star_tol=f_star_tol,
        minimizers=(x_star,) if mu > 0 else (), L=float(sv.max() ** 2), mu=mu, convex=True,
        quadratic=True, samples=A.shape[0], **facts,
    )


@optbench.register_problem(
    "least-squares",
    params=(*data_params("regression"),
            Param("seed", 0, int, "seed of the generated data", low=0),
            Param("parallel", True, bool, "f and gradient over row blocks of A on numba's "
                  "threads (NUMBA_NUM_THREADS) when A has 2^19 entries or more; false: on "
                  "one thread at every size")),
    summary="1/2 ||Ax - y||^2 (default: generated data with chosen size, conditioning, noise)",
)
def least_squares(seed, parallel, **data):
    ds = load_for({**data, "seed": seed}, task="regression")
    sv = np.linalg.svd(ds.X, compute_uv=False)
    kappa = sv.max() / sv.min() if sv.min() > 0 else np.inf
    return _instance(
        "least-squares", ds.X, ds.y, np.zeros(ds.X.shape[1]),
        "f(x) = 1/2 ||Ax - y||^2 (rows of A: samples, columns: features)",
        "Nocedal & Wright, Numerical Optimization (2006), chapter 10", parallel=parallel,
        notes=f"{ds.source}; x*, f* from numpy.linalg.lstsq, refined (f* exact to "
              f"f_star_tol); kappa(A) = {kappa:.3g}; finite "
              "sum of f_i = m/2 (a_i.x - y_i)^2",
        extra={"dataset": ds.describe(),
               **({"x_true": ds.extra["w_true"]} if "w_true" in ds.extra else {})},
    )


@optbench.register_problem(
    "linear-regression",
    params=(Param("samples", 50, int, "number of points", low=2),
            Param("noise", 0.5, float, "standard deviation of the noise on y", low=0.0),
            Param("seed", 0, int, "seed of the generated data", low=0)),
    summary="fit y = w x + b to generated 1-D points (mean squared error / 2)",
)
def linear_regression(samples, noise, seed):
    rng = np.random.default_rng(seed)
    t = rng.uniform(-2.0, 2.0, samples)
    w_true, b_true = 1.5, -0.5
    y = w_true * t + b_true + noise * rng.standard_normal(samples)
    scale = 1.0 / np.sqrt(samples)
    A = np.column_stack([t, np.ones(samples)]) * scale
    return _instance(
        "linear-regression", A, y * scale, np.zeros(2),
        "f(w, b) = 1/(2m) sum_i (w t_i + b - y_i)^2",
        "course notes, backpropagation (loss function example)",
        notes="x = (w, b); data y = 1.5 t - 0.5 + noise, t uniform in [-2, 2]; finite sum of "
              "f_i = 1/2 (w t_i + b - y_i)^2",
        extra={"t": t, "y": y, "w_true": w_true, "b_true": b_true},
    )
