"""Least squares 1/2 ||Ax - y||^2 on generated data, and 1-D linear regression as its instance.

Both expose their residuals r = Ax - y (``extra["residuals"]``, ``extra["jacobian"]`` = A,
``extra["m"]``, ``extra["residual_scale"]`` = 1/2 since f = 1/2 ||r||^2) for Gauss-Newton type
solvers; the functions read (A, y) at run time: ``functools.partial(ls_residuals, args=(A, y))``.
"""

import functools

import numpy as np

import optbench
from optbench import Oracle, Param, Problem, jit
from optbench.datasets import data_params, load_for
from optbench.kernels import lsq_value_grad_parallel, lsq_value_parallel


@jit
def ls_fg(x, args, out):
    A, y = args
    m, n = A.shape
    for j in range(n):
        out[j] = 0.0
    s = 0.0
    for i in range(m):
        r = -y[i]
        for j in range(n):
            r += A[i, j] * x[j]
        s += r * r
        for j in range(n):
            out[j] += r * A[i, j]
    return 0.5 * s


@jit
def ls_f(x, args):
    A, y = args
    m, n = A.shape
    s = 0.0
    for i in range(m):
        r = -y[i]
        for j in range(n):
            r += A[i, j] * x[j]
        s += r * r
    return 0.5 * s


@jit
def ls_grad(x, args, out):
    ls_fg(x, args, out)


@jit
def ls_batch(x, args, idx, out):
    """Mean of f_i = m/2 (a_i.x - y_i)^2 over the rows idx (so that 1/m sum_i f_i = f);
    the mean gradient m/|idx| sum_i (a_i.x - y_i) a_i goes into out."""
    A, y = args
    m, n = A.shape
    for j in range(n):
        out[j] = 0.0
    s = 0.0
    for i in idx:
        r = -y[i]
        for j in range(n):
            r += A[i, j] * x[j]
        s += r * r
        for j in range(n):
            out[j] += r * A[i, j]
    scale = m / idx.shape[0]
    for j in range(n):
        out[j] *= scale
    return 0.5 * scale * s


# -- the same f and gradient as one pass over A in row blocks on numba's threads (parallel=True)
@jit
def ls_fg_parallel(x, args, out):
    """out = A'(Ax - y); returns 1/2 ||Ax - y||^2, A read once, row blocks in parallel"""
    A, y = args
    return lsq_value_grad_parallel(A, y, x, out)


@jit
def ls_f_parallel(x, args):
    A, y = args
    return lsq_value_parallel(A, y, x)


@jit
def ls_grad_parallel(x, args, out):
    ls_fg_parallel(x, args, out)


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
    A, y = args
    out[:, :] = A.T @ A


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


def _instance(name, A, y, x0, formula, reference, parallel=False, **facts):
    A = np.ascontiguousarray(A, dtype=np.float64)
    y = np.ascontiguousarray(y, dtype=np.float64)
    x_star, f_star, f_star_tol = _optimum(A, y)
    sv = np.linalg.svd(A, compute_uv=False)
    mu = float(sv.min() ** 2) if A.shape[0] >= A.shape[1] else 0.0
    if parallel:
        oracle = Oracle(ls_f_parallel, ls_grad_parallel, ls_fg_parallel, ls_hess, (A, y),
                        batch=ls_batch)
    else:
        oracle = Oracle(ls_f, ls_grad, ls_fg, ls_hess, (A, y), batch=ls_batch)
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
            Param("parallel", False, bool, "f and gradient in one pass over A, row blocks on "
                  "numba's threads (NUMBA_NUM_THREADS; for large A, memory-bound)")),
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
