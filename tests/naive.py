"""Slow, obvious reference implementations the tests compare against (never used by optbench)."""

import numpy as np


def fd_gradient(f, x, h=1e-6):
    """Central finite differences of a scalar function, step scaled to |x_i|."""
    x = np.asarray(x, dtype=float)
    g = np.empty_like(x)
    for i in range(x.size):
        hi = h * max(1.0, abs(x[i]))
        e = np.zeros_like(x)
        e[i] = hi
        g[i] = (f(x + e) - f(x - e)) / (2 * hi)
    return g


def fd_hessian(grad, x, h=1e-6):
    """Central finite differences of a gradient, symmetrized."""
    x = np.asarray(x, dtype=float)
    n = x.size
    H = np.empty((n, n))
    for i in range(n):
        hi = h * max(1.0, abs(x[i]))
        e = np.zeros_like(x)
        e[i] = hi
        H[:, i] = (grad(x + e) - grad(x - e)) / (2 * hi)
    return 0.5 * (H + H.T)


def gd_reference(grad, x0, step, iterations):
    """Plain NumPy gradient descent."""
    x = np.array(x0, dtype=float)
    for _ in range(iterations):
        x = x - step * grad(x)
    return x


def perceptron_mistakes(X, y, w):
    """Number of points with y_i (w.x_i + b) <= 0 for w = (weights, bias)."""
    return int(np.sum(y * (X @ w[:-1] + w[-1]) <= 0))


# -- rounding bounds: how far two correct floating-point computations of one value may differ ---
EPS = np.finfo(float).eps


def mean_rounding_bound(terms):
    """Largest difference between two ways of summing the rows of ``terms`` (m x ...) and
    dividing by m, in any order or instruction mix: each way is within m eps (mean |term|)
    of the exact mean (the classic bound for recursive summation), so two ways differ by
    twice that."""
    terms = np.asarray(terms, dtype=float)
    m = terms.shape[0]
    return 2.0 * m * EPS * np.abs(terms).mean(axis=0) + np.finfo(float).tiny


def iteration_rounding_bound(steps, n, scale, growth=1.0):
    """Largest difference between two floating-point runs of a linear iteration whose map
    does not amplify errors by more than ``growth`` in total: each step adds at most
    (n + 2) eps * scale (an n-term product and the update, both ways), so
    ``steps`` steps differ by at most 2 steps (n + 2) eps * scale * growth."""
    return 2.0 * steps * (n + 2) * EPS * scale * growth


def per_sample_terms(problem, x):
    """f_i(x) and grad f_i(x) of every sample of a finite-sum problem (one-sample batches):
    arrays (m,) and (m, n), the terms whose means are f and grad f."""
    x = np.ascontiguousarray(x, dtype=float)
    values, grads = np.empty(problem.samples), np.empty((problem.samples, problem.dim))
    for i in range(problem.samples):
        values[i] = problem.oracle.batch(x, problem.oracle.args, np.array([i]), grads[i])
    return values, grads
