"""Quadratics f(x) = 1/2 x'Ax - b'x + c: the SPD family and the 1-D/2-D examples of the notes.

f and the gradient: loops for n < 128, a BLAS product A x above; deterministic on a given
machine and BLAS thread count, not bit-identical to NumPy's or another CPU's.
"""

import numpy as np

import optbench
from optbench import Param, Problem, jit

_BLAS_MIN = 1 << 14  # entries of A from which A x is a BLAS product (below: loops, no temporary)


# Two sets of functions, chosen by the size of A when the instance is built: a function that
# merely contains the BLAS call (a temporary array) costs 5x on a 2-D problem even when the
# call is not taken, so the loops are compiled apart from it.
@jit
def f(x, args):
    """1/2 x'Ax - b'x + c by loops (no temporary)"""
    A, b, c = args
    n = x.shape[0]
    s = c
    for i in range(n):
        ax = 0.0
        for j in range(n):
            ax += A[i, j] * x[j]
        s += x[i] * (0.5 * ax - b[i])
    return s


@jit
def grad(x, args, out):
    """out = A x - b by loops"""
    A, b, c = args
    n = x.shape[0]
    for i in range(n):
        ax = 0.0
        for j in range(n):
            ax += A[i, j] * x[j]
        out[i] = ax - b[i]


@jit
def fg(x, args, out):
    """out = A x - b; returns 1/2 x'Ax - b'x + c, by loops"""
    A, b, c = args
    n = x.shape[0]
    s = c
    for i in range(n):
        ax = 0.0
        for j in range(n):
            ax += A[i, j] * x[j]
        out[i] = ax - b[i]
        s += x[i] * (0.5 * ax - b[i])
    return s


@jit
def _blas_value_grad(x, args, out):
    """out = A x - b (when out is not None), A x a BLAS product; returns f"""
    A, b, c = args
    ax = np.dot(A, x)
    s = c
    for i in range(x.shape[0]):
        s += x[i] * (0.5 * ax[i] - b[i])
        if out is not None:
            out[i] = ax[i] - b[i]
    return s


@jit
def f_blas(x, args):
    return _blas_value_grad(x, args, None)


@jit
def grad_blas(x, args, out):
    _blas_value_grad(x, args, out)


@jit
def fg_blas(x, args, out):
    return _blas_value_grad(x, args, out)


@jit
def hess(x, args, out):
    """out <- A by loops (numba's 2-D slice assignment costs 1.6x NumPy's copy at n = 128-500;
    the loops match it)"""
    A, b, c = args
    n = A.shape[0]
    for i in range(n):
        for j in range(n):
            out[i, j] = A[i, j]


def _instance(name, A, b, c, x0, formula, reference, **facts):
    A = np.ascontiguousarray(A, dtype=np.float64)
    b = np.ascontiguousarray(b, dtype=np.float64)
    functions = (f_blas, grad_blas, fg_blas) if A.size >= _BLAS_MIN else (f, grad, fg)
    return Problem(name=name, family="quadratic",
                   oracle=optbench.Oracle(*functions, hess, (A, b, float(c))),
                   x0=x0, formula=formula, reference=reference, smooth=True, quadratic=True,
                   **facts)


@optbench.register_problem(
    "quadratic",
    params=(Param("dim", 10, int, "dimension n", low=1),
            Param("cond", 10.0, float, "condition number L/mu of A", low=1.0),
            Param("seed", 0, int, "seed of the random eigenvectors and b", low=0)),
    summary="SPD quadratic 1/2 x'Ax - b'x, eigenvalues log-spaced in [1/cond, 1]",
)
def quadratic(dim, cond, seed):
    if dim == 1 and cond != 1.0:
        raise optbench.InvalidValueError(
            f"a 1-D quadratic has one eigenvalue, so its condition number is 1, not {cond:g}: "
            "give -P cond=1 with --dim 1 (parameter cond of problem 'quadratic')")
    rng = np.random.default_rng(seed)
    mu, L = 1.0 / cond, 1.0
    eig = np.logspace(np.log10(mu), np.log10(L), dim) if dim > 1 else np.array([L])
    Q, _ = np.linalg.qr(rng.standard_normal((dim, dim)))
    A = (Q * eig) @ Q.T
    A = 0.5 * (A + A.T)
    b = rng.standard_normal(dim)
    stored = np.linalg.eigvalsh(A)  # the matrix as stored: its own L and mu
    if not stored[0] > 0:
        raise optbench.InvalidValueError(
            f"cond={cond:g} at dim={dim} is beyond float64: the matrix as stored has an "
            f"eigenvalue {stored[0]:.3g} <= 0 (parameter cond of problem 'quadratic')")
    x_star, f_star, f_star_tol = _optimum(A, b)
    return _instance(
        "quadratic", A, b, 0.0, np.zeros(dim),
        "f(x) = 1/2 x'Ax - b'x, A SPD with eigenvalues log-spaced in [mu, L]",
        "Nesterov, Lectures on Convex Optimization (2018), 2.1.4",
        f_star=f_star, f_star_tol=f_star_tol, minimizers=(x_star,),
        L=float(eig.max()), mu=float(eig.min()), convex=True,
        notes=f"L and mu are those asked for; the matrix as stored has eigenvalues in "
              f"[{stored[0]:.6g}, {stored[-1]:.6g}]. x*, f* solve the stored system "
              "(residuals in extended precision, refined); f* is exact to f_star_tol, which "
              "also covers the rounding of f near x*",
    )


def _optimum(A, b):
    """x* = A^-1 b refined with residuals in extended precision; f* = f(x*) in extended
    precision; a bound on |f* - min f| plus the rounding of f near x* (f_star_tol).

    f(x) - min f = 1/2 r'A^-1 r with r = b - A x, estimated from the last refinement step
    (times 10: that solve is itself inexact when cond(A) eps is not small); an evaluation of
    1/2 x'Ax - b'x in float64 near x* rounds by less than eps S, S = 1/2 |x|'|A||x| + |b|'|x|
    (measured: at most S eps / 8 over 200 points near x*, for cond 1e3 to 1e16; twice eps S
    is allowed here)."""
    wide = np.longdouble
    Aw, bw = A.astype(wide), b.astype(wide)
    x = np.linalg.solve(A, b)
    for _ in range(3):
        r = bw - Aw @ x.astype(wide)
        x = x + np.linalg.solve(A, r.astype(np.float64))
    xw = x.astype(wide)
    r = bw - Aw @ xw
    excess = abs(float(r @ np.linalg.solve(A, r.astype(np.float64)).astype(wide))) / 2
    f_star = float(xw @ (Aw @ xw) / 2 - bw @ xw)
    rounding = 2 * np.finfo(float).eps * float(
        np.abs(x) @ np.abs(A) @ np.abs(x) / 2 + np.abs(b) @ np.abs(x))
    return x, f_star, 10 * excess + rounding


@optbench.register_problem("parabola", summary="x^2 + 4: the 1-D example of the notes")
def parabola():
    return _instance(
        "parabola", [[2.0]], [0.0], 4.0, [3.0], "f(x) = x^2 + 4",
        "course notes, gradient descent (1-D example)",
        f_star=4.0, minimizers=([0.0],), L=2.0, mu=2.0, convex=True,
    )


@optbench.register_problem("saddle", summary="x^2 - y^2: a saddle at 0, unbounded below")
def saddle():
    return _instance(
        "saddle", np.diag([2.0, -2.0]), [0.0, 0.0], 0.0, [1.0, 0.1], "f(x, y) = x^2 - y^2",
        "course notes, multivariate calculus (saddle point)",
        notes="indefinite Hessian diag(2, -2): the origin is a saddle point; "
              "f is unbounded below along y",
    )


@optbench.register_problem(
    "quadratic-2d", summary="2x1^2 + x2^2 + 3x1x2 + 4: indefinite, unbounded below")
def quadratic_2d():
    A = np.array([[4.0, 3.0], [3.0, 2.0]])
    return _instance(
        "quadratic-2d", A, [0.0, 0.0], 4.0, [1.0, 1.0],
        "f(x) = 2 x1^2 + x2^2 + 3 x1 x2 + 4",
        "course notes, multivariate calculus (quadratic form example)",
        notes="indefinite: Hessian eigenvalues 3 +- sqrt(10) (one negative); the origin is "
              "a saddle point and f is unbounded below",
    )
