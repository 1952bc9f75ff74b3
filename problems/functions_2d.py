"""Classic 2-D test functions for contour pictures: Himmelblau, Beale, Booth, three-hump camel.

Each knows its gradient, its Hessian, a start point, every global minimizer and f*, and the
search domain of Jamil & Yang (``extra["domain"]``, ((x_lo, x_hi), (y_lo, y_hi))) for plots.
Himmelblau, Beale and Booth are sums of squares r_1^2 + r_2^2 (+ r_3^2), so
grad f = 2 sum_i r_i grad r_i and H = 2 sum_i (grad r_i grad r_i' + r_i Hess r_i).
"""

import optbench
from optbench import Oracle, Problem, jit

_SURVEY = ("Jamil & Yang, A literature survey of benchmark functions for global optimization "
           "problems, Int. J. Math. Modelling and Numerical Optimisation 4(2) (2013)")


# -- Himmelblau (x^2 + y - 11)^2 + (x + y^2 - 7)^2 ------------------------------------------------
@jit
def himmelblau_f(x, args):
    r1 = x[0] * x[0] + x[1] - 11.0
    r2 = x[0] + x[1] * x[1] - 7.0
    return r1 * r1 + r2 * r2


@jit
def himmelblau_fg(x, args, out):
    r1 = x[0] * x[0] + x[1] - 11.0
    r2 = x[0] + x[1] * x[1] - 7.0
    out[0] = 4.0 * x[0] * r1 + 2.0 * r2
    out[1] = 2.0 * r1 + 4.0 * x[1] * r2
    return r1 * r1 + r2 * r2


@jit
def himmelblau_grad(x, args, out):
    himmelblau_fg(x, args, out)


@jit
def himmelblau_hess(x, args, out):
    r1 = x[0] * x[0] + x[1] - 11.0
    r2 = x[0] + x[1] * x[1] - 7.0
    out[0, 0] = 8.0 * x[0] * x[0] + 4.0 * r1 + 2.0
    out[0, 1] = 4.0 * (x[0] + x[1])
    out[1, 0] = out[0, 1]
    out[1, 1] = 2.0 + 8.0 * x[1] * x[1] + 4.0 * r2


# Newton-polished to full double precision from the published 6-digit values.
HIMMELBLAU_MINIMA = (
    (3.0, 2.0),
    (-2.805118086952745, 3.131312518250573),
    (-3.779310253377747, -3.2831859912861696),
    (3.5844283403304917, -1.8481265269644034),
)


@optbench.register_problem(
    "himmelblau", summary="(x^2 + y - 11)^2 + (x + y^2 - 7)^2: four global minima, f* = 0")
def himmelblau():
    return Problem(
        name="himmelblau", family="himmelblau",
        oracle=Oracle(himmelblau_f, himmelblau_grad, himmelblau_fg, himmelblau_hess, ()),
        x0=[0.0, 0.0], formula="f(x, y) = (x^2 + y - 11)^2 + (x + y^2 - 7)^2",
        reference="Himmelblau, Applied Nonlinear Programming (1972); " + _SURVEY,
        f_star=0.0, minimizers=HIMMELBLAU_MINIMA,
        notes="non-convex: four global minima with f = 0 (at (3, 2) and three irrational "
              "points), a local maximum near (-0.2708, -0.9230) and four saddle points",
        extra={"domain": ((-5.0, 5.0), (-5.0, 5.0))},
    )


# -- Beale: sum_i (c_i - x + x y^i)^2, c = (1.5, 2.25, 2.625) ----------------------------------
@jit
def beale_f(x, args):
    a, b = x[0], x[1]
    r1 = 1.5 - a + a * b
    r2 = 2.25 - a + a * b * b
    r3 = 2.625 - a + a * b * b * b
    return r1 * r1 + r2 * r2 + r3 * r3


@jit
def beale_fg(x, args, out):
    """r_i = c_i - x + x y^i; dr_i/dx = y^i - 1, dr_i/dy = i x y^(i-1)"""
    a, b = x[0], x[1]
    s = 0.0
    out[0] = 0.0
    out[1] = 0.0
    c = (1.5, 2.25, 2.625)
    yi = 1.0  # y^(i-1)
    for i in range(1, 4):
        r = c[i - 1] - a + a * yi * b
        s += r * r
        out[0] += 2.0 * r * (yi * b - 1.0)
        out[1] += 2.0 * r * i * a * yi
        yi *= b
    return s


@jit
def beale_grad(x, args, out):
    beale_fg(x, args, out)


@jit
def beale_hess(x, args, out):
    """d2r_i/dx2 = 0, d2r_i/dxdy = i y^(i-1), d2r_i/dy2 = i (i-1) x y^(i-2)"""
    a, b = x[0], x[1]
    hxx = 0.0
    hxy = 0.0
    hyy = 0.0
    c = (1.5, 2.25, 2.625)
    yim2 = 0.0  # y^(i-2), unused for i = 1
    yi = 1.0  # y^(i-1)
    for i in range(1, 4):
        r = c[i - 1] - a + a * yi * b
        rx = yi * b - 1.0
        ry = i * a * yi
        hxx += 2.0 * rx * rx
        hxy += 2.0 * (rx * ry + r * i * yi)
        hyy += 2.0 * (ry * ry + r * i * (i - 1) * a * yim2)
        yim2 = yi
        yi *= b
    out[0, 0] = hxx
    out[0, 1] = hxy
    out[1, 0] = hxy
    out[1, 1] = hyy


@optbench.register_problem(
    "beale", summary="Beale: (1.5 - x + xy)^2 + (2.25 - x + xy^2)^2 + (2.625 - x + xy^3)^2")
def beale():
    return Problem(
        name="beale", family="beale",
        oracle=Oracle(beale_f, beale_grad, beale_fg, beale_hess, ()), x0=[1.0, 1.0],
        formula="f(x, y) = (1.5 - x + xy)^2 + (2.25 - x + xy^2)^2 + (2.625 - x + xy^3)^2",
        reference="Beale (1958); More, Garbow & Hillstrom, ACM TOMS 7 (1981), problem 5 "
                  "(start point (1, 1)); " + _SURVEY,
        f_star=0.0, minimizers=([3.0, 0.5],),
        notes="non-convex: global minimum 0 at (3, 0.5) in a narrow curved valley; f is "
              "constant (14.203125) on the line x = 0, and grows like x^2 y^6 at large |y|",
        extra={"domain": ((-4.5, 4.5), (-4.5, 4.5))},
    )


# -- Booth (x + 2y - 7)^2 + (2x + y - 5)^2 ---------------------------------------------------------
@jit
def booth_f(x, args):
    r1 = x[0] + 2.0 * x[1] - 7.0
    r2 = 2.0 * x[0] + x[1] - 5.0
    return r1 * r1 + r2 * r2


@jit
def booth_fg(x, args, out):
    r1 = x[0] + 2.0 * x[1] - 7.0
    r2 = 2.0 * x[0] + x[1] - 5.0
    out[0] = 2.0 * r1 + 4.0 * r2
    out[1] = 4.0 * r1 + 2.0 * r2
    return r1 * r1 + r2 * r2


@jit
def booth_grad(x, args, out):
    booth_fg(x, args, out)


@jit
def booth_hess(x, args, out):
    out[0, 0] = 10.0
    out[0, 1] = 8.0
    out[1, 0] = 8.0
    out[1, 1] = 10.0


@optbench.register_problem(
    "booth", summary="(x + 2y - 7)^2 + (2x + y - 5)^2: a convex quadratic, f* = 0 at (1, 3)")
def booth():
    return Problem(
        name="booth", family="booth",
        oracle=Oracle(booth_f, booth_grad, booth_fg, booth_hess, ()), x0=[0.0, 0.0],
        formula="f(x, y) = (x + 2y - 7)^2 + (2x + y - 5)^2", reference=_SURVEY,
        f_star=0.0, minimizers=([1.0, 3.0],), L=18.0, mu=2.0, convex=True, quadratic=True,
        notes="convex quadratic: constant Hessian [[10, 8], [8, 10]] with eigenvalues 18 and 2 "
              "(condition number 9)",
        extra={"domain": ((-10.0, 10.0), (-10.0, 10.0))},
    )


# -- three-hump camel 2x^2 - 1.05x^4 + x^6/6 + xy + y^2 -------------------------------------------
@jit
def camel_f(x, args):
    a, b = x[0], x[1]
    a2 = a * a
    return 2.0 * a2 - 1.05 * a2 * a2 + a2 * a2 * a2 / 6.0 + a * b + b * b


@jit
def camel_fg(x, args, out):
    a, b = x[0], x[1]
    a2 = a * a
    out[0] = 4.0 * a - 4.2 * a2 * a + a2 * a2 * a + b
    out[1] = a + 2.0 * b
    return 2.0 * a2 - 1.05 * a2 * a2 + a2 * a2 * a2 / 6.0 + a * b + b * b


@jit
def camel_grad(x, args, out):
    camel_fg(x, args, out)


@jit
def camel_hess(x, args, out):
    a2 = x[0] * x[0]
    out[0, 0] = 4.0 - 12.6 * a2 + 5.0 * a2 * a2
    out[0, 1] = 1.0
    out[1, 0] = 1.0
    out[1, 1] = 2.0


@optbench.register_problem(
    "three-hump-camel", summary="2x^2 - 1.05x^4 + x^6/6 + xy + y^2: global minimum 0 at 0, "
                                "two local minima")
def three_hump_camel():
    return Problem(
        name="three-hump-camel", family="three-hump-camel",
        oracle=Oracle(camel_f, camel_grad, camel_fg, camel_hess, ()), x0=[-1.5, 1.5],
        formula="f(x, y) = 2x^2 - 1.05x^4 + x^6/6 + xy + y^2", reference=_SURVEY,
        f_star=0.0, minimizers=([0.0, 0.0],),
        notes="non-convex: global minimum 0 at the origin, local minima 0.298638 at "
              "+-(1.747552, -0.873776), saddle points between them; from x0 = (-1.5, 1.5) "
              "descent methods (gd-armijo, bfgs, newton-safe) end in the local minimum "
              "(-1.747552, 0.873776): start inside |x| < 1 (--x0 0.5,0.5) for the global one",
        extra={"domain": ((-5.0, 5.0), (-5.0, 5.0)),
               "local_minima": ((1.747552345830289, -0.8737761729151445),
                                (-1.747552345830289, 0.8737761729151445))},
    )
