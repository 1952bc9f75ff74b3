"""A strong-Wolfe line search (bracketing, then zoom), compiled, for any step kernel.

Along a direction ``d`` from ``x`` let ``phi(a) = f(x + a d)``, so ``phi'(a) = g(x + a d).d``.
A step ``a > 0`` satisfies the *strong Wolfe conditions* with ``0 < c1 < c2 < 1`` when::

    f(x + a d) <= f(x) + c1 a g.d              (sufficient decrease, Armijo)
    |g(x + a d).d| <= c2 |g.d|                 (curvature, strong form)

Such a step exists along every descent direction (``g.d < 0``) of a function bounded below;
the search refuses any other direction. ``c2 = 0.9`` suits quasi-Newton methods,
``c2 = 0.1`` (a nearly exact search) suits nonlinear conjugate gradients.
"""

from __future__ import annotations

import math

from .._jit import jit
from ..errors import InvalidValueError
from ..oracle import value_and_grad
from ..params import Param
from ..registry import Plan
from ..status import LINE_SEARCH, NOT_DESCENT, RUNNING
from .line_search import no_step_reason

__all__ = ["strong_wolfe", "wolfe_search", "DEFAULT_MAX_EVALS", "wolfe_params",
           "wolfe_prepare"]

DEFAULT_MAX_EVALS = 30  # function-and-gradient evaluations per search
_GROW = 2.0             # factor by which the bracketing phase extends a too-short step
_MAX_GROW = 10.0        # ... at most (cubic extrapolation is clamped to [2a, 10a])
_CUBIC_MARGIN = 0.2     # interpolated trials keep this share of the interval from its ends
_QUAD_MARGIN = 0.1


@jit(inline=True)
def _trial(oracle, x, d, a, x_new, g_new):
    """x_new = x + a d; g_new = grad f(x_new); returns (f(x_new), g_new.d)."""
    for i in range(x.shape[0]):
        x_new[i] = x[i] + a * d[i]
    f = value_and_grad(oracle, x_new, g_new)
    dphi = 0.0
    for i in range(d.shape[0]):
        dphi += g_new[i] * d[i]
    return f, dphi


@jit
def cubic_min(a, fa, da, b, fb, db):
    """The minimizer of the cubic through (a, fa, da), (b, fb, db); NaN if it has none.

    Nocedal & Wright (3.59)."""
    d1 = da + db - 3.0 * (fa - fb) / (a - b)
    rad = d1 * d1 - da * db
    if not rad >= 0.0:
        return math.nan
    d2 = math.copysign(math.sqrt(rad), b - a)
    den = db - da + 2.0 * d2
    if den == 0.0:
        return math.nan
    return b - (b - a) * (db + d2 - d1) / den


@jit
def quadratic_min(a, fa, da, b, fb):
    """The minimizer of the parabola through (a, fa, da) and (b, fb); NaN if it is concave."""
    h = b - a
    curv = fb - fa - da * h
    if not curv > 0.0:
        return math.nan
    return a - da * h * h / (2.0 * curv)


@jit
def _zoom_trial(lo, f_lo, d_lo, hi, f_hi, d_hi):
    """A trial inside (lo, hi) (either order): the cubic's minimizer, else the parabola's,
    else the midpoint; interpolated trials keep away from the ends (safeguard)."""
    left = min(lo, hi)
    width = abs(hi - lo)
    a = cubic_min(lo, f_lo, d_lo, hi, f_hi, d_hi)
    if a >= left + _CUBIC_MARGIN * width and a <= left + (1.0 - _CUBIC_MARGIN) * width:
        return a
    a = quadratic_min(lo, f_lo, d_lo, hi, f_hi)
    if a >= left + _QUAD_MARGIN * width and a <= left + (1.0 - _QUAD_MARGIN) * width:
        return a
    return 0.5 * (lo + hi)


@jit(inline=True)
def strong_wolfe(oracle, x, fx, g, d, x_new, g_new, alpha0, c1, c2, max_evals):
    """Find a step ``alpha`` along ``d`` satisfying the strong Wolfe conditions.

    Conditions, with ``0 < c1 < c2 < 1``::

        f(x + alpha d) - f(x) <= c1 alpha g.d      (a real decrease: f(x + alpha d) < f(x))
        |g(x + alpha d).d| <= c2 |g.d|

    Bracketing (Nocedal & Wright, Algorithm 3.5) tries ``alpha0`` and extends the step
    (cubic extrapolation clamped to [2, 10] times the last trial) until an interval is known
    to contain acceptable steps; zoom (Algorithm 3.6) then shrinks it with safeguarded cubic
    interpolation, falling back to quadratic interpolation and then bisection.

    Close to a minimizer, the values of f along d differ by little more than their rounding
    error and the zoom can no longer tell where the curvature condition holds. When the zoom
    ends (its interval shrunk to rounding level, or ``max_evals`` used) having found a step
    with sufficient decrease, that step (the lowest f seen) is taken: it decreases f, and
    the methods using this search guard their updates against a step without the curvature
    condition (BFGS skips the update when s'y <= 0, nonlinear CG restarts along -g).

    Parameters: ``fx = f(x)``, ``g = grad f(x)``, ``d`` the direction (1-D float arrays of
    one length); ``x_new``, ``g_new`` are output buffers of the same length; ``alpha0 > 0``
    the first trial (a non-positive or non-finite value means 1); ``max_evals`` the largest
    number of function-and-gradient evaluations (one more when the fallback step above must
    be evaluated again). Nothing is allocated.

    Returns ``(alpha, f_new, evals, reason)``. With ``reason == RUNNING``,
    ``x_new = x + alpha d``, ``g_new = grad f(x_new)`` and ``f_new = f(x_new)`` hold the
    accepted point. Otherwise ``x_new``, ``g_new`` hold scratch values and ``reason`` is
    ``NOT_DESCENT`` when ``g.d >= 0`` (no evaluation is made), ``LINE_SEARCH`` when the
    bracketing phase used ``max_evals`` with f still decreasing (f may be unbounded below
    along d), and, when no trial decreased f enough, ``PRECISION_LIMIT`` or ``LINE_SEARCH``
    by :func:`~optbench.solvers.line_search.no_step_reason` (``alpha`` is then the shortest
    trial). ``x``, ``g``, ``d`` are never written.

    Compiled; callable from a step kernel or from Python::

        alpha, f_new, evals, reason = strong_wolfe(problem.oracle, x, fx, g, d, x_new, g_new,
                                                   1.0, 1e-4, 0.9, 30)

    Reference: Nocedal & Wright, *Numerical Optimization* (2006), section 3.5.
    """
    dphi0 = 0.0
    for i in range(x.shape[0]):
        dphi0 += g[i] * d[i]
    if not dphi0 < 0.0:
        return 0.0, fx, 0, NOT_DESCENT
    decrease = c1 * dphi0    # sufficient decrease: phi(a) - phi(0) <= a * decrease
    flat = -c2 * dphi0       # curvature: |phi'(a)| <= flat
    a = alpha0 if (alpha0 > 0.0 and math.isfinite(alpha0)) else 1.0
    evals = 0
    # -- bracketing: the previous trial (a_prev, f_prev, d_prev) starts at a = 0
    a_prev, f_prev, d_prev = 0.0, fx, dphi0
    # the zoom interval: lo is the best point satisfying sufficient decrease so far
    lo = f_lo = d_lo = hi = f_hi = d_hi = 0.0
    bracketed = False
    lo_in_buffers = False  # x_new, g_new hold the point lo
    while evals < max_evals:
        f, dphi = _trial(oracle, x, d, a, x_new, g_new)
        evals += 1
        if not (f - fx <= a * decrease and math.isfinite(dphi)) or (evals > 1 and f >= f_prev):
            lo, f_lo, d_lo, hi, f_hi, d_hi = a_prev, f_prev, d_prev, a, f, dphi
            bracketed = True
            break
        if abs(dphi) <= flat:
            return a, f, evals, RUNNING
        if dphi >= 0.0:
            lo, f_lo, d_lo, hi, f_hi, d_hi = a, f, dphi, a_prev, f_prev, d_prev
            lo_in_buffers = True
            bracketed = True
            break
        nxt = cubic_min(a_prev, f_prev, d_prev, a, f, dphi)
        if not (nxt >= _GROW * a):
            nxt = _GROW * a
        elif nxt > _MAX_GROW * a:
            nxt = _MAX_GROW * a
        a_prev, f_prev, d_prev = a, f, dphi
        a = nxt
    if not bracketed:
        return a, math.nan, evals, LINE_SEARCH
    # -- zoom: lo satisfies sufficient decrease, has the lowest f seen, and
    #    d_lo * (hi - lo) < 0, so (lo, hi) contains strong-Wolfe steps
    while evals < max_evals:
        if abs(hi - lo) <= 1e-16 * max(abs(lo), abs(hi)):  # below rounding: give up
            break
        # hi may be a non-finite trial: interpolate then only from lo's side (bisect)
        if math.isfinite(f_hi) and math.isfinite(d_hi):
            a = _zoom_trial(lo, f_lo, d_lo, hi, f_hi, d_hi)
        else:
            a = 0.5 * (lo + hi)
        f, dphi = _trial(oracle, x, d, a, x_new, g_new)
        evals += 1
        if not (f - fx <= a * decrease and math.isfinite(dphi)) or f >= f_lo:
            hi, f_hi, d_hi = a, f, dphi
            lo_in_buffers = False
        else:
            if abs(dphi) <= flat:
                return a, f, evals, RUNNING
            if dphi * (hi - lo) >= 0.0:
                hi, f_hi, d_hi = lo, f_lo, d_lo
            lo, f_lo, d_lo = a, f, dphi
            lo_in_buffers = True
    if lo > 0.0:  # the curvature condition was not resolved: take the lowest point found
        if not lo_in_buffers:
            f_lo, _ = _trial(oracle, x, d, lo, x_new, g_new)
            evals += 1
        return lo, f_lo, evals, RUNNING
    # no trial decreased f enough; lo = 0, so hi is the shortest trial
    return hi, math.nan, evals, no_step_reason(fx, dphi0, hi)


@jit(inline=True)
def wolfe_search(oracle, x, fx, g, d, x_new, g_new, alpha0, c1, c2, extras, column):
    """:func:`strong_wolfe` with ``DEFAULT_MAX_EVALS``, its evaluations into
    ``extras[column]``; returns ``(alpha, f_new, reason)``. A step kernel then updates its
    state when ``reason == RUNNING`` and ends with :func:`~.line_search.accept`."""
    alpha, f_new, evals, reason = strong_wolfe(oracle, x, fx, g, d, x_new, g_new, alpha0, c1,
                                               c2, DEFAULT_MAX_EVALS)
    extras[column] = evals
    return alpha, f_new, reason


# -- the Python side: the constants as solver parameters, checked together -------------------
def wolfe_params(c2: float) -> tuple[Param, Param]:
    """The parameters ``c1`` (default 1e-4) and ``c2`` of a solver using :func:`strong_wolfe`."""
    return (Param("c1", 1e-4, float, "sufficient-decrease constant of the strong-Wolfe search "
                  "(0 < c1 < c2)", low=0.0, strict=True, high=1.0),
            Param("c2", c2, float, "curvature constant of the strong-Wolfe search (c1 < c2 < 1)",
                  low=0.0, strict=True, high=1.0))


def wolfe_prepare(entry, params: tuple[Param, ...], columns: tuple[str, ...]):
    """A ``Solver.prepare`` calling ``entry`` with the values of ``params`` in order, after
    checking ``0 < c1 < c2 < 1`` (which no single parameter's bounds can say)."""
    names = tuple(p.name for p in params)

    def prepare(problem, values):
        c1, c2 = values["c1"], values["c2"]
        if not 0.0 < c1 < c2 < 1.0:
            raise InvalidValueError(
                f"the strong-Wolfe constants must satisfy 0 < c1 < c2 < 1; got c1={c1!r}, "
                f"c2={c2!r} (parameters c1 and c2)")
        return Plan(entry, tuple(values[n] for n in names), columns)

    return prepare
