"""Slow, obvious NumPy versions of one Gauss-Newton and one Levenberg-Marquardt iteration, as
the references the compiled solvers of optbench/solvers/least_squares.py are tested against.

Written from the formulas, not from the compiled code: the linear systems are solved by
``numpy.linalg.solve`` on the unscaled matrices, and the predicted decrease of LM is the
model's own c (||r||^2 - ||r + J p||^2), not the shortcut the compiled step uses.
"""

import numpy as np


def gn_iteration(res, jac, c, x, c1=1e-4, shrink=0.5, max_trials=60):
    """One Gauss-Newton step from x with Armijo backtracking on f = c ||r||^2:
    (x_new, t) or (x, None) when no trial is accepted."""
    r, J = res(x), jac(x)
    f = c * r @ r
    g = 2 * c * J.T @ r
    p = np.linalg.solve(J.T @ J, -J.T @ r)
    t = 1.0
    for _ in range(max_trials):
        r_new = res(x + t * p)
        if c * r_new @ r_new - f <= c1 * t * g @ p:
            return x + t * p, t
        t *= shrink
    return x, None


def lm_iteration(res, jac, c, x, D, mu, nu, eta=1e-4, max_trials=30):
    """One Levenberg-Marquardt iteration from x (D: the scaling so far, zeros at the start;
    mu, nu: the damping and its next increase factor). Returns (x_new, D, mu, nu, mu_used,
    trials); x_new is x when no trial was accepted."""
    r, J = res(x), jac(x)
    f = c * r @ r
    D = np.maximum(D, np.linalg.norm(J, axis=0))
    D = np.where(D == 0.0, 1.0, D)
    for trial in range(1, max_trials + 1):
        p = np.linalg.solve(J.T @ J + mu * np.diag(D**2), -J.T @ r)
        model = r + J @ p
        predicted = c * (r @ r - model @ model)
        r_new = res(x + p)
        rho = (f - c * r_new @ r_new) / predicted
        if rho > eta:
            return x + p, D, mu * max(1 / 3, 1 - (2 * rho - 1) ** 3), 2.0, mu, trial
        mu, nu = mu * nu, 2 * nu
    return x, D, mu, nu, None, max_trials
