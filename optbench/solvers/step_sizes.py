"""Small compiled step-size rules for first-order methods.

Each returns the step t for the current iteration; gradient descent combines one of them
with the step ``x <- x - t g`` (see :mod:`optbench.solvers.gradient`). Backtracking lives in
:mod:`optbench.solvers.line_search`.
"""

from __future__ import annotations

import math

from .._jit import jit

__all__ = ["diminishing", "exact_quadratic", "barzilai_borwein", "polyak"]


@jit
def diminishing(t0, power, k):
    """t_k = t0 / (k + 1)^power (power 1/2: t0/sqrt(k+1); power 1: t0/(k+1))."""
    return t0 / math.pow(k + 1.0, power)


@jit
def exact_quadratic(H, g, Hg):
    """Exact minimizer of t -> f(x - t g) for a quadratic with Hessian H: t = g'g / g'Hg.

    Writes H g into ``Hg``. Returns NaN when g'Hg <= 0 (no minimizer along -g)."""
    n = g.shape[0]
    gg = 0.0
    gHg = 0.0
    for i in range(n):
        s = 0.0
        for j in range(n):
            s += H[i, j] * g[j]
        Hg[i] = s
        gHg += g[i] * s
        gg += g[i] * g[i]
    if not gHg > 0.0:
        return math.nan
    return gg / gHg


@jit
def barzilai_borwein(s, y, variant, t_prev, t_min, t_max):
    """Barzilai-Borwein step from s = x_k - x_{k-1}, y = g_k - g_{k-1}.

    variant 1: t = s's / s'y (the "long" step); variant 2: t = s'y / y'y (the "short" step).
    Safeguarded: when s'y <= 0 the previous step is kept; the result is clipped to
    [t_min, t_max]. Reference: Barzilai & Borwein, IMA J. Numer. Anal. 8 (1988)."""
    ss = 0.0
    sy = 0.0
    yy = 0.0
    for i in range(s.shape[0]):
        ss += s[i] * s[i]
        sy += s[i] * y[i]
        yy += y[i] * y[i]
    if not sy > 0.0:
        t = t_prev
    elif variant == 1:
        t = ss / sy
    else:
        t = sy / yy
    return min(max(t, t_min), t_max)


@jit
def polyak(fx, f_star, gsq):
    """Polyak's step t = (f(x) - f*) / ||g||^2 (needs the optimal value f*).

    Reference: Polyak, *Introduction to Optimization* (1987), 5.3."""
    return (fx - f_star) / gsq if gsq > 0.0 else 0.0
