"""Regularized logistic (binary) and softmax (K-class) regression on generated Gaussian classes.

Both are smooth, lam-strongly convex finite sums f = 1/m sum_i f_i with the L2 term inside
every f_i, so the full-batch, Newton and stochastic solvers all apply; the binary problem also
presents its data as (X, y in {-1, +1}) with x = (w, b), so the perceptron-family solvers fit.
The bias is regularized with the weights (lam/2 ||x||^2 over all of x): that keeps the
minimizer unique, the Hessian >= lam I everywhere (mu = lam exactly) and, for softmax, removes
the flat direction b + c 1 along which the unregularized cross-entropy is constant.

f and the gradients of the binary problem read X once per call (optbench.kernels); softmax
scores, gradient and Hessian blocks are BLAS products beyond tiny data. Results are
deterministic for a given machine, BLAS and BLAS thread count (the code path depends on the
data's shape only; the threaded sums do not depend on numba's thread count), not bit-identical
to NumPy's or to another CPU's.

x* and f* come from a Newton solve to ||grad f|| <= 1e-12 (:func:`optbench.optima.newton_minimize`),
cached on disk per instance by :func:`optbench.optima.reference_optimum`.
"""

import math

import numpy as np

import optbench
from optbench import Oracle, Param, Problem, jit
from optbench.datasets import gaussian_classes, load_for, two_gaussian_classes
from optbench.errors import InvalidValueError
from optbench.kernels import (
    LOGISTIC,
    REASSOC,
    THREADED_MIN,
    gram_lower,
    linear_rows_value_grad,
    linear_value,
    linear_value_grad,
    load_threading_layer,
    mirror_lower,
    register_blas,
    sumsq,
)
from optbench.optima import newton_minimize, power_iteration_norm, reference_optimum

register_blas()  # lr_hess calls BLAS dsyrk by name: known to LLVM before any code is loaded

# Part of the optimum cache key: bump when an objective below changes (data are hashed anyway).
VERSION = "logistic-1"
_EXACT_NORM_MAX_COLS = 2000  # above this many columns, ||X||^2 by power iteration


# -- shared scalar helpers ------------------------------------------------------------------------
@jit
def sigmoid(t):
    """1 / (1 + e^-t) without overflow"""
    if t >= 0.0:
        return 1.0 / (1.0 + math.exp(-t))
    e = math.exp(t)
    return e / (1.0 + e)


@jit
def _finish(x, lam, s, n, out):
    """out <- out / n + lam x; returns s / n + lam/2 ||x||^2 (mean over n samples + L2)"""
    for j in range(x.shape[0]):
        out[j] = out[j] / n + lam * x[j]
    return s / n + 0.5 * lam * sumsq(x)


@jit
def _zero(out):
    for j in range(out.shape[0]):
        out[j] = 0.0


# -- binary logistic regression: args = (X, y in {-1, +1}, lam), x = (w, b) ------------------------
# One pass over X per call (optbench.kernels.linear_value_grad: scores, losses and gradient
# together; row blocks on numba's threads when X has 2^19 entries or more (lr_*), on the
# calling thread always (lr_*_serial, -P parallel=false).
@jit
def lr_f(x, args):
    X, y, lam = args
    return linear_value(X, y, x, LOGISTIC, True) / X.shape[0] + 0.5 * lam * sumsq(x)


@jit
def lr_fg(x, args, out):
    X, y, lam = args
    s = linear_value_grad(X, y, x, out, LOGISTIC, True)
    return _finish(x, lam, s, X.shape[0], out)


@jit
def lr_grad(x, args, out):
    lr_fg(x, args, out)


@jit
def lr_f_serial(x, args):
    X, y, lam = args
    return linear_value(X, y, x, LOGISTIC, False) / X.shape[0] + 0.5 * lam * sumsq(x)


@jit
def lr_fg_serial(x, args, out):
    X, y, lam = args
    s = linear_value_grad(X, y, x, out, LOGISTIC, False)
    return _finish(x, lam, s, X.shape[0], out)


@jit
def lr_grad_serial(x, args, out):
    lr_fg_serial(x, args, out)


@jit
def lr_batch(x, args, idx, out):
    """mean over i in idx of f_i = log(1 + exp(-y_i z_i)) + lam/2 ||x||^2; its gradient in out"""
    X, y, lam = args
    s = linear_rows_value_grad(X, y, x, idx, out, LOGISTIC)
    return _finish(x, lam, s, idx.shape[0], out)


_HESS_ROWS = 256  # rows of B per dsyrk call: a block that stays in cache, no m x n copy


@jit
def lr_hess(x, args, out):
    """1/m B'B + lam I, B = rows sqrt(s_i) (x_i, 1), s_i = sigma(z_i) sigma(-z_i) (BLAS dsyrk
    on blocks of rows)"""
    X, y, lam = args
    m, d = X.shape
    n = d + 1
    z = np.dot(X, x[:d])  # BLAS: the scores without the bias
    block = np.empty(min(_HESS_ROWS, m) * n)
    for start in range(0, m, _HESS_ROWS):
        rows = min(_HESS_ROWS, m - start)
        B = block[:rows * n].reshape((rows, n))
        for r in range(rows):
            i = start + r
            w = math.sqrt(sigmoid(z[i] + x[d]) * sigmoid(-z[i] - x[d]))
            for j in range(d):
                B[r, j] = w * X[i, j]
            B[r, d] = w
        # the symmetric product: half the flops of a general one
        gram_lower(B, 1.0 / m, 0.0 if start == 0 else 1.0, out)
    mirror_lower(out)
    for j in range(n):
        out[j, j] += lam


# -- softmax regression: args = (X, c in {0..K-1}, lam), x = (W row-major (K x d), b (K)) ----------
@jit(fastmath=REASSOC)
def _probabilities(x, X, i, p):
    """p <- softmax(z_i), z_ik = W_k.x_i + b_k (max subtracted); returns log sum_k e^(z_ik)"""
    K = p.shape[0]
    d = X.shape[1]
    zmax = -math.inf
    for k in range(K):
        s = x[K * d + k]
        for j in range(d):
            s += x[k * d + j] * X[i, j]
        p[k] = s
        zmax = max(zmax, s)
    total = 0.0
    for k in range(K):
        p[k] = math.exp(p[k] - zmax)
        total += p[k]
    for k in range(K):
        p[k] /= total
    return zmax + math.log(total)


@jit(fastmath=REASSOC)
def _sm_loss(x, X, c, i, p):
    """cross-entropy -log p_{c_i} = logsumexp(z_i) - z_{i c_i}; p <- softmax(z_i)"""
    d = X.shape[1]
    K = p.shape[0]
    k = c[i]
    zc = x[K * d + k]
    for j in range(d):
        zc += x[k * d + j] * X[i, j]
    return _probabilities(x, X, i, p) - zc


@jit(fastmath=REASSOC)
def _sm_sample(x, X, c, i, p, out):
    """out += grad of the cross-entropy of sample i; returns it"""
    d = X.shape[1]
    K = p.shape[0]
    loss = _sm_loss(x, X, c, i, p)
    for k in range(K):
        a = p[k] - (1.0 if k == c[i] else 0.0)
        for j in range(d):
            out[k * d + j] += a * X[i, j]
        out[K * d + k] += a
    return loss


_SM_BLAS_MIN = 1 << 12  # m K d from which the scores and the gradient are BLAS products


@jit
def _sm_residuals(x, c, Z):
    """Z (m x K) holds X W' on entry and p_i - e_{c_i} on return (softmax of Z + b); returns the
    summed cross-entropy sum_i logsumexp(z_i) - z_{i c_i}"""
    m, K = Z.shape
    B = x.shape[0] - K  # offset of b in x
    s = 0.0
    for i in range(m):
        zmax = -math.inf
        for k in range(K):
            Z[i, k] += x[B + k]
            zmax = max(zmax, Z[i, k])
        total = 0.0
        for k in range(K):
            total += math.exp(Z[i, k] - zmax)
        lse = zmax + math.log(total)
        s += lse - Z[i, c[i]]
        for k in range(K):
            Z[i, k] = math.exp(Z[i, k] - lse)
        Z[i, c[i]] -= 1.0
    return s


@jit
def _sm_scores(x, X):
    """X W' (m x K) by BLAS, W the K x d row-major head of x"""
    m, d = X.shape
    K = x.shape[0] // (d + 1)
    return np.dot(X, x[:K * d].reshape((K, d)).T)


@jit
def sm_f(x, args):
    X, c, lam = args
    m, d = X.shape
    K = x.shape[0] // (d + 1)
    s = 0.0
    if m * K * d >= _SM_BLAS_MIN:
        s = _sm_residuals(x, c, _sm_scores(x, X))
    else:  # small: loops, no temporaries
        p = np.empty(K)
        for i in range(m):
            s += _sm_loss(x, X, c, i, p)
    return s / m + 0.5 * lam * sumsq(x)


@jit
def sm_fg(x, args, out):
    X, c, lam = args
    m, d = X.shape
    K = x.shape[0] // (d + 1)
    if m * K * d >= _SM_BLAS_MIN:  # scores and gradient as BLAS products
        R = _sm_scores(x, X)
        s = _sm_residuals(x, c, R)
        np.dot(R.T, X, out[:K * d].reshape((K, d)))
        for k in range(K):
            out[K * d + k] = 0.0
        for i in range(m):
            for k in range(K):
                out[K * d + k] += R[i, k]
        return _finish(x, lam, s, m, out)
    p = np.empty(K)
    _zero(out)
    s = 0.0
    for i in range(m):
        s += _sm_sample(x, X, c, i, p, out)
    return _finish(x, lam, s, m, out)


@jit
def sm_grad(x, args, out):
    sm_fg(x, args, out)


@jit
def sm_batch(x, args, idx, out):
    """mean over i in idx of f_i = -log p_{c_i}(x_i) + lam/2 ||x||^2; its gradient in out"""
    X, c, lam = args
    d = X.shape[1]
    p = np.empty(x.shape[0] // (d + 1))
    _zero(out)
    s = 0.0
    for i in idx:
        s += _sm_sample(x, X, c, i, p, out)
    return _finish(x, lam, s, idx.shape[0], out)


@jit
def _sm_hess_loops(x, args, out):
    """sm_hess for tiny data: loops over samples and entries"""
    X, c, lam = args
    m, d = X.shape
    K = x.shape[0] // (d + 1)
    n = K * (d + 1)
    B = K * d  # offset of b in x
    P = np.empty((m, K))
    for i in range(m):
        _probabilities(x, X, i, P[i])
    for r in range(n):
        for s in range(n):
            out[r, s] = 0.0
    for k in range(K):
        for l in range(k, K):  # block (k, l); (l, k) is its transpose
            for i in range(m):
                a = (P[i, k] if k == l else 0.0) - P[i, k] * P[i, l]
                for j in range(d):
                    aj = a * X[i, j]
                    r = k * d + j
                    for jj in range(d):
                        out[r, l * d + jj] += aj * X[i, jj]
                    out[r, B + l] += aj
                    out[B + k, l * d + j] += aj
                out[B + k, B + l] += a
    for k in range(K):
        for l in range(k + 1, K):
            for j in range(d + 1):
                r = k * d + j if j < d else B + k
                for jj in range(d + 1):
                    s = l * d + jj if jj < d else B + l
                    out[s, r] = out[r, s]
    for r in range(n):
        for s in range(n):
            out[r, s] /= m
        out[r, r] += lam


@jit
def sm_hess(x, args, out):
    """1/m sum_i (diag(p_i) - p_i p_i') (x) (x_i, 1)(x_i, 1)' + lam I, rows and columns in the
    order of x (W row-major, then b): loops for tiny data, else one BLAS product
    (x_i, 1)' diag(a_kl) (x_i, 1) per block k <= l, a_kl,i = [k = l] p_ik - p_ik p_il"""
    X, c, lam = args
    m, d = X.shape
    K = x.shape[0] // (d + 1)
    if m * K * d < _SM_BLAS_MIN:
        _sm_hess_loops(x, args, out)
        return
    B = K * d  # offset of b in x
    P = _sm_scores(x, X)
    for i in range(m):  # P <- softmax(X W' + b), row by row
        zmax = -math.inf
        for k in range(K):
            P[i, k] += x[B + k]
            zmax = max(zmax, P[i, k])
        total = 0.0
        for k in range(K):
            P[i, k] = math.exp(P[i, k] - zmax)
            total += P[i, k]
        for k in range(K):
            P[i, k] /= total
    X1 = np.empty((m, d + 1))
    for i in range(m):
        for j in range(d):
            X1[i, j] = X[i, j]
        X1[i, d] = 1.0
    S = np.empty((m, d + 1))
    for k in range(K):
        for l in range(k, K):  # block (k, l) and its transpose (l, k)
            for i in range(m):
                a = ((P[i, k] if k == l else 0.0) - P[i, k] * P[i, l]) / m
                for j in range(d + 1):
                    S[i, j] = a * X1[i, j]
            block = np.dot(X1.T, S)
            for j in range(d + 1):
                r = k * d + j if j < d else B + k
                for jj in range(d + 1):
                    q = l * d + jj if jj < d else B + l
                    out[r, q] = block[j, jj]
                    out[q, r] = block[j, jj]
    for r in range(out.shape[0]):
        out[r, r] += lam


# -- Python side: data, constants, optimum -------------------------------------------------------
def squared_norm(A) -> float:
    """||A||_2^2 = lambda_max(A'A): exact (eigvalsh of A'A) for up to 2000 columns, else by
    power iteration."""
    if A.shape[1] <= _EXACT_NORM_MAX_COLS:
        return float(np.linalg.eigvalsh(A.T @ A)[-1])
    return power_iteration_norm(A, iters=200, seed=0)


def signed_labels(labels, convention: str) -> np.ndarray:
    """Labels in ``convention`` ("pm1": {-1, +1}, "01": {0, 1}) as floats in {-1, +1}."""
    labels = np.asarray(labels, dtype=np.float64)
    allowed = (-1.0, 1.0) if convention == "pm1" else (0.0, 1.0)
    if not np.all(np.isin(labels, allowed)):
        raise InvalidValueError(f"labels must be in {{{allowed[0]:g}, {allowed[1]:g}}} for "
                                f"labels={convention!r}; got values "
                                f"{np.unique(labels)[:5].tolist()}")
    return labels if convention == "pm1" else 2.0 * labels - 1.0


def _optimum(name, key, oracle, n):
    """x*, f* by Newton's method from 0 on the compiled oracle, cached per instance."""
    f, grad, hess, args = oracle.f, oracle.grad, oracle.hess, oracle.args

    def fg(x):
        g = np.empty(n)
        grad(x, args, g)
        return f(x, args), g

    def h(x):
        H = np.empty((n, n))
        hess(x, args, H)
        return H

    return reference_optimum((name, *key), lambda: newton_minimize(fg, h, np.zeros(n)),
                             version=VERSION, dim=n)


def _f_star_tol(f_star, samples, n, lam):
    """The accuracy of a reference f*: the Newton solve stops at ||grad|| <= 1e-12, so
    f(x_ref) - min f <= 1e-24 / (2 lam) (strong convexity, mu = lam); plus the rounding of an
    evaluation of f, a mean of m terms each of n-term products (about 4 sqrt(m + n) eps |f|:
    rounding errors adding like a random walk)."""
    return 1e-24 / (2 * lam) + 4 * np.sqrt(samples + n) * np.finfo(float).eps * abs(f_star)


GAUSSIANS = "gaussians"
_DATA = (
    Param("data", GAUSSIANS, str, "gaussians (generated here: samples, dim, separation, "
          "classes), or any dataset of optbench.datasets (iris, digits, a file ...)"),
    Param("target", None, str, "files: the target column"),
    Param("positive", None, str, "class against the rest (binary problem)"),
    Param("standardize", False, bool, "features to zero mean and unit variance"),
)
_COMMON = (
    *_DATA,
    Param("lam", 1e-2, float, "L2 coefficient lam (> 0: strongly convex)", low=0.0,
          strict=True),
    Param("separation", 2.0, float, "distance between class means (noise std 1)", low=0.0),
    Param("seed", 0, int, "seed of the generated data", low=0),
)


@optbench.register_problem(
    "logistic-regression",
    params=(Param("samples", 200, int, "number of points m", low=2),
            Param("dim", 5, int, "number of features d", low=1),
            *_COMMON,
            Param("labels", "pm1", str, "label convention: pm1 = {-1, +1}, 01 = {0, 1} "
                  "(same f)", choices=("pm1", "01")),
            Param("parallel", True, bool, "f and gradient over row blocks of X on numba's "
                  "threads (NUMBA_NUM_THREADS) when X has 2^19 entries or more; false: on "
                  "one thread at every size")),
    summary="binary logistic regression + lam/2 ||(w, b)||^2 on two Gaussian classes",
)
def logistic_regression(samples, dim, lam, separation, seed, labels, parallel, **data):
    if data["data"] == GAUSSIANS:
        X, y, direction = two_gaussian_classes(samples, dim, separation, seed)
        source = f"generated: two Gaussian classes (seed {seed})"
    else:
        ds = load_for({**data, "seed": seed}, task="binary")
        X, y = ds.X, ds.y
        samples, dim = X.shape
        direction, source = None, ds.describe()
    given = (y + 1.0) / 2.0 if labels == "01" else y.copy()  # the data in their convention
    y = signed_labels(given, labels)
    X = np.ascontiguousarray(X)
    threaded = parallel and X.size >= THREADED_MIN  # below, threaded = serial code
    if threaded:
        load_threading_layer()  # lr_f, lr_fg reach numba's threads: loaded before cached code runs
    functions = (lr_f, lr_grad, lr_fg) if threaded else (lr_f_serial, lr_grad_serial,
                                                          lr_fg_serial)
    oracle = Oracle(*functions, lr_hess, (X, y, float(lam)), batch=lr_batch)
    n = dim + 1
    # the label convention does not change f: instances differing only in it share the entry
    key = ({"samples": samples, "dim": dim, "lam": lam, "seed": seed}, X, y)
    x_star, f_star = _optimum("logistic-regression", key, oracle, n)
    Xt = np.column_stack([X, np.ones(samples)])
    if labels == "01":
        formula = ("f(w, b) = 1/m sum_i [log(1 + exp(z_i)) - t_i z_i] + lam/2 (||w||^2 + b^2), "
                   "z_i = w.x_i + b, t_i in {0, 1}")
    else:
        formula = ("f(w, b) = 1/m sum_i log(1 + exp(-y_i (w.x_i + b))) + lam/2 (||w||^2 + b^2),"
                   " y_i in {-1, +1}")
    return Problem(
        name="logistic-regression", family="logistic", oracle=oracle, x0=np.zeros(n),
        formula=formula,
        reference="Hastie, Tibshirani & Friedman, The Elements of Statistical Learning (2009), "
                  "4.4; Bishop, Pattern Recognition and Machine Learning (2006), 4.3.2-4.3.3",
        f_star=f_star, f_star_tol=_f_star_tol(f_star, samples, n, lam),
        minimizers=(x_star,), L=squared_norm(Xt) / (4.0 * samples) + lam,
        mu=lam, convex=True, smooth=True, labelled=True, samples=samples,
        notes="x = (w, b), the bias regularized too; "
              + (f"two Gaussian classes (identity covariance, means {separation:g} apart, "
                 "balanced)" if direction is not None else source)
              + "; L = ||(X, 1)||^2/(4m) + lam is the "
              "Hessian at x = 0 (its maximum over x), mu = lam its infimum; x*, f* by Newton "
              "to ||grad|| <= 1e-12 (cached); finite sum of f_i = log(1 + exp(-y_i z_i)) + "
              "lam/2 ||x||^2",
        extra={"labels": given, "dataset": source,
               **({"direction": direction, "separation": separation}
                  if direction is not None else {})},
    )


@optbench.register_problem(
    "softmax-regression",
    params=(Param("samples", 300, int, "number of points m", low=2),
            Param("dim", 64, int, "number of features d (64: 8x8-pixel digits)", low=1),
            Param("classes", 10, int, "number of classes K", low=2),
            *_COMMON),
    summary="K-class softmax regression (x = W (K x d), b) + lam/2 ||x||^2 on Gaussian classes",
)
def softmax_regression(samples, dim, classes, lam, separation, seed, **data):
    if data["data"] != GAUSSIANS:
        ds = load_for({**data, "seed": seed}, task="multiclass")
        X, c = ds.X, ds.y.astype(np.int64)
        (samples, dim), classes = X.shape, len(ds.classes)
        means, source = None, ds.describe()
    else:
        if samples < classes:
            raise InvalidValueError(f"softmax-regression needs at least one sample per class: "
                                    f"samples={samples} < classes={classes}; raise samples or "
                                    "lower classes")
        X, c, means = gaussian_classes(samples, dim, classes, separation, seed)
        source = f"generated: {classes} Gaussian classes (seed {seed})"
    oracle = Oracle(sm_f, sm_grad, sm_fg, sm_hess, (X, c, float(lam)), batch=sm_batch)
    n = classes * (dim + 1)
    key = ({"samples": samples, "dim": dim, "classes": classes, "lam": lam, "seed": seed},
           X, c)
    x_star, f_star = _optimum("softmax-regression", key, oracle, n)
    Xt = np.column_stack([X, np.ones(samples)])
    return Problem(
        name="softmax-regression", family="logistic", oracle=oracle, x0=np.zeros(n),
        formula="f(W, b) = 1/m sum_i [log sum_k exp(z_ik) - z_{i c_i}] + lam/2 (||W||^2 + "
                "||b||^2), z_ik = W_k.x_i + b_k",
        reference="Bishop, Pattern Recognition and Machine Learning (2006), 4.3.4 (Hessian "
                  "4.110); Bohning, Ann. Inst. Statist. Math. 44 (1992) (curvature bound)",
        f_star=f_star, f_star_tol=_f_star_tol(f_star, samples, n, lam),
        minimizers=(x_star,), L=squared_norm(Xt) / (2.0 * samples) + lam,
        mu=lam, convex=True, smooth=True, samples=samples,
        notes=f"x = W ({classes} x {dim}, row-major) then b ({classes}), the {classes} x "
              f"{dim} + {classes} model; b regularized too (else f is flat along b + c 1); "
              "L = ||(X, 1)||^2/(2m) + lam from diag(p) - pp' <= I/2, mu = lam; x*, f* by "
              "Newton to ||grad|| <= 1e-12 (cached); finite sum of f_i = -log p_{c_i}(x_i) + "
              "lam/2 ||x||^2",
        extra={"classes": c, "dataset": source,
               **({"means": means, "separation": separation} if means is not None else {})},
    )
