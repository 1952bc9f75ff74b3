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
