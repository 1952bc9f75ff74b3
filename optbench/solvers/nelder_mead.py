"""The Nelder-Mead simplex method: derivative-free, f evaluations only.

A simplex of n + 1 vertices, kept sorted by f (best first), moves its worst vertex ``x_w``
through the centroid ``xbar`` of the other n, with the coefficients rho (reflection), chi
(expansion), psi (contraction) and sigma (shrink):

- reflect ``x_r = xbar + rho (xbar - x_w)``; if ``f_1 <= f_r < f_n`` accept it;
- if ``f_r < f_1`` expand ``x_e = xbar + rho chi (xbar - x_w)``, accepted if
  ``f_e < f_r`` (else x_r);
- if ``f_n <= f_r < f_{n+1}`` contract outside ``x_c = xbar + psi rho (xbar - x_w)``,
  accepted if ``f_c <= f_r``; if ``f_r >= f_{n+1}`` contract inside
  ``x_cc = xbar - psi (xbar - x_w)``, accepted if ``f_cc < f_{n+1}``;
- otherwise shrink every vertex towards the best: ``x_j <- x_1 + sigma (x_j - x_1)``.

The conventions are those of Lagarias, Reeds, Wright & Wright (1998), which scipy's
``minimize(method='Nelder-Mead')`` follows too: rho, chi, psi, sigma = 1, 2, 1/2, 1/2, and
ties broken so that an accepted point goes after the vertices with the same f and a shrink
keeps the best vertex first (a stable sort). ``adaptive=true`` takes Gao & Han's (2012)
coefficients for dimension n: 1, 1 + 2/n, 3/4 - 1/(2n), 1 - 1/n.
"""

from __future__ import annotations

import math
from collections import namedtuple

import numpy as np

from .._jit import jit
from ..errors import IncompatibleError
from ..oracle import value
from ..params import Param
from ..registry import Plan, Solver, register_solver
from ..status import RUNNING, SIMPLEX_TOL
from ._loop import drive_without_g, without_grad_test

__all__ = ["nelder_mead", "REFLECT", "EXPAND", "CONTRACT_OUTSIDE", "CONTRACT_INSIDE", "SHRINK"]

# the operation column: what an iteration did
REFLECT, EXPAND, CONTRACT_OUTSIDE, CONTRACT_INSIDE, SHRINK = 1, 2, 3, 4, 5

Simplex = namedtuple("Simplex", ["rho", "chi", "psi", "sigma", "xatol", "fatol", "perturb",
                                 "zero_perturb"])
Simplex.__doc__ = """Nelder-Mead's parameters: the coefficients rho, chi, psi, sigma, the
simplex test's xatol and fatol, the initial simplex's perturb and zero_perturb."""


@jit(inline=True)
def _rank(f):
    """the sort key of a value: NaN ranks as +inf (last)"""
    return f if f == f else math.inf


@jit(inline=True)
def _sort(F, order):
    """order <- the vertices by increasing F[order], stable (insertion sort)"""
    for i in range(1, order.shape[0]):
        j = order[i]
        key = _rank(F[j])
        p = i - 1
        while p >= 0 and _rank(F[order[p]]) > key:
            order[p + 1] = order[p]
            p -= 1
        order[p + 1] = j


@jit(inline=True)
def _nelder_mead_init(oracle, x, g, params):
    """vertices x0 and x0 with x0_i scaled by 1 + perturb (zero_perturb where x0_i = 0);
    f at each (n + 1 evaluations), sorted (no gradient: the table's is the loop's)"""
    n = x.shape[0]
    S = np.empty((n + 1, n))
    F = np.empty(n + 1)
    for j in range(n + 1):
        for i in range(n):
            S[j, i] = x[i]
        if j > 0:
            xi = x[j - 1]
            S[j, j - 1] = (1.0 + params.perturb) * xi if xi != 0.0 else params.zero_perturb
        F[j] = value(oracle, S[j])
    order = np.arange(n + 1)
    _sort(F, order)
    state = np.zeros(2)  # shrinks so far; x's row of S (x = x0 = S[0])
    work = (S, F, order, np.empty(n), np.empty(n), np.empty(n), state)
    return work, F[0]


@jit(inline=True)
def _into_row(S, j, v):
    """S[j] <- v"""
    for i in range(v.shape[0]):
        S[j, i] = v[i]


@jit(inline=True)
def _nelder_mead_step(oracle, x, g, fx, work, params, k, extras):
    """worst vertex x_w <- reflection, expansion or contraction of it through the centroid of
    the others, or every vertex x_j <- x_1 + sigma (x_j - x_1); x <- the best vertex"""
    S, F, order, xbar, xr, xt, state = work
    n = x.shape[0]
    rho, chi, psi = params.rho, params.chi, params.psi
    w = order[n]
    if state[1] != order[0]:  # x = x0 is not the best vertex (the first step): its row
        state[1] = -1.0       # may be rewritten below
    for i in range(n):
        xbar[i] = 0.0
    for r in range(n):
        j = order[r]
        for i in range(n):
            xbar[i] += S[j, i]
    for i in range(n):
        xbar[i] /= n
        xr[i] = (1.0 + rho) * xbar[i] - rho * S[w, i]
    fr = value(oracle, xr)
    op = REFLECT
    if fr < F[order[0]]:
        for i in range(n):
            xt[i] = (1.0 + rho * chi) * xbar[i] - rho * chi * S[w, i]
        fe = value(oracle, xt)
        if fe < fr:
            op = EXPAND
            _into_row(S, w, xt)
            F[w] = fe
        else:
            _into_row(S, w, xr)
            F[w] = fr
    elif fr < F[order[n - 1]]:
        _into_row(S, w, xr)
        F[w] = fr
    else:
        if fr < F[w]:
            for i in range(n):
                xt[i] = (1.0 + psi * rho) * xbar[i] - psi * rho * S[w, i]
            fc = value(oracle, xt)
            accepted = fc <= fr
            op = CONTRACT_OUTSIDE
        else:
            for i in range(n):
                xt[i] = (1.0 - psi) * xbar[i] + psi * S[w, i]
            fc = value(oracle, xt)
            accepted = fc < F[w]
            op = CONTRACT_INSIDE
        if accepted:
            _into_row(S, w, xt)
            F[w] = fc
        else:
            op = SHRINK
            b = order[0]
            for r in range(1, n + 1):
                j = order[r]
                for i in range(n):
                    S[j, i] = S[b, i] + params.sigma * (S[j, i] - S[b, i])
                F[j] = value(oracle, S[j])
            state[0] += 1.0
    if op == SHRINK:
        _sort(F, order)
    else:  # the new vertex goes after every vertex with f <= its f (Lagarias et al.)
        key = _rank(F[w])
        p = n - 1
        while p >= 0 and _rank(F[order[p]]) > key:
            order[p + 1] = order[p]
            p -= 1
        order[p + 1] = w
    b = order[0]
    moved = 0.0
    if b != state[1]:  # a new best vertex
        state[1] = b
        for i in range(n):
            d = S[b, i] - x[i]
            moved += d * d
            x[i] = S[b, i]
    fb = F[b]
    size = 0.0
    f_spread = 0.0
    for r in range(1, n + 1):
        j = order[r]
        for i in range(n):
            size = max(size, abs(S[j, i] - S[b, i]))
        d = abs(F[j] - fb)
        if not d <= f_spread:  # a NaN counts as an infinite spread
            f_spread = d if d == d else math.inf
    extras[0] = size
    extras[1] = f_spread
    extras[2] = op
    extras[3] = state[0]
    reason = SIMPLEX_TOL if size <= params.xatol and f_spread <= params.fatol else RUNNING
    return fb, math.sqrt(moved), reason


@jit
def nelder_mead(oracle, x0, adaptive, xatol, fatol, perturb, zero_perturb, control):
    """The Nelder-Mead simplex method (Lagarias et al. 1998 conventions; see the module).

    Each iteration replaces the worst vertex of the simplex by a point on the line through it
    and the centroid of the others (reflection ``xbar + rho (xbar - x_w)``, expansion,
    outside or inside contraction), or shrinks the simplex towards its best vertex. The
    start simplex is scipy's: x0 and, for each i, x0 with x0_i scaled by ``1 + perturb``
    (``zero_perturb`` where x0_i = 0). ``adaptive`` takes Gao & Han's coefficients for
    dimension n (for n >= 2), else 1, 2, 1/2, 1/2.

    Converges (status ``converged``) by scipy's simplex test, after each iteration: every
    vertex within ``xatol`` of the best one in every coordinate, and every f within
    ``fatol`` of the best f. The gradient-norm tests are off. Only f is evaluated (``nfev``;
    n + 1 for the start simplex, 1 to 2 per iteration, n more per shrink). The iterate of
    row k is the best vertex after iteration k (row 0: x0, f(x0)); ``step`` is how far the
    best vertex moved; ``grad_norm`` is ||grad f|| at the best vertex for the table only,
    evaluated by the loop at the rows the table keeps, uncounted and untimed
    (:func:`._loop.drive_without_g`).
    Extra columns: ``size`` = max_j ||x_j - x_1||_inf and ``f_spread`` = max_j |f_j - f_1|
    (the two sides of the simplex test),
    ``operation`` (1 reflect, 2 expand, 3 contract outside, 4 contract inside, 5 shrink),
    ``shrinks`` (so far). Called like :func:`optbench.solvers.gd`::

        x, history, reason, k = nelder_mead(problem.oracle, x0, False, 1e-4, 1e-4, 0.05,
                                            0.00025, control)

    Reference: Lagarias, Reeds, Wright & Wright, SIAM J. Optim. 9(1) (1998), section 2;
    Gao & Han, Comput. Optim. Appl. 51 (2012), section 4 (adaptive coefficients).
    """
    n = x0.shape[0]
    if adaptive:
        rho, chi, psi, sigma = 1.0, 1.0 + 2.0 / n, 0.75 - 1.0 / (2.0 * n), 1.0 - 1.0 / n
    else:
        rho, chi, psi, sigma = 1.0, 2.0, 0.5, 0.5
    params = Simplex(rho, chi, psi, sigma, xatol, fatol, perturb, zero_perturb)
    return drive_without_g(oracle, x0, params, _nelder_mead_init, _nelder_mead_step, 4,
                           without_grad_test(control))


# -- registration -------------------------------------------------------------------------------
_PARAMS = (
    Param("adaptive", False, bool, "Gao & Han's coefficients for the dimension n (n >= 2)"),
    Param("xatol", 1e-4, float, "simplex test: every vertex within xatol of the best, in "
          "every coordinate", low=0.0),
    Param("fatol", 1e-4, float, "simplex test: every f within fatol of the best f", low=0.0),
    Param("perturb", 0.05, float, "start simplex: x0 with x0_i scaled by 1 + perturb",
          low=0.0, strict=True),
    Param("zero_perturb", 0.00025, float, "start simplex: the value of a zero x0_i", low=0.0,
          strict=True),
)
_COLUMNS = ("size", "f_spread", "operation", "shrinks")


def _prepare(problem, values) -> Plan:
    """Refuses adaptive=true in one dimension (its shrink factor 1 - 1/n is 0 there)."""
    if values["adaptive"] and problem.dim < 2:
        raise IncompatibleError(
            f"adaptive=true needs dimension >= 2 (Gao & Han's shrink factor 1 - 1/n is 0 at "
            f"n = 1); problem {problem.name!r} has dimension {problem.dim}; use adaptive=false "
            "(parameter adaptive of solver 'nelder-mead')")
    return Plan(nelder_mead, tuple(values[p.name] for p in _PARAMS), _COLUMNS)


register_solver(Solver(
    name="nelder-mead", entry=nelder_mead, params=_PARAMS, family="direct-search",
    summary="Nelder-Mead simplex method, f only (reflect, expand, contract, shrink)",
    formula="x_w <- xbar + t (xbar - x_w), t in {rho, rho chi, psi rho, -psi}, or shrink "
            "x_j <- x_1 + sigma (x_j - x_1)",
    reference="Lagarias, Reeds, Wright & Wright, SIAM J. Optim. 9 (1998) 112-147, section 2; "
              "Gao & Han, Comput. Optim. Appl. 51 (2012) 259-277 (adaptive)",
    needs=frozenset(), columns=_COLUMNS, prepare=_prepare,
    table_point="x_k, the best vertex; f: the method's; grad_norm: the loop's, at the rows "
                "the table keeps, uncounted and untimed",
))
