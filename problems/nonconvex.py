"""Non-convex test functions: the 1-D examples of the notes and n-D Rosenbrock."""

import numpy as np

import optbench
from optbench import Oracle, Param, Problem, jit


# -- double well (x^2 - 3)^2 ----------------------------------------------------------------
@jit
def dw_f(x, args):
    return (x[0] * x[0] - 3.0) ** 2


@jit
def dw_grad(x, args, out):
    out[0] = 4.0 * x[0] * (x[0] * x[0] - 3.0)


@jit
def dw_hess(x, args, out):
    out[0, 0] = 12.0 * x[0] * x[0] - 12.0


@optbench.register_problem("double-well", summary="(x^2 - 3)^2: two minima at +-sqrt(3)")
def double_well():
    r = np.sqrt(3.0)
    return Problem(
        name="double-well", family="double-well",
        oracle=Oracle(dw_f, dw_grad, None, dw_hess, ()), x0=[2.0],
        formula="f(x) = (x^2 - 3)^2", reference="course notes, gradient descent (1-D example)",
        f_star=0.0, minimizers=([-r], [r]),
        notes="non-convex: minima at +-sqrt(3), local maximum at 0; f'' = 0 at x = +-1",
    )


# -- rational x / (x^2 + 1) ---------------------------------------------------------------------
@jit
def rat_f(x, args):
    return x[0] / (x[0] * x[0] + 1.0)


@jit
def rat_grad(x, args, out):
    q = x[0] * x[0] + 1.0
    out[0] = (1.0 - x[0] * x[0]) / (q * q)


@jit
def rat_hess(x, args, out):
    q = x[0] * x[0] + 1.0
    out[0, 0] = 2.0 * x[0] * (x[0] * x[0] - 3.0) / (q * q * q)


@optbench.register_problem("rational", summary="x/(x^2 + 1): minimum -1/2 at x = -1")
def rational():
    return Problem(
        name="rational", family="rational",
        oracle=Oracle(rat_f, rat_grad, None, rat_hess, ()), x0=[-2.0],
        formula="f(x) = x / (x^2 + 1)", reference="course notes, calculus (extrema example)",
        f_star=-0.5, minimizers=([-1.0],),
        notes="non-convex: minimum -1/2 at x = -1, maximum 1/2 at x = 1, f -> 0 at +-inf",
    )


# -- Rosenbrock, n-D ------------------------------------------------------------------------------
@jit
def rb_f(x, args):
    s = 0.0
    for i in range(x.shape[0] - 1):
        a = x[i + 1] - x[i] * x[i]
        b = 1.0 - x[i]
        s += 100.0 * a * a + b * b
    return s


@jit
def rb_fg(x, args, out):
    n = x.shape[0]
    s = 0.0
    for i in range(n):
        out[i] = 0.0
    for i in range(n - 1):
        a = x[i + 1] - x[i] * x[i]
        b = 1.0 - x[i]
        s += 100.0 * a * a + b * b
        out[i] += -400.0 * x[i] * a - 2.0 * b
        out[i + 1] += 200.0 * a
    return s


@jit
def rb_grad(x, args, out):
    rb_fg(x, args, out)


@jit
def rb_hess(x, args, out):
    n = x.shape[0]
    out[:, :] = 0.0
    for i in range(n - 1):
        out[i, i] += 1200.0 * x[i] * x[i] - 400.0 * x[i + 1] + 2.0
        out[i, i + 1] += -400.0 * x[i]
        out[i + 1, i] += -400.0 * x[i]
        out[i + 1, i + 1] += 200.0


@optbench.register_problem(
    "rosenbrock",
    params=(Param("dim", 2, int, "dimension n", low=2),),
    summary="sum 100 (x_{i+1} - x_i^2)^2 + (1 - x_i)^2: a curved valley, minimum at ones",
)
def rosenbrock(dim):
    x0 = np.ones(dim)
    x0[0::2] = -1.2
    return Problem(
        name="rosenbrock", family="rosenbrock",
        oracle=Oracle(rb_f, rb_grad, rb_fg, rb_hess, ()), x0=x0,
        formula="f(x) = sum_i 100 (x_{i+1} - x_i^2)^2 + (1 - x_i)^2",
        reference="Rosenbrock, The Computer Journal 3 (1960); start point of More, Garbow "
                  "& Hillstrom (1981)",
        f_star=0.0, minimizers=(np.ones(dim),),
        notes="non-convex valley; for n >= 4 also a local minimum near x_1 = -1",
    )
