"""NumPy transcriptions of the built-in problems' oracles, and bounds on their rounding errors.

Written from the formulas in the problems' docstrings, as a user would write them in NumPy
(never from the compiled code). Each ``*_oracles`` function returns (f, gradient, Hessian or
None); each ``*_bounds`` function returns worst-case bounds (f error, gradient errors, Hessian
errors or None) on the rounding of either implementation, from the standard bound
|fl(sum of k products) - exact| <= gamma_k sum |products|, gamma_k = k eps / (1 - k eps)
(Higham, Accuracy and Stability of Numerical Algorithms, 2002, 3.1), so that a test tolerance
of twice the bound cannot fail from rounding alone, at any size and conditioning, while any
error in the math (a missing term, a wrong sign or scale) is orders of magnitude larger.
Transcendental functions (exp, log1p) are allowed 8 eps relative error.
"""

import numpy as np
from scipy.special import expit, logsumexp

EPS = np.finfo(float).eps
ELEMENTARY = 8 * EPS  # relative error allowed to exp, log1p and their quotients


def gamma(k: int) -> float:
    """gamma_k = k eps / (1 - k eps): the relative error bound of a k-term sum of products"""
    return k * EPS / (1 - k * EPS)


# -- least squares: f = 1/2 ||Ax - y||^2 -----------------------------------------------------------
def lsq_oracles(A, y, x):
    r = A @ x - y
    return 0.5 * r @ r, A.T @ r, A.T @ A


def lsq_bounds(A, y, x):
    m, n = A.shape
    r = A @ x - y
    dr = gamma(n + 1) * (np.abs(A) @ np.abs(x) + np.abs(y))
    f_err = np.abs(r) @ dr + 0.5 * dr @ dr + gamma(m) * 0.5 * r @ r
    g_err = np.abs(A).T @ dr + gamma(m) * np.abs(A).T @ np.abs(r)
    return f_err, g_err, gamma(m) * np.abs(A).T @ np.abs(A)


def lsq_batch(A, y, x, idx):
    """mean over idx of f_i = m/2 (a_i.x - y_i)^2 and its gradient"""
    m = A.shape[0]
    r = A[idx] @ x - y[idx]
    return m / 2 * np.mean(r * r), m * A[idx].T @ r / len(idx)


def lsq_batch_bounds(A, y, x, idx):
    m = A.shape[0]
    f_err, g_err, _ = lsq_bounds(A[idx], y[idx], x)
    return m / len(idx) * f_err * (1 + 2 * EPS), m / len(idx) * g_err * (1 + 2 * EPS)


# -- binary logistic regression: f = 1/m sum_i log(1 + exp(-y_i (w.x_i + b))) + lam/2 ||x||^2 ------
def _augmented(X):
    return np.column_stack([X, np.ones(len(X))])


def logistic_oracles(X, y, lam, x):
    X1 = _augmented(X)
    m, n = X1.shape
    t = -y * (X1 @ x)
    f = np.mean(np.logaddexp(0.0, t)) + 0.5 * lam * x @ x
    g = X1.T @ (-y * expit(t)) / m + lam * x
    s = expit(t) * expit(-t)
    return f, g, X1.T @ (X1 * s[:, None]) / m + lam * np.eye(n)


def logistic_bounds(X, y, lam, x, idx=None):
    """bounds for the mean over the rows idx (all rows when None)"""
    X1 = _augmented(X if idx is None else X[idx])
    y = y if idx is None else y[idx]
    m, n = X1.shape
    t = -y * (X1 @ x)
    dz = gamma(n) * np.abs(X1) @ np.abs(x)
    loss = np.logaddexp(0.0, t)
    dloss = dz + ELEMENTARY * (np.abs(t) + 1)  # softplus is 1-Lipschitz
    c = expit(t)
    dc = dz / 4 + ELEMENTARY  # the sigmoid is 1/4-Lipschitz
    ridge = lam * gamma(n) * x @ x
    f_err = (dloss.sum() + gamma(m) * loss.sum()) / m + ridge + 2 * EPS * (loss.mean() + ridge)
    g_err = (np.abs(X1).T @ dc + gamma(m) * np.abs(X1).T @ c) / m + 2 * EPS * (
        np.abs(X1).T @ c / m + lam * np.abs(x))
    s = c * (1 - c)
    ds = 0.1 * dz + ELEMENTARY * s  # |d/dt sigma(t) sigma(-t)| <= 1/(6 sqrt 3) < 0.1
    h_err = (np.abs(X1).T @ (np.abs(X1) * (ds + gamma(m) * s)[:, None])) / m + 2 * EPS * lam
    return f_err, g_err, h_err


def logistic_batch(X, y, lam, x, idx):
    f, g, _ = logistic_oracles(X[idx], y[idx], lam, x)
    return f, g


# -- softmax regression: x = (W (K x d) row-major, b (K)) ---------------------------------------
def softmax_oracles(X, c, lam, x):
    m, d = X.shape
    K = x.size // (d + 1)
    W, b = x[:K * d].reshape(K, d), x[K * d:]
    Z = X @ W.T + b
    lse = logsumexp(Z, axis=1)
    f = np.mean(lse - Z[np.arange(m), c]) + 0.5 * lam * x @ x
    P = np.exp(Z - lse[:, None])
    R = P.copy()
    R[np.arange(m), c] -= 1.0
    g = np.concatenate([(R.T @ X).ravel(), R.sum(axis=0)]) / m + lam * x
    X1 = np.column_stack([X, np.ones(m)])
    H = sum(np.kron(np.diag(p) - np.outer(p, p), np.outer(v, v))
            for p, v in zip(P, X1, strict=True)) / m
    order = _softmax_order(K, d)
    return f, g, H[np.ix_(order, order)] + lam * np.eye(x.size)


def _softmax_order(K, d):
    """order[r] = the index in kron order (class k, feature j of (x, 1)) of entry r of x
    (W row-major, then b)"""
    return np.array([k * (d + 1) + j for k in range(K) for j in range(d)]
                    + [k * (d + 1) + d for k in range(K)])


def softmax_bounds(X, c, lam, x, idx=None, hessian=True):
    """bounds for the mean over the rows idx (all rows when None); hessian=False: its bound is
    None (it costs m (K (d + 1))^2)"""
    X = X if idx is None else X[idx]
    c = c if idx is None else c[idx]
    m, d = X.shape
    K = x.size // (d + 1)
    W, b = x[:K * d].reshape(K, d), x[K * d:]
    Z = X @ W.T + b
    dz = gamma(d + 1) * (np.abs(X) @ np.abs(W).T + np.abs(b)).max(axis=1)  # per sample
    lse = logsumexp(Z, axis=1)
    loss = lse - Z[np.arange(m), c]
    dloss = 2 * dz + ELEMENTARY * (np.abs(lse) + np.abs(Z[np.arange(m), c]) + K)
    P = np.exp(Z - lse[:, None])
    dP = P * (2 * dz + ELEMENTARY * K)[:, None] + EPS  # softmax: relative, 2 dz in its inputs
    R = np.abs(P)
    R[np.arange(m), c] += 1.0
    X1 = np.column_stack([X, np.ones(m)])
    ridge = lam * gamma(x.size) * x @ x
    f_err = (dloss.sum() + gamma(m) * np.abs(loss).sum()) / m + ridge + 2 * EPS * (
        np.abs(loss).mean() + ridge)
    G = (np.abs(X1).T @ dP + gamma(m) * np.abs(X1).T @ R) / m  # (d + 1) x K
    g_err = np.concatenate([G[:d].T.ravel(), G[d]]) + 2 * EPS * (
        np.concatenate([(np.abs(X).T @ R).T.ravel(), R.sum(axis=0)]) / m + lam * np.abs(x))
    if not hessian:
        return f_err, g_err, None
    rel = gamma(m + 4) + 2 * dz + ELEMENTARY * K  # per sample: sums, and p's relative error
    H = sum(np.kron(np.diag(p) + np.outer(p, p), np.outer(v, v)) * e
            for p, v, e in zip(P, np.abs(X1), rel, strict=True)) / m
    order = _softmax_order(K, d)
    return f_err, g_err, H[np.ix_(order, order)] + 2 * EPS * lam


def softmax_batch(X, c, lam, x, idx):
    f, g, _ = softmax_oracles(X[idx], c[idx], lam, x)
    return f, g


# -- quadratic: f = 1/2 x'Ax - b'x + c ------------------------------------------------------------
def quadratic_oracles(A, b, c, x):
    return 0.5 * x @ A @ x - b @ x + c, A @ x - b, A


def quadratic_bounds(A, b, c, x):
    n = x.size
    ax = np.abs(A) @ np.abs(x)
    dax = gamma(n) * ax
    f_err = 0.5 * np.abs(x) @ dax + gamma(n + 2) * (np.abs(x) @ (0.5 * ax + np.abs(b)) + abs(c))
    g_err = dax + EPS * (ax + np.abs(b))
    return f_err, g_err, np.zeros_like(A)
