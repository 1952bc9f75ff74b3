"""Trust-region Newton: one radius rule, four ways to solve the subproblem.

Each iteration minimizes the quadratic model of f around x inside a ball,

    m(p) = f + g'p + 1/2 p'Hp,   ||p|| <= Delta      (g, H: gradient and Hessian at x)

then compares the actual with the predicted reduction,
``rho = (f(x) - f(x + p)) / (m(0) - m(p))``
(Nocedal & Wright, Algorithm 4.1): the step is taken when ``rho > eta``; the radius shrinks
to ``Delta / 4`` when ``rho < 1/4`` and doubles (up to ``max_radius``) when ``rho > 3/4`` and
the step reached the boundary. A rejected step leaves x where it was and still counts as an
iteration (the row repeats f and the gradient, ``step`` is 0): the next iteration solves the
same model in the smaller ball, with no new Hessian (the run's ``ftol`` test, off by default,
sees a rejection as no decrease). The subproblem solvers, all public and compiled:

- :func:`cauchy_point`: the model's minimizer along -g inside the ball (N&W 4.1);
- :func:`dogleg`: the path 0 -> Cauchy point of the unconstrained model -> Newton step;
  needs a positive definite H and falls back to the Cauchy point otherwise (N&W 4.1);
- :func:`steihaug`: truncated CG from p = 0, to the boundary at negative curvature (N&W
  Algorithm 7.2); its products H d use the Hessian matrix (the oracle has no Hessian-vector
  product), so it costs what a matrix costs;
- :func:`more_sorensen`: the nearly exact solution (H + lambda I) p = -g, lambda >= 0,
  by Cholesky factorizations and a safeguarded Newton iteration on lambda, the hard case
  included (N&W 4.3; Moré & Sorensen 1983).

``trust-sr1`` runs the same loop on a symmetric-rank-one model B in place of the Hessian
(quasi-Newton, gradient only; :func:`trust_sr1`).

The radius ending below the rounding level of x (``Delta < eps max(1, ||x||)``) stops the
run with status ``precision_limit`` (code ``RADIUS_COLLAPSED``), never ``converged``.
"""

from __future__ import annotations

import math
import sys

import numpy as np

from .._jit import jit
from ..errors import InvalidValueError
from ..kernels import dot, norm2, sumsq
from ..oracle import gradient, hessian, value, value_and_grad
from ..params import Param
from ..registry import Plan, Solver, register_solver
from ..status import GRAD_TOL, MODEL_NOT_FINITE, RADIUS_COLLAPSED, RUNNING
from ._loop import drive
from .newton import cholesky_solve, shifted_cholesky

__all__ = ["trust_cauchy", "trust_dogleg", "trust_steihaug", "trust_exact", "trust_sr1",
           "cauchy_point", "dogleg", "steihaug", "more_sorensen", "SUBPROBLEMS", "COLUMNS"]

_EPS = sys.float_info.epsilon
_GOLDEN = 0.6180339887498949  # spreads the entries of the inverse iteration's start vector
_INVERSE_STEPS = 3            # inverse-iteration steps per hard-case test (warm-started)
_AUTO_CG = 2                  # sub_iter = 0: at most 2n CG iterations
_AUTO_EXACT = 50              # sub_iter = 0: at most 50 factorizations

COLUMNS = ("radius", "rho", "accepted", "boundary", "sub_iters", "lambda", "fallback")


# -- small pieces ---------------------------------------------------------------------------------
@jit(inline=True)
def _matvec(H, v, out):
    """out = H v"""
    n = v.shape[0]
    for i in range(n):
        s = 0.0
        for j in range(n):
            s += H[i, j] * v[j]
        out[i] = s


@jit(inline=True)
def _boundary_roots(z, d, delta):
    """(tau_lo, tau_hi): the roots of ||z + tau d|| = delta (||z|| <= delta, d != 0)."""
    dd = sumsq(d)
    zd = dot(z, d)
    c = sumsq(z) - delta * delta
    disc = math.sqrt(max(zd * zd - dd * c, 0.0))
    q = -(zd + math.copysign(disc, zd))  # the root of larger magnitude is q / dd
    if q == 0.0:
        return 0.0, 0.0
    a = q / dd
    b = c / q
    return min(a, b), max(a, b)


# -- the subproblem solvers -----------------------------------------------------------------------
@jit(inline=True)
def cauchy_point(g, H, delta, p, Hg):
    """p = -tau (delta / ||g||) g, tau = 1 if g'Hg <= 0 else min(||g||^3 / (delta g'Hg), 1).

    The minimizer of the model along -g inside the ball (Hg: scratch). Returns whether p is
    on the boundary (tau = 1). Reference: Nocedal & Wright (2006), (4.11)-(4.12).
    """
    gn = norm2(g)
    n = g.shape[0]
    if gn == 0.0:
        for i in range(n):
            p[i] = 0.0
        return False
    _matvec(H, g, Hg)
    gHg = dot(g, Hg)
    tau = 1.0
    if gHg > 0.0:
        tau = min((gn * gn / gHg) * (gn / delta), 1.0)
    scale = -tau * delta / gn
    for i in range(n):
        p[i] = scale * g[i]
    return tau >= 1.0


@jit(inline=True)
def dogleg(g, H, delta, p, C, pB, Hg):
    """p on the path 0 -> pU = -(g'g / g'Hg) g -> pB = -H^{-1} g, cut at ||p|| = delta.

    Needs H positive definite (a Cholesky factorization into C succeeds); otherwise p is the
    Cauchy point. Returns ``(boundary, fallback)``: whether p is on the boundary, and whether
    the Cauchy point replaced the dogleg. Reference: Nocedal & Wright (2006), 4.1, (4.16).
    """
    n = g.shape[0]
    if not shifted_cholesky(H, 0.0, C):
        return cauchy_point(g, H, delta, p, Hg), True
    cholesky_solve(C, g, pB)
    for i in range(n):
        pB[i] = -pB[i]
    if sumsq(pB) <= delta * delta:  # the Newton step is inside: take it
        for i in range(n):
            p[i] = pB[i]
        return False, False
    _matvec(H, g, Hg)
    gg = sumsq(g)
    a = gg / dot(g, Hg)
    if a * math.sqrt(gg) >= delta:  # even pU leaves the ball: the Cauchy point, on -g
        scale = -delta / math.sqrt(gg)
        for i in range(n):
            p[i] = scale * g[i]
        return True, False
    for i in range(n):  # p = pU, Hg = pB - pU; then p + s Hg with ||.|| = delta
        p[i] = -a * g[i]
        Hg[i] = pB[i] - p[i]
    s = _boundary_roots(p, Hg, delta)[1]
    for i in range(n):
        p[i] += s * Hg[i]
    return True, False


@jit(inline=True)
def steihaug(g, H, delta, tol, max_iter, p, r, d, Hd):
    """Steihaug-Toint CG on H p = -g from p = 0: stops at ||r|| <= tol, at the boundary, or
    at negative curvature d'Hd <= 0 (then to the boundary along d, the root that lowers m).

    r, d, Hd: scratch. Returns ``(boundary, iterations)`` (iterations: products H d).
    Reference: Nocedal & Wright (2006), Algorithm 7.2; Steihaug (1983), Toint (1981).
    """
    n = g.shape[0]
    for i in range(n):
        p[i] = 0.0
        r[i] = g[i]
        d[i] = -g[i]
    rr = sumsq(r)
    if math.sqrt(rr) <= tol:
        return False, 0
    for j in range(max_iter):
        _matvec(H, d, Hd)
        dHd = dot(d, Hd)
        if not dHd > 0.0:  # the model falls without bound along d: go to the boundary
            lo, hi = _boundary_roots(p, d, delta)
            rd = dot(r, d)  # m(p + tau d) - m(p) = tau r'd + tau^2 d'Hd / 2
            tau = lo if lo * rd + 0.5 * lo * lo * dHd < hi * rd + 0.5 * hi * hi * dHd else hi
            for i in range(n):
                p[i] += tau * d[i]
            return True, j + 1
        alpha = rr / dHd
        out = 0.0
        for i in range(n):
            t = p[i] + alpha * d[i]
            out += t * t
        if out >= delta * delta:  # the CG step leaves the ball: stop on its boundary
            tau = _boundary_roots(p, d, delta)[1]
            for i in range(n):
                p[i] += tau * d[i]
            return True, j + 1
        for i in range(n):
            p[i] += alpha * d[i]
            r[i] += alpha * Hd[i]
        rr_new = sumsq(r)
        if math.sqrt(rr_new) <= tol:
            return False, j + 1
        beta = rr_new / rr
        rr = rr_new
        for i in range(n):
            d[i] = -r[i] + beta * d[i]
    return False, max_iter


@jit(inline=True)
def _forward_solve(C, b, out):
    """out = C^{-1} b (C lower triangular)"""
    n = C.shape[0]
    for i in range(n):
        s = b[i]
        for k in range(i):
            s -= C[i, k] * out[k]
        out[i] = s / C[i, i]


@jit(inline=True)
def _smallest_eigvec(C, z, w, warm):
    """z <- unit approximation of the eigenvector of the smallest eigenvalue of C C' by
    inverse iteration (from z when ``warm``, else from a fixed spread vector); w: scratch."""
    n = z.shape[0]
    if not warm:
        for i in range(n):
            t = (i + 1) * _GOLDEN
            z[i] = 0.5 + (t - math.floor(t))
    for _ in range(_INVERSE_STEPS):
        cholesky_solve(C, z, w)
        wn = norm2(w)
        if not (wn > 0.0 and wn < math.inf):
            break
        for i in range(n):
            z[i] = w[i] / wn


@jit(inline=True)
def more_sorensen(g, H, delta, sigma, max_iter, p, C, w, z, best):
    """Nearly exact: p = -(H + lambda I)^{-1} g, H + lambda I positive definite (Cholesky into
    C), lambda = 0 and ||p|| <= delta, or | ||p|| - delta | <= sigma delta.

    lambda by Newton's method on 1/delta - 1/||p(lambda)||, kept inside bounds [lo, hi]
    (lo from min H_ii, ||g|| / delta - ||H||, failed factorizations and the Rayleigh quotient
    of z below; hi from ||g|| / delta + ||H|| and steps inside the ball), with the geometric
    mean when Newton leaves them. The hard case (g nearly orthogonal to the eigenvector of
    the smallest eigenvalue, ||p|| < delta at every admissible lambda): with z the unit
    eigenvector estimate of H + lambda I (inverse iteration on C) and tau the smaller root of
    ||p + tau z|| = delta, p + tau z is returned once
    ``tau^2 z'(H + lambda I)z <= sigma (2 - sigma) (p'(H + lambda I)p + lambda delta^2)``
    (Moré & Sorensen 1983, section 3). w, z, best: scratch. Stopped without meeting these
    tests (``max_iter`` factorizations, or bounds that cross), it returns the last
    admissible p inside the ball, else the Cauchy point, with ``fallback`` True. Returns
    ``(boundary, factorizations, lambda, fallback)``.

    Reference: Nocedal & Wright (2006), Algorithm 4.3 and 4.3's hard case; Moré & Sorensen,
    SIAM J. Sci. Stat. Comput. 4 (1983).
    """
    n = g.shape[0]
    gn = norm2(g)
    h_norm = 0.0
    min_diag = math.inf
    for i in range(n):
        s = 0.0
        for j in range(n):
            s += abs(H[i, j])
        h_norm = max(h_norm, s)
        min_diag = min(min_diag, H[i, i])
    lo = max(0.0, -min_diag, gn / delta - h_norm)
    hi = max(0.0, gn / delta + h_norm)
    lam = 0.0 if lo == 0.0 else max(1e-3 * hi, math.sqrt(lo * hi))
    warm = False
    have_best = False
    best_lam = math.nan
    for it in range(1, max_iter + 1):
        if not shifted_cholesky(H, lam, C):  # lam <= -(smallest eigenvalue of H)
            lo = max(lo, lam)
            if not hi > lo:
                break
            lam = max(1e-3 * hi, math.sqrt(lo * hi), lo + _EPS * max(lo, 1.0))
            continue
        cholesky_solve(C, g, p)
        for i in range(n):
            p[i] = -p[i]
        pn = norm2(p)
        if lam == 0.0 and pn <= delta:  # the Newton step is inside the ball
            return False, it, 0.0, False
        if abs(pn - delta) <= sigma * delta:
            return True, it, lam, False
        if pn < delta:  # lam too large, or the hard case
            hi = min(hi, lam)
            for i in range(n):
                best[i] = p[i]
            have_best = True
            best_lam = lam
            _smallest_eigvec(C, z, w, warm)
            warm = True
            _matvec(H, z, w)
            zAz = dot(z, w) + lam
            lo = max(lo, lam - zAz)
            pz = dot(p, z)
            disc = math.sqrt(max(pz * pz + delta * delta - pn * pn, 0.0))
            q = -(pz + math.copysign(disc, pz))
            tau = (pn * pn - delta * delta) / q if q != 0.0 else 0.0  # the smaller root
            pAp = -dot(g, p)  # p'(H + lam I)p, as (H + lam I)p = -g
            if tau * tau * zAz <= sigma * (2.0 - sigma) * (pAp + lam * delta * delta):
                for i in range(n):
                    p[i] += tau * z[i]
                return True, it, lam, False
        else:
            lo = max(lo, lam)
        _forward_solve(C, p, w)
        wn2 = sumsq(w)
        lam_new = lam + (pn * pn / wn2) * ((pn - delta) / delta) if wn2 > 0.0 else math.nan
        if lam_new > lo and lam_new < hi:
            lam = lam_new
        elif hi > lo:
            lam = max(1e-3 * hi, math.sqrt(lo * hi), lo + _EPS * max(lo, 1.0))
        else:
            break
    if have_best:
        for i in range(n):
            p[i] = best[i]
        return False, max_iter, best_lam, True
    return cauchy_point(g, H, delta, p, w), max_iter, math.nan, True


# -- the subproblem kernels: one signature for the shared step ---------------------------------
@jit(inline=True)
def _sub_cauchy(g, H, delta, sub_tol, sub_iter, work):
    """p = the Cauchy point"""
    p, scratch = work[2], work[4]
    return cauchy_point(g, H, delta, p, scratch), 0, math.nan, False


@jit(inline=True)
def _sub_dogleg(g, H, delta, sub_tol, sub_iter, work):
    """p = the dogleg step (the Cauchy point when H is not positive definite)"""
    C, p, pB, scratch = work[1], work[2], work[4], work[5]
    boundary, fallback = dogleg(g, H, delta, p, C, pB, scratch)
    return boundary, 1, math.nan, fallback


@jit(inline=True)
def _sub_steihaug(g, H, delta, sub_tol, sub_iter, work):
    """p from Steihaug CG to ||r|| <= min(sub_tol, sqrt||g||) ||g||"""
    p, r, d, Hd = work[2], work[4], work[5], work[6]
    gn = norm2(g)
    limit = sub_iter if sub_iter > 0 else _AUTO_CG * g.shape[0]
    boundary, iters = steihaug(g, H, delta, min(sub_tol, math.sqrt(gn)) * gn, limit, p, r, d,
                               Hd)
    return boundary, iters, math.nan, False


@jit(inline=True)
def _sub_exact(g, H, delta, sub_tol, sub_iter, work):
    """p from Moré-Sorensen to | ||p|| - delta | <= sub_tol delta"""
    C, p, w, z, best = work[1], work[2], work[4], work[5], work[6]
    limit = sub_iter if sub_iter > 0 else _AUTO_EXACT
    return more_sorensen(g, H, delta, sub_tol, limit, p, C, w, z, best)


# -- the shared iteration -------------------------------------------------------------------------
@jit(inline=True)
def _tr_init(oracle, x, g, params):
    """work: H, C (n x n), p, x_new, three scratch vectors; state = [radius, H current]"""
    n = x.shape[0]
    state = np.zeros(2)
    state[0] = params[0]
    return (np.empty((n, n)), np.empty((n, n)), np.empty(n), np.empty(n), np.empty(n),
            np.empty(n), np.empty(n), state), value_and_grad(oracle, x, g)


@jit(inline=True)
def _predicted(g, H, p, Hp):
    """-m(p) = -(g'p + p'Hp / 2); Hp <- H p"""
    _matvec(H, p, Hp)
    pred = 0.0
    for i in range(p.shape[0]):
        pred -= p[i] * (g[i] + 0.5 * Hp[i])
    return pred


@jit(inline=True)
def _new_radius(delta, rho, boundary, max_radius):
    """Delta / 4 if rho < 1/4 (or NaN), min(2 Delta, max_radius) if rho > 3/4 and the step
    reached the boundary, else Delta (N&W Algorithm 4.1)"""
    if not rho >= 0.25:
        return 0.25 * delta
    if rho > 0.75 and boundary:
        return min(2.0 * delta, max_radius)
    return delta


@jit(inline=True)
def _record(extras, delta, rho, accepted, boundary, iters, lam, fallback):
    """the extra columns, in the order of COLUMNS"""
    extras[0] = delta
    extras[1] = rho
    extras[2] = 1.0 if accepted else 0.0
    extras[3] = 1.0 if boundary else 0.0
    extras[4] = iters
    extras[5] = lam
    extras[6] = 1.0 if fallback else 0.0


@jit(inline=True)
def _tr_step(oracle, x, g, fx, work, params, extras, solve):
    """p ~ argmin g'p + p'Hp/2 over ||p|| <= Delta; x <- x + p if rho > eta; Delta by N&W 4.1"""
    H, p, x_new, Hp, state = work[0], work[2], work[3], work[6], work[7]
    _, max_radius, eta, sub_tol, sub_iter = params
    n = x.shape[0]
    delta = state[0]
    if delta < _EPS * max(1.0, norm2(x)):
        return fx, math.nan, RADIUS_COLLAPSED
    if state[1] == 0.0:  # a new point: its Hessian (a rejected step keeps the old one)
        hessian(oracle, x, H)
        state[1] = 1.0
    boundary, iters, lam, fallback = solve(g, H, delta, sub_tol, sub_iter, work)
    pred = _predicted(g, H, p, Hp)
    if not np.isfinite(pred):
        return fx, math.nan, MODEL_NOT_FINITE
    f_new = fx
    rho = math.nan  # no decrease predicted (rounding): a rejected step
    if pred > 0.0:
        for i in range(n):
            x_new[i] = x[i] + p[i]
        f_new = value(oracle, x_new)
        rho = (fx - f_new) / pred
    elif sumsq(g) == 0.0:  # stationary, and the model predicts no decrease
        _record(extras, delta, rho, False, boundary, iters, lam, fallback)
        return fx, 0.0, GRAD_TOL
    state[0] = _new_radius(delta, rho, boundary, max_radius)
    accepted = rho > eta
    _record(extras, delta, rho, accepted, boundary, iters, lam, fallback)
    if not accepted:
        return fx, 0.0, RUNNING
    for i in range(n):
        x[i] = x_new[i]
    gradient(oracle, x, g)
    state[1] = 0.0
    return f_new, norm2(p), RUNNING


@jit(inline=True)
def _step_cauchy(oracle, x, g, fx, work, params, k, extras):
    """the trust-region step with the Cauchy point"""
    return _tr_step(oracle, x, g, fx, work, params, extras, _sub_cauchy)


@jit(inline=True)
def _step_dogleg(oracle, x, g, fx, work, params, k, extras):
    """the trust-region step with the dogleg"""
    return _tr_step(oracle, x, g, fx, work, params, extras, _sub_dogleg)


@jit(inline=True)
def _step_steihaug(oracle, x, g, fx, work, params, k, extras):
    """the trust-region step with Steihaug CG"""
    return _tr_step(oracle, x, g, fx, work, params, extras, _sub_steihaug)


@jit(inline=True)
def _step_exact(oracle, x, g, fx, work, params, k, extras):
    """the trust-region step with Moré-Sorensen"""
    return _tr_step(oracle, x, g, fx, work, params, extras, _sub_exact)


# -- SR1 model (quasi-Newton): the same radius rule, no Hessian -----------------------------------
SR1_SKIP = 1e-8  # skip the update when |s'(y - Bs)| < SR1_SKIP ||s|| ||y - Bs|| (N&W (6.26))


@jit(inline=True)
def _sr1_init(oracle, x, g, params):
    """work as _tr_init with B = I in place of H, then g_new, v = y - B s"""
    n = x.shape[0]
    state = np.zeros(2)
    state[0] = params[0]
    B = np.zeros((n, n))
    for i in range(n):
        B[i, i] = 1.0
    return (B, np.empty((n, n)), np.empty(n), np.empty(n), np.empty(n), np.empty(n),
            np.empty(n), state, np.empty(n), np.empty(n)), value_and_grad(oracle, x, g)


@jit(inline=True)
def _sr1_step(oracle, x, g, fx, work, params, k, extras):
    """p by Steihaug CG on B; f, g at x + p; B <- B + v v' / (v's), v = y - B s, s = p;
    x <- x + p if rho > eta; Delta by N&W 4.1"""
    B, p, x_new, Bp, state, g_new, v = work[0], work[2], work[3], work[6], work[7], work[8], \
        work[9]
    _, max_radius, eta, sub_tol, sub_iter = params
    n = x.shape[0]
    delta = state[0]
    if delta < _EPS * max(1.0, norm2(x)):
        return fx, math.nan, RADIUS_COLLAPSED
    boundary, iters, lam, fallback = _sub_steihaug(g, B, delta, sub_tol, sub_iter, work)
    pred = _predicted(g, B, p, Bp)
    if not np.isfinite(pred):
        return fx, math.nan, MODEL_NOT_FINITE
    if not pred > 0.0:
        if sumsq(g) == 0.0:  # stationary, and the model predicts no decrease
            _record(extras, delta, math.nan, False, boundary, iters, lam, fallback)
            return fx, 0.0, GRAD_TOL
        state[0] = _new_radius(delta, math.nan, boundary, max_radius)
        _record(extras, delta, math.nan, False, boundary, iters, lam, fallback)
        return fx, 0.0, RUNNING
    for i in range(n):
        x_new[i] = x[i] + p[i]
    f_new = value_and_grad(oracle, x_new, g_new)
    rho = (fx - f_new) / pred
    vs = 0.0  # SR1 with s = p, y = g_new - g: v = y - B s
    vv = 0.0
    for i in range(n):
        v[i] = g_new[i] - g[i] - Bp[i]
        vs += v[i] * p[i]
        vv += v[i] * v[i]
    if abs(vs) >= SR1_SKIP * norm2(p) * math.sqrt(vv) and vs != 0.0 and np.isfinite(vs):
        for i in range(n):
            for j in range(n):
                B[i, j] += v[i] * v[j] / vs
    state[0] = _new_radius(delta, rho, boundary, max_radius)
    accepted = rho > eta
    _record(extras, delta, rho, accepted, boundary, iters, lam, fallback)
    if not accepted:
        return fx, 0.0, RUNNING
    for i in range(n):
        x[i] = x_new[i]
        g[i] = g_new[i]
    return f_new, norm2(p), RUNNING


@jit
def trust_sr1(oracle, x0, radius, max_radius, eta, sub_tol, sub_iter, control):
    """Trust-region SR1 (quasi-Newton): the loop of :func:`trust_steihaug` with the Hessian
    replaced by the symmetric-rank-one model ``B`` (``B_0 = I``), updated after every step,
    taken or not, with ``s = p_k``, ``y = grad f(x_k + p_k) - g_k``, ``v = y - B s``::

        B <- B + v v' / (v's)      unless |v's| < 1e-8 ||s|| ||v||   (N&W (6.24), (6.26))

    p_k by Steihaug CG on B (which may be indefinite: SR1 need not keep it positive
    definite, the trust region handles that). Needs only the gradient: each iteration
    evaluates f and the gradient once, at x_k + p_k. The radius rule is Algorithm 4.1's
    (N&W's Algorithm 6.2 uses slightly different factors). Same arguments and columns as
    :func:`trust_steihaug`.

    Reference: Nocedal & Wright, *Numerical Optimization* (2006), 6.2, Algorithm 6.2;
    Conn, Gould & Toint, Math. Programming 50 (1991).
    """
    return drive(oracle, x0, (radius, max_radius, eta, sub_tol, sub_iter), _sr1_init,
                 _sr1_step, len(COLUMNS), control)


@jit
def trust_steihaug(oracle, x0, radius, max_radius, eta, sub_tol, sub_iter, control):
    """Trust-region Newton with Steihaug-Toint truncated CG (``trust-ncg``).

    ``p_k ~ argmin g'p + 1/2 p'H p over ||p|| <= Delta_k``,
    ``rho_k = (f(x_k) - f(x_k + p_k)) / (-g'p_k - 1/2 p_k'H p_k)``;
    ``x_{k+1} = x_k + p_k`` if ``rho_k > eta``, else ``x_k``;
    ``Delta_{k+1} = Delta_k / 4`` if ``rho_k < 1/4``, ``min(2 Delta_k, max_radius)`` if
    ``rho_k > 3/4`` and ``p_k`` is on the boundary, else ``Delta_k`` (N&W Algorithm 4.1).

    Here p_k is CG on H p = -g from p = 0 (:func:`steihaug`), stopped at
    ``||r|| <= min(sub_tol, sqrt||g||) ||g||`` (superlinear convergence), on the boundary, or
    at negative curvature (then on the boundary along it), after at most ``sub_iter``
    iterations (0: 2n). Products H d use the Hessian matrix: the oracle has no
    Hessian-vector product. The other subproblems share this loop: :func:`trust_cauchy`,
    :func:`trust_dogleg`, :func:`trust_exact` (same arguments). Extra columns: ``radius``
    (Delta_k of the step), ``rho``, ``accepted``, ``boundary``, ``sub_iters``, ``lambda``,
    ``fallback``. A rejected step is an iteration that leaves x (``step`` 0); a radius below
    ``eps max(1, ||x||)`` ends the run with status ``precision_limit``.

    Compiled; callable from your own ``@njit`` code::

        x, history, reason, k = trust_steihaug(problem.oracle, x0, 1.0, 1000.0, 0.15, 0.5,
                                               0, control)

    Reference: Nocedal & Wright, *Numerical Optimization* (2006), Algorithms 4.1 and 7.2;
    Steihaug, SIAM J. Numer. Anal. 20 (1983).
    """
    return drive(oracle, x0, (radius, max_radius, eta, sub_tol, sub_iter), _tr_init,
                 _step_steihaug, len(COLUMNS), control)


@jit
def trust_cauchy(oracle, x0, radius, max_radius, eta, sub_tol, sub_iter, control):
    """Trust region with the Cauchy point: p_k = -tau (Delta_k / ||g||) g (:func:`cauchy_point`),
    the radius rule of :func:`trust_steihaug`. Steepest descent with a model-chosen step:
    linear convergence. ``sub_tol`` and ``sub_iter`` are not used.

    Reference: Nocedal & Wright, *Numerical Optimization* (2006), 4.1, (4.11)-(4.12).
    """
    return drive(oracle, x0, (radius, max_radius, eta, sub_tol, sub_iter), _tr_init,
                 _step_cauchy, len(COLUMNS), control)


@jit
def trust_dogleg(oracle, x0, radius, max_radius, eta, sub_tol, sub_iter, control):
    """Trust-region Newton with the dogleg: p_k on 0 -> -(g'g / g'Hg) g -> -H^{-1} g, cut at
    the boundary (:func:`dogleg`), the radius rule of :func:`trust_steihaug`. Where H is not
    positive definite p_k is the Cauchy point instead (``fallback`` = 1 in that row).
    ``sub_tol`` and ``sub_iter`` are not used.

    Reference: Nocedal & Wright, *Numerical Optimization* (2006), 4.1, (4.16).
    """
    return drive(oracle, x0, (radius, max_radius, eta, sub_tol, sub_iter), _tr_init,
                 _step_dogleg, len(COLUMNS), control)


@jit
def trust_exact(oracle, x0, radius, max_radius, eta, sub_tol, sub_iter, control):
    """Trust-region Newton, nearly exact subproblem: p_k = -(H + lambda I)^{-1} g with
    lambda >= 0, H + lambda I positive definite, lambda = 0 inside the ball or
    | ||p_k|| - Delta_k | <= sub_tol Delta_k (:func:`more_sorensen`, at most ``sub_iter``
    factorizations, 0: 50), the hard case by a step along the eigenvector of the smallest
    eigenvalue; the radius rule of :func:`trust_steihaug`. ``lambda`` is recorded.

    Reference: Nocedal & Wright, *Numerical Optimization* (2006), Algorithm 4.3 and section 4.3
    (the hard case);
    Moré & Sorensen, SIAM J. Sci. Stat. Comput. 4 (1983).
    """
    return drive(oracle, x0, (radius, max_radius, eta, sub_tol, sub_iter), _tr_init,
                 _step_exact, len(COLUMNS), control)


# subproblem -> compiled entry
SUBPROBLEMS = {"cauchy": trust_cauchy, "dogleg": trust_dogleg, "steihaug": trust_steihaug,
               "exact": trust_exact}


# -- registration -------------------------------------------------------------------------------
_PARAMS = (
    Param("subproblem", "steihaug", str, "how the model is minimized in the ball",
          choices=tuple(SUBPROBLEMS)),
    Param("radius", 1.0, float, "initial trust radius Delta_0", low=0.0, strict=True),
    Param("max_radius", 1000.0, float, "largest trust radius", low=0.0, strict=True),
    Param("eta", 0.15, float, "a step is taken when rho > eta (0 <= eta < 1/4)", low=0.0,
          high=0.25),
    Param("sub_tol", 0.5, float, "steihaug: stop CG at ||r|| <= min(sub_tol, sqrt||g||) ||g||; "
          "exact: | ||p|| - Delta | <= sub_tol Delta", low=0.0, strict=True, high=0.5),
    Param("sub_iter", 0, int, "subproblem iterations at most (0: 2n CG iterations, 50 "
          "factorizations)", low=0),
)
_NAMES = tuple(p.name for p in _PARAMS[1:])


def _prepare(problem, values):
    """The compiled entry of the subproblem; radius <= max_radius and eta < 1/4 checked."""
    if values["radius"] > values["max_radius"]:
        raise InvalidValueError(
            f"the initial trust radius must not exceed the largest; got radius="
            f"{values['radius']!r}, max_radius={values['max_radius']!r} (parameters radius and "
            "max_radius)")
    if not values["eta"] < 0.25:
        raise InvalidValueError(f"parameter 'eta' of the trust-region solvers must be < 1/4 "
                                f"(a step with rho in [1/4, eta] would be refused without "
                                f"shrinking the radius); got {values['eta']!r}")
    return Plan(SUBPROBLEMS[values["subproblem"]], tuple(values[n] for n in _NAMES), COLUMNS)


_TRUST = register_solver(Solver(
    name="trust-region", entry=trust_steihaug, params=_PARAMS, family="trust-region",
    needs=frozenset({"grad", "hess"}), columns=COLUMNS, prepare=_prepare,
    summary="trust-region Newton (N&W Algorithm 4.1); subproblem cauchy, dogleg, steihaug or "
            "exact",
    formula="p_k ~ argmin_{||p|| <= Delta_k} g'p + p'Hp/2; x_{k+1} = x_k + p_k if rho_k > eta",
    reference="Nocedal & Wright, Numerical Optimization (2006), Algorithm 4.1, 4.3, 7.2",
))
for _name, _sub, _tol, _summary in (
        ("trust-cauchy", "cauchy", 0.5, "trust region with the Cauchy point"),
        ("trust-dogleg", "dogleg", 0.5, "trust-region Newton with the dogleg (Cauchy point "
                                        "where H is not positive definite)"),
        ("trust-ncg", "steihaug", 0.5, "trust-region Newton with Steihaug-Toint truncated CG"),
        ("trust-exact", "exact", 0.1, "trust-region Newton, nearly exact subproblem "
                                      "(Moré-Sorensen)")):
    register_solver(_TRUST.with_defaults(_name, _summary, subproblem=_sub, sub_tol=_tol))

_SR1_PARAMS = tuple(p for p in _PARAMS if p.name != "subproblem")


def _prepare_sr1(problem, values):
    """trust_sr1 with the checks of the trust-region solvers."""
    _prepare(problem, {**values, "subproblem": "steihaug"})
    return Plan(trust_sr1, tuple(values[n] for n in _NAMES), COLUMNS)


register_solver(Solver(
    name="trust-sr1", entry=trust_sr1, params=_SR1_PARAMS, family="trust-region",
    needs=frozenset({"grad"}), columns=COLUMNS, prepare=_prepare_sr1,
    summary="trust-region quasi-Newton: SR1 model, Steihaug-Toint CG subproblem",
    formula="p_k ~ argmin_{||p|| <= Delta_k} g'p + p'B_k p/2; B_{k+1} = B_k + v v'/(v's), "
            "v = y - B_k s",
    reference="Nocedal & Wright, Numerical Optimization (2006), 6.2 and Algorithm 4.1",
))
