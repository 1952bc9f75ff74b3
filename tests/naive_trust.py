"""NumPy references for the trust-region subproblem min g'p + 1/2 p'Hp, ||p|| <= delta
(tests/test_trust_region.py): obvious, slow, independent of optbench's kernels."""

import numpy as np
from scipy.optimize import brentq, minimize_scalar


def model(g, H, p):
    """m(p) - f = g'p + 1/2 p'Hp"""
    return float(g @ p + 0.5 * p @ H @ p)


def exact_subproblem(g, H, delta):
    """(p, lambda) of the global minimizer, from the eigendecomposition of H (N&W 4.3):
    (H + lambda I) p = -g, H + lambda I positive semidefinite, lambda (delta - ||p||) = 0; in
    the hard case p is one of the two minimizers (the eigenvector taken with a + sign)."""
    lam_all, Q = np.linalg.eigh(H)
    a = Q.T @ g
    lam1 = lam_all[0]

    def norm_at(lam):
        return np.linalg.norm(a / (lam_all + lam))

    if lam1 > 0 and norm_at(0.0) <= delta:
        return -Q @ (a / lam_all), 0.0
    low = max(0.0, -lam1)
    near = lam_all - lam1 <= 1e-12 * max(1.0, abs(lam1))
    if lam1 <= 0 and np.all(np.abs(a[near]) <= 1e-14 * np.linalg.norm(g)):
        coef = np.where(near, 0.0, -a / np.where(near, 1.0, lam_all - lam1))
        p0 = Q @ coef
        if np.linalg.norm(p0) <= delta:  # the hard case: lambda = -lambda_1, + tau q_1
            return p0 + np.sqrt(delta**2 - p0 @ p0) * Q[:, 0], -lam1
    # the easy case: ||p(lambda)|| falls from above delta to 0 on (low, inf)
    lo = low + 1e-13 * max(1.0, low)
    hi = low + 1.0
    while norm_at(hi) > delta:
        hi = low + 2 * (hi - low)
    lam = brentq(lambda t: norm_at(t) - delta, lo, hi, xtol=1e-15, rtol=1e-15)
    return -Q @ (a / (lam_all + lam)), lam


def cauchy_by_search(g, H, delta):
    """The Cauchy point by bounded 1-D minimization of m(-t g) over 0 <= t <= delta/||g||
    (no formula)."""
    gn = np.linalg.norm(g)
    res = minimize_scalar(lambda t: model(g, H, -t * g), bounds=(0.0, delta / gn),
                          method="bounded", options={"xatol": 1e-14})
    return -res.x * g


def dogleg_by_search(g, H, delta):
    """The dogleg step as the model's minimizer on the dogleg path 0 -> pU -> pB inside the
    ball (H positive definite), by a bounded 1-D
    minimization (||p|| grows and m falls along the path, N&W Lemma 4.2)."""
    pB = -np.linalg.solve(H, g)
    pU = -(g @ g) / (g @ H @ g) * g

    def path(t):  # t in [0, 2]
        return t * pU if t <= 1 else pU + (t - 1) * (pB - pU)

    t_max = 2.0
    if np.linalg.norm(pB) > delta:  # ||path(t)|| grows along the path: its exit by bisection
        lo, hi = 0.0, 2.0
        for _ in range(200):
            mid = 0.5 * (lo + hi)
            lo, hi = (mid, hi) if np.linalg.norm(path(mid)) <= delta else (lo, mid)
        t_max = lo
    res = minimize_scalar(lambda t: model(g, H, path(t)), bounds=(0.0, t_max), method="bounded",
                          options={"xatol": 1e-13})
    best = min((res.x, t_max), key=lambda t: model(g, H, path(t)))
    return path(best)
