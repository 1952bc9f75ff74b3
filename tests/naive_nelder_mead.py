"""Nelder-Mead in plain NumPy, transcribed from Lagarias, Reeds, Wright & Wright, SIAM J.
Optim. 9 (1998), section 2 (never used by optbench): the reference the compiled method's
simplex sequence is compared with.

The simplex is kept as an array of vertices sorted by f (best first). Ties: an accepted
point is placed after every vertex with f <= its f; after a shrink the vertices are re-sorted
stably (the best first among equals), the 1998 paper's ordering rules.
"""

import numpy as np

OPERATIONS = {"reflect": 1, "expand": 2, "contract_outside": 3, "contract_inside": 4,
              "shrink": 5}


def coefficients(n, adaptive=False):
    """(rho, chi, psi, sigma): the standard ones, or Gao & Han's (2012) for dimension n."""
    if adaptive:
        return 1.0, 1.0 + 2.0 / n, 0.75 - 1.0 / (2.0 * n), 1.0 - 1.0 / n
    return 1.0, 2.0, 0.5, 0.5


def initial_simplex(x0, perturb=0.05, zero_perturb=0.00025):
    """x0 and, for each i, x0 with x_i scaled by 1 + perturb (zero_perturb where x_i = 0)."""
    x0 = np.asarray(x0, dtype=float)
    vertices = [x0.copy()]
    for i in range(x0.size):
        v = x0.copy()
        v[i] = (1.0 + perturb) * v[i] if v[i] != 0.0 else zero_perturb
        vertices.append(v)
    return np.array(vertices)


def _insert(sim, fs, point, fp):
    """Drop the worst vertex; insert ``point`` after every vertex with f <= fp."""
    sim, fs = sim[:-1], fs[:-1]
    pos = int(np.searchsorted(fs, fp, side="right"))
    return np.insert(sim, pos, point, axis=0), np.insert(fs, pos, fp)


def nelder_mead(f, x0, iterations, adaptive=False, perturb=0.05, zero_perturb=0.00025):
    """``iterations`` Nelder-Mead iterations from scipy's start simplex around x0.

    Returns a list of dicts, one per state (the sorted start simplex first): ``sim`` (n + 1
    vertices, best first), ``f`` (their values), ``op`` (the operation that led there, an
    ``OPERATIONS`` code; None for the start), ``nfev`` (evaluations so far)."""
    rho, chi, psi, sigma = coefficients(np.size(x0), adaptive)
    sim = initial_simplex(x0, perturb, zero_perturb)
    fs = np.array([f(v) for v in sim])
    nfev = len(fs)
    order = np.argsort(fs, kind="stable")
    sim, fs = sim[order], fs[order]
    states = [dict(sim=sim.copy(), f=fs.copy(), op=None, nfev=nfev)]
    for _ in range(iterations):
        worst = sim[-1]
        xbar = sim[:-1].mean(axis=0)
        xr = xbar + rho * (xbar - worst)
        fr = f(xr)
        nfev += 1
        shrink = False
        if fs[0] <= fr < fs[-2]:
            op, point, fp = "reflect", xr, fr
        elif fr < fs[0]:
            xe = xbar + rho * chi * (xbar - worst)
            fe = f(xe)
            nfev += 1
            op, point, fp = ("expand", xe, fe) if fe < fr else ("reflect", xr, fr)
        elif fr < fs[-1]:  # f_n <= f_r < f_{n+1}
            xc = xbar + psi * rho * (xbar - worst)
            fc = f(xc)
            nfev += 1
            op, point, fp = "contract_outside", xc, fc
            shrink = not fc <= fr
        else:
            xcc = xbar - psi * (xbar - worst)
            fcc = f(xcc)
            nfev += 1
            op, point, fp = "contract_inside", xcc, fcc
            shrink = not fcc < fs[-1]
        if shrink:
            op = "shrink"
            sim = np.vstack([sim[:1], sim[0] + sigma * (sim[1:] - sim[0])])
            fs = np.concatenate([fs[:1], [f(v) for v in sim[1:]]])
            nfev += len(sim) - 1
            order = np.argsort(fs, kind="stable")
            sim, fs = sim[order], fs[order]
        else:
            sim, fs = _insert(sim, fs, point, fp)
        states.append(dict(sim=sim.copy(), f=fs.copy(), op=OPERATIONS[op], nfev=nfev))
    return states
