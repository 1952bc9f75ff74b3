"""scipy.optimize's methods as optbench solvers (``scipy-bfgs``, ... ``scipy-trf``).

Each is a Python solver (:mod:`optbench.external`): scipy runs the method, the harness records
every iteration through scipy's callback into the same table as the compiled solvers (its
evaluations counted by wrapping the problem's functions) and applies the run's tests. scipy's
own tests run too, with the run's ``tol`` as their gradient tolerance where the method has
one: ``gtol`` with the 2-norm for BFGS and CG (``norm=2``), the 2-norm of the trust-region
methods, the infinity norm of L-BFGS-B's projected gradient; Newton-CG and Nelder-Mead have
none (their ``xtol``, ``xatol``, ``fatol`` are parameters). ``max_iter`` is scipy's
``maxiter``. Every other option is a parameter (``-p c2=0.5``) with scipy's default.

Their time is Python's: scipy's loop calls the problem's compiled functions one at a time,
so seconds compare the methods as a user calling scipy would run them, not the algorithms.
"""

from __future__ import annotations

import functools
import importlib

import numpy as np

from ..external import python_solver as _python_solver
from ..params import Param

__all__ = ["SCIPY_SOLVERS"]

_SCIPY = "SciPy, scipy.optimize"
# scipy.optimize is imported when a run is planned, before its clock starts (not by
# `import optbench`)
python_solver = functools.partial(
    _python_solver, setup=functools.partial(importlib.import_module, "scipy.optimize"))


def _minimize(method: str, gradient_test: dict, uses_grad=True, uses_hess=False):
    """solve() calling ``scipy.optimize.minimize(method=method)``; ``gradient_test`` maps
    scipy's options to the run's tolerance (``{"gtol": "tol"}``) or to constants."""

    def solve(f, grad, x0, options, callback, hess=None):
        from scipy.optimize import minimize

        opts = {k: v for k, v in options.items() if k not in ("max_iter", "tol")}
        opts["maxiter"] = options["max_iter"]
        for key, value in gradient_test.items():
            opts[key] = options[value] if value in options else value
        return minimize(f, x0, method=method, jac=grad if uses_grad else None,
                        hess=hess if uses_hess else None, callback=callback, options=opts)

    solve.__qualname__ = f"minimize[{method}]"
    return solve


def _least_squares(method: str):
    """solve() calling ``scipy.optimize.least_squares(method=method)`` on the problem's
    residuals; 'lm' (MINPACK) takes no callback: an iteration is recorded at each Jacobian
    evaluation at a new point, MINPACK evaluating the Jacobian once per iteration, at the
    accepted point (scipy evaluates it once more at the final point, for its result: counted,
    since the method asked for it, but not an iteration)."""

    def solve(f, grad, x0, options, callback, residuals, jacobian):
        from scipy.optimize import least_squares

        kw = {k: options[k] for k in ("ftol", "xtol", "gtol")}
        kw["max_nfev"] = options["max_nfev"] or None
        if method == "lm":
            reported = [x0]

            def jac(x):  # a new accepted point is an iteration (not x0, not scipy's
                if not np.array_equal(x, reported[0]):  # evaluation at the final x)
                    reported[0] = x.copy()
                    callback(x)
                return jacobian(x)

            return least_squares(residuals, x0, jac=jac, method="lm", **kw)
        return least_squares(residuals, x0, jac=jacobian, method=method, callback=callback,
                             **kw)

    solve.__qualname__ = f"least_squares[{method}]"
    return solve


def _wolfe(c2):
    return (Param("c1", 1e-4, float, "sufficient-decrease constant of the line search",
                  low=0.0, high=1.0, strict=True),
            Param("c2", c2, float, "curvature constant of the line search", low=0.0,
                  high=1.0, strict=True))


_TRUST = (Param("initial_trust_radius", 1.0, float, "initial trust radius", low=0.0,
                strict=True),
          Param("max_trust_radius", 1000.0, float, "largest trust radius", low=0.0,
                strict=True),
          Param("eta", 0.15, float, "accept a step when actual / predicted decrease > eta",
                low=0.0, high=0.25))
_LSQ = (Param("ftol", 1e-8, float, "scipy's tolerance on the relative change of the cost",
              low=0.0),
        Param("xtol", 1e-8, float, "scipy's tolerance on the relative change of x", low=0.0),
        Param("gtol", 1e-8, float, "scipy's tolerance on its scaled gradient", low=0.0),
        Param("max_nfev", 0, int, "residual evaluations allowed (0: scipy's default)",
              low=0))

def _scipy_minimize(name, method, gradient_test, params, formula, reference, about="",
                    needs=("grad",)):
    """Register ``scipy-<name>``: scipy.optimize.minimize(method=method)."""
    return python_solver(
        f"scipy-{name}", _minimize(method, gradient_test, uses_grad="grad" in needs,
                                   uses_hess="hess" in needs),
        params=params, needs=needs, family="scipy", formula=formula,
        summary=f"scipy.optimize.minimize(method='{method}'){about} (Python speed)",
        reference=f"{_SCIPY}.minimize(method='{method}'); {reference}")


def _scipy_least_squares(method, about, formula, reference):
    """Register ``scipy-<method>``: scipy.optimize.least_squares(method=method)."""
    return python_solver(
        f"scipy-{method}", _least_squares(method), params=_LSQ, needs=("grad", "residuals"),
        family="scipy", formula=formula,
        summary=f"scipy.optimize.least_squares(method='{method}'){about} on the residuals "
                "(Python speed)",
        reference=f"{_SCIPY}.least_squares(method='{method}'); {reference}")


SCIPY_SOLVERS = [
    _scipy_minimize(
        "bfgs", "BFGS", {"gtol": "tol", "norm": 2},
        (*_wolfe(0.9), Param("xrtol", 0.0, float, "scipy's relative step tolerance", low=0.0)),
        "x_{k+1} = x_k - alpha_k H_k g_k (BFGS update, Wolfe search)",
        "Nocedal & Wright (2006), Alg. 6.1"),
    _scipy_minimize(
        "lbfgsb", "L-BFGS-B", {"gtol": "tol"},
        (Param("maxcor", 10, int, "number of (s, y) pairs kept", low=1),
         Param("ftol", 2.220446049250313e-09, float, "scipy's relative-reduction test of f",
               low=0.0),
         Param("maxls", 20, int, "line-search steps per iteration", low=1),
         Param("maxfun", 15000, int, "function evaluations allowed", low=1)),
        "x_{k+1} = x_k - alpha_k H_k g_k, H_k from the last m pairs (s, y)",
        "Byrd, Lu, Nocedal & Zhu (1995)", about=" without bounds"),
    _scipy_minimize(
        "cg", "CG", {"gtol": "tol", "norm": 2}, _wolfe(0.4),
        "d_{k+1} = -g_{k+1} + beta_k d_k, beta_k = Polak-Ribiere",
        "Nocedal & Wright (2006), Alg. 5.4", about=", Polak-Ribiere"),
    _scipy_minimize(
        "newton-cg", "Newton-CG", {},
        (Param("xtol", 1e-5, float, "scipy's average relative step test", low=0.0),
         *_wolfe(0.9)),
        "solve H_k d = -g_k by CG (truncated), x_{k+1} = x_k + alpha_k d",
        "Nocedal & Wright (2006), Alg. 7.1", needs=("grad", "hess")),
    _scipy_minimize(
        "trust-exact", "trust-exact", {"gtol": "tol"}, _TRUST,
        "min_p m_k(p) s.t. ||p|| <= Delta_k, solved nearly exactly",
        "Conn, Gould & Toint (2000), Alg. 7.3.6", needs=("grad", "hess")),
    _scipy_minimize(
        "trust-ncg", "trust-ncg", {"gtol": "tol"}, _TRUST,
        "min_p m_k(p) s.t. ||p|| <= Delta_k by truncated CG",
        "Nocedal & Wright (2006), Alg. 7.2", about=", Steihaug CG", needs=("grad", "hess")),
    _scipy_minimize(
        "nelder-mead", "Nelder-Mead", {},
        (Param("xatol", 1e-4, float, "scipy's absolute simplex-size test", low=0.0),
         Param("fatol", 1e-4, float, "scipy's absolute f-spread test", low=0.0),
         Param("adaptive", False, bool, "dimension-adapted coefficients (Gao & Han)")),
        "reflect, expand, contract or shrink the simplex of n+1 points",
        "Nelder & Mead (1965)", about=", no derivatives", needs=()),
    _scipy_least_squares(
        "lm", ", MINPACK Levenberg-Marquardt", "(J'J + lambda D) p = -J'r, lambda by the "
        "trust region", "More (1978), MINPACK lmder"),
    _scipy_least_squares(
        "trf", "", "trust-region reflective Gauss-Newton steps on min 1/2 ||r(x)||^2",
        "Branch, Coleman & Li (1999)"),
]
