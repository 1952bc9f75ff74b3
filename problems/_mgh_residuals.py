"""Residuals of the More-Garbow-Hillstrom (1981) least-squares test functions, their Jacobians
and the second-order terms of their Hessians, compiled; and the one place where a sum of
squares f = sum_i r_i(x)^2 is turned into an optbench oracle.

Every function ``<name>`` of the collection is three compiled functions of x (n,):

    <name>_r(x, out)           out (m,)   = r(x)                    residuals
    <name>_j(x, out)           out (m, n) = J(x), J_ij = dr_i/dx_j   Jacobian
    <name>_s(x, w, out)        out (n, n) = sum_i w_i Hess r_i(x)   second-order term (w: (m,))

m and n are read from the shapes of ``out`` and ``x``, so one compiled function serves every
size. The convention is MGH's: f = sum_i r_i^2 (no 1/2), so

    grad f = 2 J'r,   Hess f = 2 (J'J + sum_i r_i Hess r_i) = 2 (J'J + S(x, r)).

``FUNCTIONS`` lists the triples; the dispatchers ``residual(pid, x, out)``, ``jacobian`` and
``second_order`` call those of the function with id ``pid`` (its index there), and
:func:`sum_of_squares` builds f, grad, fg and hess from them, once for the whole collection:
the algebra of the sum of squares is written only there, and a solver compiled for one
problem serves all of them. Formulas follow section 3 of J. J. More, B. S.
Garbow and K. E. Hillstrom, "Testing unconstrained optimization software", ACM TOMS 7(1)
(1981) 17-41, problem numbers in the headings; the last four functions are the ones
J. J. More and S. M. Wild, "Benchmarking derivative-free optimization algorithms", SIAM J.
Optim. 20(1) (2009) 172-191, add to them (problems 19-22 of their set, from CUTEr).
"""

import math

import numpy as np

from optbench import jit

TWO_PI = 2.0 * math.pi


# -- the sum of squares, once ---------------------------------------------------------------------
def sum_of_squares(residual, jacobian, second):
    """Compiled ``f, grad, fg, hess`` of f(x) = sum_i r_i(x)^2 from compiled
    ``residual(pid, x, out)``, ``jacobian(pid, x, out)`` and ``second(pid, x, w, out)`` (the
    dispatchers at the end of this file: ``pid`` selects the function).

    The oracle's ``args`` is ``(pid, r, J)``: the function's id and scratch arrays of shapes
    (m,) and (m, n) that the functions overwrite (one pair per problem instance), so that no
    call allocates."""

    @jit
    def f(x, args):
        r = args[1]
        residual(args[0], x, r)
        s = 0.0
        for i in range(r.shape[0]):
            s += r[i] * r[i]
        return s

    @jit
    def fg(x, args, out):
        pid, r, J = args
        residual(pid, x, r)
        jacobian(pid, x, J)
        s = 0.0
        for j in range(x.shape[0]):
            out[j] = 0.0
        for i in range(r.shape[0]):
            ri = r[i]
            s += ri * ri
            for j in range(x.shape[0]):
                out[j] += 2.0 * J[i, j] * ri
        return s

    @jit
    def grad(x, args, out):
        fg(x, args, out)

    @jit
    def hess(x, args, out):
        pid, r, J = args
        residual(pid, x, r)
        jacobian(pid, x, J)
        second(pid, x, r, out)
        n = x.shape[0]
        for a in range(n):
            for b in range(a, n):
                s = 0.0
                for i in range(r.shape[0]):
                    s += J[i, a] * J[i, b]
                out[a, b] = 2.0 * (out[a, b] + s)
                out[b, a] = out[a, b]

    return f, grad, fg, hess


# -- 1 Rosenbrock: r1 = 10 (x2 - x1^2), r2 = 1 - x1 ------------------------------------------------
@jit
def rosenbrock_r(x, out):
    out[0] = 10.0 * (x[1] - x[0] * x[0])
    out[1] = 1.0 - x[0]


@jit
def rosenbrock_j(x, out):
    out[0, 0] = -20.0 * x[0]
    out[0, 1] = 10.0
    out[1, 0] = -1.0
    out[1, 1] = 0.0


@jit
def rosenbrock_s(x, w, out):
    out[:, :] = 0.0
    out[0, 0] = -20.0 * w[0]


# -- 2 Freudenstein and Roth -----------------------------------------------------------------------
# r1 = -13 + x1 + ((5 - x2) x2 - 2) x2,  r2 = -29 + x1 + ((x2 + 1) x2 - 14) x2
@jit
def freudenstein_roth_r(x, out):
    b = x[1]
    out[0] = -13.0 + x[0] + ((5.0 - b) * b - 2.0) * b
    out[1] = -29.0 + x[0] + ((b + 1.0) * b - 14.0) * b


@jit
def freudenstein_roth_j(x, out):
    b = x[1]
    out[0, 0] = 1.0
    out[0, 1] = (10.0 - 3.0 * b) * b - 2.0
    out[1, 0] = 1.0
    out[1, 1] = (3.0 * b + 2.0) * b - 14.0


@jit
def freudenstein_roth_s(x, w, out):
    out[:, :] = 0.0
    out[1, 1] = w[0] * (10.0 - 6.0 * x[1]) + w[1] * (6.0 * x[1] + 2.0)


# -- 3 Powell badly scaled: r1 = 1e4 x1 x2 - 1, r2 = exp(-x1) + exp(-x2) - 1.0001 ------------------
@jit
def powell_badly_scaled_r(x, out):
    out[0] = 1e4 * x[0] * x[1] - 1.0
    out[1] = math.exp(-x[0]) + math.exp(-x[1]) - 1.0001


@jit
def powell_badly_scaled_j(x, out):
    out[0, 0] = 1e4 * x[1]
    out[0, 1] = 1e4 * x[0]
    out[1, 0] = -math.exp(-x[0])
    out[1, 1] = -math.exp(-x[1])


@jit
def powell_badly_scaled_s(x, w, out):
    out[0, 0] = w[1] * math.exp(-x[0])
    out[0, 1] = 1e4 * w[0]
    out[1, 0] = out[0, 1]
    out[1, 1] = w[1] * math.exp(-x[1])


# -- 4 Brown badly scaled: r1 = x1 - 1e6, r2 = x2 - 2e-6, r3 = x1 x2 - 2 ---------------------------
@jit
def brown_badly_scaled_r(x, out):
    out[0] = x[0] - 1e6
    out[1] = x[1] - 2e-6
    out[2] = x[0] * x[1] - 2.0


@jit
def brown_badly_scaled_j(x, out):
    out[0, 0] = 1.0
    out[0, 1] = 0.0
    out[1, 0] = 0.0
    out[1, 1] = 1.0
    out[2, 0] = x[1]
    out[2, 1] = x[0]


@jit
def brown_badly_scaled_s(x, w, out):
    out[0, 0] = 0.0
    out[0, 1] = w[2]
    out[1, 0] = w[2]
    out[1, 1] = 0.0


# -- 5 Beale: r_i = y_i - x1 (1 - x2^i), y = (1.5, 2.25, 2.625) ------------------------------------
BEALE_Y = np.array([1.5, 2.25, 2.625])


@jit
def beale_r(x, out):
    p = 1.0
    for i in range(3):
        p *= x[1]  # x2^(i+1)
        out[i] = BEALE_Y[i] - x[0] * (1.0 - p)


@jit
def beale_j(x, out):
    p = 1.0  # x2^i, i = 0, 1, 2
    for i in range(3):
        out[i, 0] = p * x[1] - 1.0
        out[i, 1] = (i + 1) * x[0] * p
        p *= x[1]


@jit
def beale_s(x, w, out):
    """d2r_i/dx1dx2 = i x2^(i-1), d2r_i/dx2^2 = i (i-1) x1 x2^(i-2) (i = 1, 2, 3)"""
    h12 = 0.0
    h22 = 0.0
    p = 1.0  # x2^(i-1)
    q = 0.0  # x2^(i-2), unused for i = 1
    for i in range(1, 4):
        h12 += w[i - 1] * i * p
        h22 += w[i - 1] * i * (i - 1) * x[0] * q
        q = p
        p *= x[1]
    out[0, 0] = 0.0
    out[0, 1] = h12
    out[1, 0] = h12
    out[1, 1] = h22


# -- 6 Jennrich and Sampson: r_i = 2 + 2i - (exp(i x1) + exp(i x2)), i = 1..m ----------------------
@jit
def jennrich_sampson_r(x, out):
    for k in range(out.shape[0]):
        i = k + 1.0
        out[k] = 2.0 + 2.0 * i - (math.exp(i * x[0]) + math.exp(i * x[1]))


@jit
def jennrich_sampson_j(x, out):
    for k in range(out.shape[0]):
        i = k + 1.0
        out[k, 0] = -i * math.exp(i * x[0])
        out[k, 1] = -i * math.exp(i * x[1])


@jit
def jennrich_sampson_s(x, w, out):
    h11 = 0.0
    h22 = 0.0
    for k in range(w.shape[0]):
        i = k + 1.0
        h11 -= w[k] * i * i * math.exp(i * x[0])
        h22 -= w[k] * i * i * math.exp(i * x[1])
    out[0, 0] = h11
    out[0, 1] = 0.0
    out[1, 0] = 0.0
    out[1, 1] = h22


# -- 7 helical valley: r1 = 10 (x3 - 10 theta), r2 = 10 (sqrt(x1^2 + x2^2) - 1), r3 = x3 -----------
@jit
def helical_theta(x1, x2):
    """2 pi theta = arctan(x2/x1) (+ pi when x1 < 0); on x1 = 0 the limit, sign(x2) pi/2."""
    if x1 > 0.0:
        return math.atan(x2 / x1) / TWO_PI
    if x1 < 0.0:
        return math.atan(x2 / x1) / TWO_PI + 0.5
    return 0.25 if x2 >= 0.0 else -0.25


@jit
def helical_valley_r(x, out):
    out[0] = 10.0 * (x[2] - 10.0 * helical_theta(x[0], x[1]))
    out[1] = 10.0 * (math.sqrt(x[0] * x[0] + x[1] * x[1]) - 1.0)
    out[2] = x[2]


@jit
def helical_valley_j(x, out):
    q = x[0] * x[0] + x[1] * x[1]
    rho = math.sqrt(q)
    out[0, 0] = 100.0 * x[1] / (TWO_PI * q)  # -100 dtheta/dx1
    out[0, 1] = -100.0 * x[0] / (TWO_PI * q)
    out[0, 2] = 10.0
    out[1, 0] = 10.0 * x[0] / rho
    out[1, 1] = 10.0 * x[1] / rho
    out[1, 2] = 0.0
    out[2, 0] = 0.0
    out[2, 1] = 0.0
    out[2, 2] = 1.0


@jit
def helical_valley_s(x, w, out):
    """Hess theta = [[2 x1 x2, x2^2 - x1^2], [., -2 x1 x2]] / (2 pi q^2);
    Hess rho = [[x2^2, -x1 x2], [., x1^2]] / rho^3 (q = x1^2 + x2^2)"""
    a, b = x[0], x[1]
    q = a * a + b * b
    t = -100.0 * w[0] / (TWO_PI * q * q)
    u = 10.0 * w[1] / (q * math.sqrt(q))
    out[:, :] = 0.0
    out[0, 0] = t * 2.0 * a * b + u * b * b
    out[0, 1] = t * (b * b - a * a) - u * a * b
    out[1, 0] = out[0, 1]
    out[1, 1] = -t * 2.0 * a * b + u * a * a


# -- 8 Bard: r_i = y_i - (x1 + u_i / (v_i x2 + w_i x3)), u_i = i, v_i = 16 - i, w_i = min(u_i, v_i)
BARD_Y = np.array([0.14, 0.18, 0.22, 0.25, 0.29, 0.32, 0.35, 0.39, 0.37, 0.58, 0.73, 0.96, 1.34,
                   2.10, 4.39])


@jit
def bard_r(x, out):
    for k in range(15):
        u = k + 1.0
        v = 15.0 - k
        d = v * x[1] + min(u, v) * x[2]
        out[k] = BARD_Y[k] - (x[0] + u / d)


@jit
def bard_j(x, out):
    for k in range(15):
        u = k + 1.0
        v = 15.0 - k
        c = min(u, v)
        d = v * x[1] + c * x[2]
        out[k, 0] = -1.0
        out[k, 1] = u * v / (d * d)
        out[k, 2] = u * c / (d * d)


@jit
def bard_s(x, w, out):
    """d2r/dx_a dx_b = -2 u c_a c_b / d^3 for a, b in {2, 3}, c = (v, w)"""
    out[:, :] = 0.0
    for k in range(15):
        u = k + 1.0
        v = 15.0 - k
        c = min(u, v)
        d = v * x[1] + c * x[2]
        t = -2.0 * w[k] * u / (d * d * d)
        out[1, 1] += t * v * v
        out[1, 2] += t * v * c
        out[2, 2] += t * c * c
    out[2, 1] = out[1, 2]


# -- 9 Gaussian: r_i = x1 exp(-x2 (t_i - x3)^2 / 2) - y_i, t_i = (8 - i) / 2 -----------------------
GAUSSIAN_Y = np.array([0.0009, 0.0044, 0.0175, 0.0540, 0.1295, 0.2420, 0.3521, 0.3989, 0.3521,
                       0.2420, 0.1295, 0.0540, 0.0175, 0.0044, 0.0009])


@jit
def gaussian_r(x, out):
    for k in range(15):
        s = (7.0 - k) / 2.0 - x[2]
        out[k] = x[0] * math.exp(-0.5 * x[1] * s * s) - GAUSSIAN_Y[k]


@jit
def gaussian_j(x, out):
    for k in range(15):
        s = (7.0 - k) / 2.0 - x[2]
        e = math.exp(-0.5 * x[1] * s * s)
        out[k, 0] = e
        out[k, 1] = -0.5 * x[0] * s * s * e
        out[k, 2] = x[0] * x[1] * s * e


@jit
def gaussian_s(x, w, out):
    out[:, :] = 0.0
    a, b = x[0], x[1]
    for k in range(15):
        s = (7.0 - k) / 2.0 - x[2]
        e = w[k] * math.exp(-0.5 * b * s * s)
        s2 = s * s
        out[0, 1] += -0.5 * s2 * e
        out[0, 2] += b * s * e
        out[1, 1] += 0.25 * a * s2 * s2 * e
        out[1, 2] += a * s * e * (1.0 - 0.5 * b * s2)
        out[2, 2] += a * b * e * (b * s2 - 1.0)
    out[1, 0] = out[0, 1]
    out[2, 0] = out[0, 2]
    out[2, 1] = out[1, 2]


# -- 10 Meyer: r_i = x1 exp(x2 / (t_i + x3)) - y_i, t_i = 45 + 5i ----------------------------------
MEYER_Y = np.array([34780.0, 28610.0, 23650.0, 19630.0, 16370.0, 13720.0, 11540.0, 9744.0, 8261.0,
                    7030.0, 6005.0, 5147.0, 4427.0, 3820.0, 3307.0, 2872.0])


@jit
def meyer_r(x, out):
    for k in range(16):
        d = 50.0 + 5.0 * k + x[2]
        out[k] = x[0] * math.exp(x[1] / d) - MEYER_Y[k]


@jit
def meyer_j(x, out):
    for k in range(16):
        d = 50.0 + 5.0 * k + x[2]
        e = math.exp(x[1] / d)
        out[k, 0] = e
        out[k, 1] = x[0] * e / d
        out[k, 2] = -x[0] * x[1] * e / (d * d)


@jit
def meyer_s(x, w, out):
    out[:, :] = 0.0
    a, b = x[0], x[1]
    for k in range(16):
        d = 50.0 + 5.0 * k + x[2]
        e = w[k] * math.exp(b / d)
        d2 = d * d
        out[0, 1] += e / d
        out[0, 2] += -b * e / d2
        out[1, 1] += a * e / d2
        out[1, 2] += -a * e * (b + d) / (d2 * d)
        out[2, 2] += a * b * e * (b + 2.0 * d) / (d2 * d2)
    out[1, 0] = out[0, 1]
    out[2, 0] = out[0, 2]
    out[2, 1] = out[1, 2]


# -- 11 Gulf research and development: r_i = exp(-|y_i - x2|^x3 / x1) - t_i ------------------------
# t_i = i / 100, y_i = 25 + (-50 ln t_i)^(2/3). (The paper prints the minus sign in |y_i - x2| as
# "m i", a typesetting slip.) With u = y_i - x2, p = |u|^x3, z = p / x1: r = exp(-z) - t,
# J = -exp(-z) grad z, Hess r = exp(-z) (grad z grad z' - Hess z).
@jit
def gulf_y(k):
    t = (k + 1.0) / 100.0
    return t, 25.0 + (-50.0 * math.log(t)) ** (2.0 / 3.0)


@jit
def gulf_r(x, out):
    for k in range(out.shape[0]):
        t, y = gulf_y(k)
        out[k] = math.exp(-(abs(y - x[1]) ** x[2]) / x[0]) - t


@jit
def gulf_z(x, k):
    """z = |y_k - x2|^x3 / x1, its gradient (z1, z2, z3) and Hessian (upper triangle), and t_k.
    Terms that carry |u|^x3 vanish where u = y_k - x2 = 0 (x3 > 1 there, the only case with
    a derivative)."""
    t, y = gulf_y(k)
    u = y - x[1]
    a = abs(u)
    x1, x3 = x[0], x[2]
    if a == 0.0:
        return t, 0.0, (0.0, 0.0, 0.0), (0.0, 0.0, 0.0, 0.0, 0.0, 0.0)
    p = a ** x3
    lg = math.log(a)
    grad = (-p / (x1 * x1), -x3 * p / (u * x1), p * lg / x1)
    hess = (2.0 * p / (x1 * x1 * x1), x3 * p / (u * x1 * x1), -p * lg / (x1 * x1),
            x3 * (x3 - 1.0) * p / (u * u * x1), -p * (1.0 + x3 * lg) / (u * x1),
            p * lg * lg / x1)  # (11, 12, 13, 22, 23, 33)
    return t, p / x1, grad, hess


@jit
def gulf_j(x, out):
    for k in range(out.shape[0]):
        t, z, dz, hz = gulf_z(x, k)
        e = math.exp(-z)
        out[k, 0] = -e * dz[0]
        out[k, 1] = -e * dz[1]
        out[k, 2] = -e * dz[2]


@jit
def gulf_s(x, w, out):
    out[:, :] = 0.0
    for k in range(w.shape[0]):
        t, z, dz, hz = gulf_z(x, k)
        e = w[k] * math.exp(-z)
        out[0, 0] += e * (dz[0] * dz[0] - hz[0])
        out[0, 1] += e * (dz[0] * dz[1] - hz[1])
        out[0, 2] += e * (dz[0] * dz[2] - hz[2])
        out[1, 1] += e * (dz[1] * dz[1] - hz[3])
        out[1, 2] += e * (dz[1] * dz[2] - hz[4])
        out[2, 2] += e * (dz[2] * dz[2] - hz[5])
    out[1, 0] = out[0, 1]
    out[2, 0] = out[0, 2]
    out[2, 1] = out[1, 2]


# -- 12 Box three-dimensional: r_i = exp(-t x1) - exp(-t x2) - x3 (exp(-t) - exp(-10 t)), t = i/10 -
@jit
def box_3d_r(x, out):
    for k in range(out.shape[0]):
        t = 0.1 * (k + 1.0)
        out[k] = math.exp(-t * x[0]) - math.exp(-t * x[1]) - x[2] * (math.exp(-t) -
                                                                     math.exp(-10.0 * t))


@jit
def box_3d_j(x, out):
    for k in range(out.shape[0]):
        t = 0.1 * (k + 1.0)
        out[k, 0] = -t * math.exp(-t * x[0])
        out[k, 1] = t * math.exp(-t * x[1])
        out[k, 2] = -(math.exp(-t) - math.exp(-10.0 * t))


@jit
def box_3d_s(x, w, out):
    out[:, :] = 0.0
    for k in range(w.shape[0]):
        t = 0.1 * (k + 1.0)
        out[0, 0] += w[k] * t * t * math.exp(-t * x[0])
        out[1, 1] -= w[k] * t * t * math.exp(-t * x[1])


# -- 13 Powell singular / 22 extended Powell singular (blocks of 4) --------------------------------
# r_{4i-3} = x_{4i-3} + 10 x_{4i-2}, r_{4i-2} = sqrt5 (x_{4i-1} - x_{4i}),
# r_{4i-1} = (x_{4i-2} - 2 x_{4i-1})^2, r_{4i} = sqrt10 (x_{4i-3} - x_{4i})^2
SQRT5 = math.sqrt(5.0)
SQRT10 = math.sqrt(10.0)


@jit
def powell_singular_r(x, out):
    for b in range(0, x.shape[0], 4):
        out[b] = x[b] + 10.0 * x[b + 1]
        out[b + 1] = SQRT5 * (x[b + 2] - x[b + 3])
        out[b + 2] = (x[b + 1] - 2.0 * x[b + 2]) ** 2
        out[b + 3] = SQRT10 * (x[b] - x[b + 3]) ** 2


@jit
def powell_singular_j(x, out):
    out[:, :] = 0.0
    for b in range(0, x.shape[0], 4):
        out[b, b] = 1.0
        out[b, b + 1] = 10.0
        out[b + 1, b + 2] = SQRT5
        out[b + 1, b + 3] = -SQRT5
        d = 2.0 * (x[b + 1] - 2.0 * x[b + 2])
        out[b + 2, b + 1] = d
        out[b + 2, b + 2] = -2.0 * d
        e = 2.0 * SQRT10 * (x[b] - x[b + 3])
        out[b + 3, b] = e
        out[b + 3, b + 3] = -e


@jit
def powell_singular_s(x, w, out):
    """Hess r_{4i-1} = 2 v v', v = e_{4i-2} - 2 e_{4i-1}; Hess r_{4i} = 2 sqrt10 u u',
    u = e_{4i-3} - e_{4i}"""
    out[:, :] = 0.0
    for b in range(0, x.shape[0], 4):
        c = 2.0 * w[b + 2]
        out[b + 1, b + 1] += c
        out[b + 1, b + 2] -= 2.0 * c
        out[b + 2, b + 1] -= 2.0 * c
        out[b + 2, b + 2] += 4.0 * c
        d = 2.0 * SQRT10 * w[b + 3]
        out[b, b] += d
        out[b, b + 3] -= d
        out[b + 3, b] -= d
        out[b + 3, b + 3] += d


# -- 14 Wood ---------------------------------------------------------------------------------------
# r1 = 10 (x2 - x1^2), r2 = 1 - x1, r3 = sqrt90 (x4 - x3^2), r4 = 1 - x3,
# r5 = sqrt10 (x2 + x4 - 2), r6 = (x2 - x4) / sqrt10
SQRT90 = math.sqrt(90.0)


@jit
def wood_r(x, out):
    out[0] = 10.0 * (x[1] - x[0] * x[0])
    out[1] = 1.0 - x[0]
    out[2] = SQRT90 * (x[3] - x[2] * x[2])
    out[3] = 1.0 - x[2]
    out[4] = SQRT10 * (x[1] + x[3] - 2.0)
    out[5] = (x[1] - x[3]) / SQRT10


@jit
def wood_j(x, out):
    out[:, :] = 0.0
    out[0, 0] = -20.0 * x[0]
    out[0, 1] = 10.0
    out[1, 0] = -1.0
    out[2, 2] = -2.0 * SQRT90 * x[2]
    out[2, 3] = SQRT90
    out[3, 2] = -1.0
    out[4, 1] = SQRT10
    out[4, 3] = SQRT10
    out[5, 1] = 1.0 / SQRT10
    out[5, 3] = -1.0 / SQRT10


@jit
def wood_s(x, w, out):
    out[:, :] = 0.0
    out[0, 0] = -20.0 * w[0]
    out[2, 2] = -2.0 * SQRT90 * w[2]


# -- 15 Kowalik and Osborne: r_i = y_i - x1 (u_i^2 + u_i x2) / (u_i^2 + u_i x3 + x4) ---------------
KOWALIK_Y = np.array([0.1957, 0.1947, 0.1735, 0.1600, 0.0844, 0.0627, 0.0456, 0.0342, 0.0323,
                      0.0235, 0.0246])
KOWALIK_U = np.array([4.0, 2.0, 1.0, 0.5, 0.25, 0.167, 0.125, 0.1, 0.0833, 0.0714, 0.0625])


@jit
def kowalik_osborne_r(x, out):
    for k in range(11):
        u = KOWALIK_U[k]
        out[k] = KOWALIK_Y[k] - x[0] * (u * u + u * x[1]) / (u * u + u * x[2] + x[3])


@jit
def kowalik_osborne_j(x, out):
    for k in range(11):
        u = KOWALIK_U[k]
        num = u * u + u * x[1]
        den = u * u + u * x[2] + x[3]
        out[k, 0] = -num / den
        out[k, 1] = -x[0] * u / den
        out[k, 2] = x[0] * num * u / (den * den)
        out[k, 3] = x[0] * num / (den * den)


@jit
def kowalik_osborne_s(x, w, out):
    """with N = u^2 + u x2, D = u^2 + u x3 + x4, c = (u, 1) for (x3, x4):
    r_12 = -u/D, r_1b = N c_b / D^2, r_2b = x1 u c_b / D^2, r_ab = -2 x1 N c_a c_b / D^3"""
    out[:, :] = 0.0
    a = x[0]
    for k in range(11):
        u = KOWALIK_U[k]
        num = u * u + u * x[1]
        den = u * u + u * x[2] + x[3]
        wk = w[k]
        d2 = den * den
        d3 = d2 * den
        out[0, 1] += -wk * u / den
        out[0, 2] += wk * num * u / d2
        out[0, 3] += wk * num / d2
        out[1, 2] += wk * a * u * u / d2
        out[1, 3] += wk * a * u / d2
        out[2, 2] += -2.0 * wk * a * num * u * u / d3
        out[2, 3] += -2.0 * wk * a * num * u / d3
        out[3, 3] += -2.0 * wk * a * num / d3
    for i in range(4):
        for j in range(i):
            out[i, j] = out[j, i]


# -- 16 Brown and Dennis: r_i = (x1 + t x2 - exp t)^2 + (x3 + x4 sin t - cos t)^2, t = i/5 ---------
@jit
def brown_dennis_r(x, out):
    for k in range(out.shape[0]):
        t = (k + 1.0) / 5.0
        a = x[0] + t * x[1] - math.exp(t)
        b = x[2] + x[3] * math.sin(t) - math.cos(t)
        out[k] = a * a + b * b


@jit
def brown_dennis_j(x, out):
    for k in range(out.shape[0]):
        t = (k + 1.0) / 5.0
        s = math.sin(t)
        a = x[0] + t * x[1] - math.exp(t)
        b = x[2] + x[3] * s - math.cos(t)
        out[k, 0] = 2.0 * a
        out[k, 1] = 2.0 * a * t
        out[k, 2] = 2.0 * b
        out[k, 3] = 2.0 * b * s


@jit
def brown_dennis_s(x, w, out):
    """Hess r_i = 2 (p p' + q q'), p = (1, t, 0, 0), q = (0, 0, 1, sin t)"""
    out[:, :] = 0.0
    for k in range(w.shape[0]):
        t = (k + 1.0) / 5.0
        s = math.sin(t)
        c = 2.0 * w[k]
        out[0, 0] += c
        out[0, 1] += c * t
        out[1, 1] += c * t * t
        out[2, 2] += c
        out[2, 3] += c * s
        out[3, 3] += c * s * s
    out[1, 0] = out[0, 1]
    out[3, 2] = out[2, 3]


# -- 17 Osborne 1: r_i = y_i - (x1 + x2 exp(-t x4) + x3 exp(-t x5)), t = 10 (i - 1) ----------------
OSBORNE1_Y = np.array([0.844, 0.908, 0.932, 0.936, 0.925, 0.908, 0.881, 0.850, 0.818, 0.784,
                       0.751, 0.718, 0.685, 0.658, 0.628, 0.603, 0.580, 0.558, 0.538, 0.522,
                       0.506, 0.490, 0.478, 0.467, 0.457, 0.448, 0.438, 0.431, 0.424, 0.420,
                       0.414, 0.411, 0.406])


@jit
def osborne_1_r(x, out):
    for k in range(33):
        t = 10.0 * k
        out[k] = OSBORNE1_Y[k] - (x[0] + x[1] * math.exp(-t * x[3]) + x[2] * math.exp(-t * x[4]))


@jit
def osborne_1_j(x, out):
    for k in range(33):
        t = 10.0 * k
        e4 = math.exp(-t * x[3])
        e5 = math.exp(-t * x[4])
        out[k, 0] = -1.0
        out[k, 1] = -e4
        out[k, 2] = -e5
        out[k, 3] = t * x[1] * e4
        out[k, 4] = t * x[2] * e5


@jit
def osborne_1_s(x, w, out):
    out[:, :] = 0.0
    for k in range(33):
        t = 10.0 * k
        e4 = w[k] * math.exp(-t * x[3])
        e5 = w[k] * math.exp(-t * x[4])
        out[1, 3] += t * e4
        out[2, 4] += t * e5
        out[3, 3] -= t * t * x[1] * e4
        out[4, 4] -= t * t * x[2] * e5
    out[3, 1] = out[1, 3]
    out[4, 2] = out[2, 4]


# -- 18 Biggs EXP6: r_i = x3 exp(-t x1) - x4 exp(-t x2) + x6 exp(-t x5) - y_i, t = i/10 ------------
# y_i = exp(-t) - 5 exp(-10 t) + 3 exp(-4 t)
@jit
def biggs_exp6_r(x, out):
    for k in range(out.shape[0]):
        t = 0.1 * (k + 1.0)
        y = math.exp(-t) - 5.0 * math.exp(-10.0 * t) + 3.0 * math.exp(-4.0 * t)
        out[k] = (x[2] * math.exp(-t * x[0]) - x[3] * math.exp(-t * x[1])
                  + x[5] * math.exp(-t * x[4]) - y)


@jit
def biggs_exp6_j(x, out):
    for k in range(out.shape[0]):
        t = 0.1 * (k + 1.0)
        e1 = math.exp(-t * x[0])
        e2 = math.exp(-t * x[1])
        e5 = math.exp(-t * x[4])
        out[k, 0] = -t * x[2] * e1
        out[k, 1] = t * x[3] * e2
        out[k, 2] = e1
        out[k, 3] = -e2
        out[k, 4] = -t * x[5] * e5
        out[k, 5] = e5


@jit
def biggs_exp6_s(x, w, out):
    out[:, :] = 0.0
    for k in range(w.shape[0]):
        t = 0.1 * (k + 1.0)
        e1 = w[k] * math.exp(-t * x[0])
        e2 = w[k] * math.exp(-t * x[1])
        e5 = w[k] * math.exp(-t * x[4])
        out[0, 0] += t * t * x[2] * e1
        out[0, 2] -= t * e1
        out[1, 1] -= t * t * x[3] * e2
        out[1, 3] += t * e2
        out[4, 4] += t * t * x[5] * e5
        out[4, 5] -= t * e5
    out[2, 0] = out[0, 2]
    out[3, 1] = out[1, 3]
    out[5, 4] = out[4, 5]


# -- 19 Osborne 2 ----------------------------------------------------------------------------------
# r_i = y_i - (x1 exp(-t x5) + sum_{k=2..4} x_k exp(-(t - x_{k+7})^2 x_{k+4})), t = (i - 1)/10
OSBORNE2_Y = np.array([
    1.366, 1.191, 1.112, 1.013, 0.991, 0.885, 0.831, 0.847, 0.786, 0.725, 0.746, 0.679, 0.608,
    0.655, 0.616, 0.606, 0.602, 0.626, 0.651, 0.724, 0.649, 0.649, 0.694, 0.644, 0.624, 0.661,
    0.612, 0.558, 0.533, 0.495, 0.500, 0.423, 0.395, 0.375, 0.372, 0.391, 0.396, 0.405, 0.428,
    0.429, 0.523, 0.562, 0.607, 0.653, 0.672, 0.708, 0.633, 0.668, 0.645, 0.632, 0.591, 0.559,
    0.597, 0.625, 0.739, 0.710, 0.729, 0.720, 0.636, 0.581, 0.428, 0.292, 0.162, 0.098, 0.054])


@jit
def osborne_2_r(x, out):
    for k in range(65):
        t = k / 10.0
        s = x[0] * math.exp(-t * x[4])
        for b in range(1, 4):
            d = t - x[b + 7]
            s += x[b] * math.exp(-d * d * x[b + 4])
        out[k] = OSBORNE2_Y[k] - s


@jit
def osborne_2_j(x, out):
    """bump c exp(-d^2 s), d = t - mu: d/dc = g, d/ds = -c d^2 g, d/dmu = 2 c d s g"""
    out[:, :] = 0.0
    for k in range(65):
        t = k / 10.0
        e = math.exp(-t * x[4])
        out[k, 0] = -e
        out[k, 4] = t * x[0] * e
        for b in range(1, 4):
            d = t - x[b + 7]
            g = math.exp(-d * d * x[b + 4])
            out[k, b] = -g
            out[k, b + 4] = x[b] * d * d * g
            out[k, b + 7] = -2.0 * x[b] * d * x[b + 4] * g


@jit
def osborne_2_s(x, w, out):
    """minus the Hessian of the model: exponential x1 e^{-t x5}: (1,5) -t e, (5,5) t^2 x1 e;
    bump c g (g = exp(-d^2 s)): (c,s) -d^2 g, (c,mu) 2 d s g, (s,s) c d^4 g,
    (s,mu) c g (2 d - 2 d^3 s), (mu,mu) 2 c s g (2 d^2 s - 1)"""
    out[:, :] = 0.0
    for k in range(65):
        t = k / 10.0
        wk = w[k]
        e = wk * math.exp(-t * x[4])
        out[0, 4] -= -t * e
        out[4, 4] -= t * t * x[0] * e
        for b in range(1, 4):
            c = x[b]
            s = x[b + 4]
            d = t - x[b + 7]
            g = wk * math.exp(-d * d * s)
            out[b, b + 4] -= -d * d * g
            out[b, b + 7] -= 2.0 * d * s * g
            out[b + 4, b + 4] -= c * d * d * d * d * g
            out[b + 4, b + 7] -= c * g * (2.0 * d - 2.0 * d * d * d * s)
            out[b + 7, b + 7] -= 2.0 * c * s * g * (2.0 * d * d * s - 1.0)
    for i in range(11):
        for j in range(i):
            out[i, j] = out[j, i]


# -- 20 Watson: for t = i/29, i = 1..29: -----------------------------------------------------------
# r_i = sum_{j=2}^n (j-1) x_j t^(j-2) - (sum_{j=1}^n x_j t^(j-1))^2 - 1;
# r_30 = x1, r_31 = x2 - x1^2 - 1
@jit
def watson_r(x, out):
    n = x.shape[0]
    for k in range(29):
        t = (k + 1.0) / 29.0
        s1 = 0.0  # sum (j-1) x_j t^(j-2)
        s2 = x[0]  # sum x_j t^(j-1)
        p = 1.0  # t^(j-2)
        for j in range(1, n):
            s1 += j * x[j] * p
            p *= t
            s2 += x[j] * p
        out[k] = s1 - s2 * s2 - 1.0
    out[29] = x[0]
    out[30] = x[1] - x[0] * x[0] - 1.0


@jit
def watson_j(x, out):
    n = x.shape[0]
    out[:, :] = 0.0
    for k in range(29):
        t = (k + 1.0) / 29.0
        s2 = 0.0
        p = 1.0
        for j in range(n):
            s2 += x[j] * p
            p *= t
        p = 1.0  # t^(j-1)
        pm = 0.0  # t^(j-2)
        for j in range(n):
            out[k, j] = j * pm - 2.0 * s2 * p
            pm = p
            p *= t
    out[29, 0] = 1.0
    out[30, 0] = -2.0 * x[0]
    out[30, 1] = 1.0


@jit
def watson_s(x, w, out):
    """Hess r_i = -2 v v', v_j = t^(j-1) (i <= 29); Hess r_31 = -2 e_1 e_1'"""
    n = x.shape[0]
    out[:, :] = 0.0
    for k in range(29):
        t = (k + 1.0) / 29.0
        c = -2.0 * w[k]
        pa = 1.0
        for a in range(n):
            pb = pa
            for b in range(a, n):
                out[a, b] += c * pa * pb
                pb *= t
            pa *= t
    out[0, 0] -= 2.0 * w[30]
    for a in range(n):
        for b in range(a):
            out[a, b] = out[b, a]


# -- 21 extended Rosenbrock: r_{2i-1} = 10 (x_{2i} - x_{2i-1}^2), r_{2i} = 1 - x_{2i-1} ------------
@jit
def extended_rosenbrock_r(x, out):
    for b in range(0, x.shape[0], 2):
        out[b] = 10.0 * (x[b + 1] - x[b] * x[b])
        out[b + 1] = 1.0 - x[b]


@jit
def extended_rosenbrock_j(x, out):
    out[:, :] = 0.0
    for b in range(0, x.shape[0], 2):
        out[b, b] = -20.0 * x[b]
        out[b, b + 1] = 10.0
        out[b + 1, b] = -1.0


@jit
def extended_rosenbrock_s(x, w, out):
    out[:, :] = 0.0
    for b in range(0, x.shape[0], 2):
        out[b, b] = -20.0 * w[b]


# -- 23 penalty I: r_i = sqrt(a) (x_i - 1), i <= n; r_{n+1} = sum x_j^2 - 1/4; a = 1e-5 ------------
PENALTY_SQRT_A = math.sqrt(1e-5)


@jit
def penalty_1_r(x, out):
    n = x.shape[0]
    s = 0.0
    for j in range(n):
        out[j] = PENALTY_SQRT_A * (x[j] - 1.0)
        s += x[j] * x[j]
    out[n] = s - 0.25


@jit
def penalty_1_j(x, out):
    n = x.shape[0]
    out[:, :] = 0.0
    for j in range(n):
        out[j, j] = PENALTY_SQRT_A
        out[n, j] = 2.0 * x[j]


@jit
def penalty_1_s(x, w, out):
    n = x.shape[0]
    out[:, :] = 0.0
    for j in range(n):
        out[j, j] = 2.0 * w[n]


# -- 24 penalty II (m = 2n), a = 1e-5, y_i = exp(i/10) + exp((i-1)/10) -----------------------------
# r_1 = x1 - 0.2; r_i = sqrt(a) (exp(x_i/10) + exp(x_{i-1}/10) - y_i), 2 <= i <= n;
# r_i = sqrt(a) (exp(x_{i-n+1}/10) - exp(-1/10)), n < i < 2n; r_2n = sum_j (n - j + 1) x_j^2 - 1
@jit
def penalty_2_r(x, out):
    n = x.shape[0]
    out[0] = x[0] - 0.2
    for i in range(1, n):  # residual i+1 (1-based)
        y = math.exp((i + 1.0) / 10.0) + math.exp(i / 10.0)
        out[i] = PENALTY_SQRT_A * (math.exp(x[i] / 10.0) + math.exp(x[i - 1] / 10.0) - y)
    for i in range(1, n):  # residual n+i (1-based) uses x_{i+1}
        out[n + i - 1] = PENALTY_SQRT_A * (math.exp(x[i] / 10.0) - math.exp(-0.1))
    s = 0.0
    for j in range(n):
        s += (n - j) * x[j] * x[j]
    out[2 * n - 1] = s - 1.0


@jit
def penalty_2_j(x, out):
    n = x.shape[0]
    out[:, :] = 0.0
    out[0, 0] = 1.0
    for i in range(1, n):
        out[i, i] = PENALTY_SQRT_A * math.exp(x[i] / 10.0) / 10.0
        out[i, i - 1] = PENALTY_SQRT_A * math.exp(x[i - 1] / 10.0) / 10.0
        out[n + i - 1, i] = PENALTY_SQRT_A * math.exp(x[i] / 10.0) / 10.0
    for j in range(n):
        out[2 * n - 1, j] = 2.0 * (n - j) * x[j]


@jit
def penalty_2_s(x, w, out):
    n = x.shape[0]
    out[:, :] = 0.0
    for i in range(1, n):
        out[i, i] += w[i] * PENALTY_SQRT_A * math.exp(x[i] / 10.0) / 100.0
        out[i - 1, i - 1] += w[i] * PENALTY_SQRT_A * math.exp(x[i - 1] / 10.0) / 100.0
        out[i, i] += w[n + i - 1] * PENALTY_SQRT_A * math.exp(x[i] / 10.0) / 100.0
    for j in range(n):
        out[j, j] += 2.0 * (n - j) * w[2 * n - 1]


# -- 25 variably dimensioned: r_i = x_i - 1; r_{n+1} = sum j (x_j - 1); r_{n+2} = r_{n+1}^2 --------
@jit
def variably_dimensioned_r(x, out):
    n = x.shape[0]
    s = 0.0
    for j in range(n):
        out[j] = x[j] - 1.0
        s += (j + 1.0) * (x[j] - 1.0)
    out[n] = s
    out[n + 1] = s * s


@jit
def variably_dimensioned_j(x, out):
    n = x.shape[0]
    s = 0.0
    for j in range(n):
        s += (j + 1.0) * (x[j] - 1.0)
    out[:, :] = 0.0
    for j in range(n):
        out[j, j] = 1.0
        out[n, j] = j + 1.0
        out[n + 1, j] = 2.0 * s * (j + 1.0)


@jit
def variably_dimensioned_s(x, w, out):
    n = x.shape[0]
    for a in range(n):
        for b in range(a, n):
            out[a, b] = 2.0 * w[n + 1] * (a + 1.0) * (b + 1.0)
            out[b, a] = out[a, b]


# -- 26 trigonometric: r_i = n - sum_j cos x_j + i (1 - cos x_i) - sin x_i -------------------------
@jit
def trigonometric_r(x, out):
    n = x.shape[0]
    c = 0.0
    for j in range(n):
        c += math.cos(x[j])
    for i in range(n):
        out[i] = n - c + (i + 1.0) * (1.0 - math.cos(x[i])) - math.sin(x[i])


@jit
def trigonometric_j(x, out):
    n = x.shape[0]
    for i in range(n):
        for j in range(n):
            out[i, j] = math.sin(x[j])
        out[i, i] += (i + 1.0) * math.sin(x[i]) - math.cos(x[i])


@jit
def trigonometric_s(x, w, out):
    """Hess r_i = diag(cos x_j) + (i cos x_i + sin x_i) e_i e_i'"""
    n = x.shape[0]
    sw = 0.0
    for i in range(n):
        sw += w[i]
    out[:, :] = 0.0
    for j in range(n):
        out[j, j] = sw * math.cos(x[j]) + w[j] * ((j + 1.0) * math.cos(x[j]) + math.sin(x[j]))


# -- 27 Brown almost-linear: r_i = x_i + sum_j x_j - (n + 1), i < n; r_n = prod_j x_j - 1 ----------
@jit
def brown_almost_linear_r(x, out):
    n = x.shape[0]
    s = 0.0
    p = 1.0
    for j in range(n):
        s += x[j]
        p *= x[j]
    for i in range(n - 1):
        out[i] = x[i] + s - (n + 1.0)
    out[n - 1] = p - 1.0


@jit
def brown_almost_linear_j(x, out):
    n = x.shape[0]
    for i in range(n - 1):
        for j in range(n):
            out[i, j] = 1.0
        out[i, i] = 2.0
    for j in range(n):  # prod over k != j, without dividing (x may hold zeros)
        p = 1.0
        for k in range(n):
            if k != j:
                p *= x[k]
        out[n - 1, j] = p


@jit
def brown_almost_linear_s(x, w, out):
    n = x.shape[0]
    for a in range(n):
        out[a, a] = 0.0
        for b in range(a + 1, n):
            p = w[n - 1]
            for k in range(n):
                if k != a and k != b:
                    p *= x[k]
            out[a, b] = p
            out[b, a] = p


# -- 28 discrete boundary value: r_i = 2 x_i - x_{i-1} - x_{i+1} + h^2 (x_i + t_i + 1)^3 / 2 -------
# h = 1/(n+1), t_i = i h, x_0 = x_{n+1} = 0
@jit
def discrete_boundary_value_r(x, out):
    n = x.shape[0]
    h = 1.0 / (n + 1.0)
    for i in range(n):
        left = x[i - 1] if i > 0 else 0.0
        right = x[i + 1] if i < n - 1 else 0.0
        u = x[i] + (i + 1.0) * h + 1.0
        out[i] = 2.0 * x[i] - left - right + 0.5 * h * h * u * u * u


@jit
def discrete_boundary_value_j(x, out):
    n = x.shape[0]
    h = 1.0 / (n + 1.0)
    out[:, :] = 0.0
    for i in range(n):
        u = x[i] + (i + 1.0) * h + 1.0
        out[i, i] = 2.0 + 1.5 * h * h * u * u
        if i > 0:
            out[i, i - 1] = -1.0
        if i < n - 1:
            out[i, i + 1] = -1.0


@jit
def discrete_boundary_value_s(x, w, out):
    n = x.shape[0]
    h = 1.0 / (n + 1.0)
    out[:, :] = 0.0
    for i in range(n):
        out[i, i] = 3.0 * h * h * (x[i] + (i + 1.0) * h + 1.0) * w[i]


# -- 29 discrete integral equation -----------------------------------------------------------------
# r_i = x_i + h [(1 - t_i) sum_{j<=i} t_j u_j^3 + t_i sum_{j>i} (1 - t_j) u_j^3] / 2,
# u_j = x_j + t_j + 1
@jit
def integral_weight(i, j, h):
    """kernel of residual i at point j (0-based): (1 - t_i) t_j for j <= i, else t_i (1 - t_j)"""
    ti = (i + 1.0) * h
    tj = (j + 1.0) * h
    return (1.0 - ti) * tj if j <= i else ti * (1.0 - tj)


@jit
def discrete_integral_equation_r(x, out):
    n = x.shape[0]
    h = 1.0 / (n + 1.0)
    for i in range(n):
        s = 0.0
        for j in range(n):
            u = x[j] + (j + 1.0) * h + 1.0
            s += integral_weight(i, j, h) * u * u * u
        out[i] = x[i] + 0.5 * h * s


@jit
def discrete_integral_equation_j(x, out):
    n = x.shape[0]
    h = 1.0 / (n + 1.0)
    for i in range(n):
        for j in range(n):
            u = x[j] + (j + 1.0) * h + 1.0
            out[i, j] = 1.5 * h * integral_weight(i, j, h) * u * u
        out[i, i] += 1.0


@jit
def discrete_integral_equation_s(x, w, out):
    n = x.shape[0]
    h = 1.0 / (n + 1.0)
    out[:, :] = 0.0
    for j in range(n):
        u = x[j] + (j + 1.0) * h + 1.0
        s = 0.0
        for i in range(n):
            s += w[i] * integral_weight(i, j, h)
        out[j, j] = 3.0 * h * u * s


# -- 30 Broyden tridiagonal: r_i = (3 - 2 x_i) x_i - x_{i-1} - 2 x_{i+1} + 1, x_0 = x_{n+1} = 0 ----
@jit
def broyden_tridiagonal_r(x, out):
    n = x.shape[0]
    for i in range(n):
        left = x[i - 1] if i > 0 else 0.0
        right = x[i + 1] if i < n - 1 else 0.0
        out[i] = (3.0 - 2.0 * x[i]) * x[i] - left - 2.0 * right + 1.0


@jit
def broyden_tridiagonal_j(x, out):
    n = x.shape[0]
    out[:, :] = 0.0
    for i in range(n):
        out[i, i] = 3.0 - 4.0 * x[i]
        if i > 0:
            out[i, i - 1] = -1.0
        if i < n - 1:
            out[i, i + 1] = -2.0


@jit
def broyden_tridiagonal_s(x, w, out):
    out[:, :] = 0.0
    for i in range(x.shape[0]):
        out[i, i] = -4.0 * w[i]


# -- 31 Broyden banded: r_i = x_i (2 + 5 x_i^2) + 1 - sum_{j in J_i} x_j (1 + x_j) -----------------
# J_i = {j != i : max(1, i - 5) <= j <= min(n, i + 1)}
@jit
def broyden_banded_r(x, out):
    n = x.shape[0]
    for i in range(n):
        s = 0.0
        for j in range(max(0, i - 5), min(n, i + 2)):
            if j != i:
                s += x[j] * (1.0 + x[j])
        out[i] = x[i] * (2.0 + 5.0 * x[i] * x[i]) + 1.0 - s


@jit
def broyden_banded_j(x, out):
    n = x.shape[0]
    out[:, :] = 0.0
    for i in range(n):
        for j in range(max(0, i - 5), min(n, i + 2)):
            out[i, j] = -(1.0 + 2.0 * x[j])
        out[i, i] = 2.0 + 15.0 * x[i] * x[i]


@jit
def broyden_banded_s(x, w, out):
    n = x.shape[0]
    out[:, :] = 0.0
    for i in range(n):
        for j in range(max(0, i - 5), min(n, i + 2)):
            if j != i:
                out[j, j] -= 2.0 * w[i]
        out[i, i] += 30.0 * x[i] * w[i]


# -- 32 linear function, full rank -----------------------------------------------------------------
# r_i = x_i - (2/m) sum_j x_j - 1 (i <= n), r_i = -(2/m) sum_j x_j - 1 (n < i <= m)
@jit
def linear_full_rank_r(x, out):
    n = x.shape[0]
    m = out.shape[0]
    s = 0.0
    for j in range(n):
        s += x[j]
    for i in range(m):
        out[i] = -2.0 * s / m - 1.0
    for i in range(n):
        out[i] += x[i]


@jit
def linear_full_rank_j(x, out):
    n = x.shape[0]
    m = out.shape[0]
    out[:, :] = -2.0 / m
    for i in range(n):
        out[i, i] += 1.0


@jit
def zero_second_order(x, w, out):
    """the second-order term of linear residuals"""
    out[:, :] = 0.0


# -- 33 linear function, rank 1: r_i = i (sum_j j x_j) - 1 -----------------------------------------
@jit
def linear_rank_1_r(x, out):
    s = 0.0
    for j in range(x.shape[0]):
        s += (j + 1.0) * x[j]
    for i in range(out.shape[0]):
        out[i] = (i + 1.0) * s - 1.0


@jit
def linear_rank_1_j(x, out):
    for i in range(out.shape[0]):
        for j in range(x.shape[0]):
            out[i, j] = (i + 1.0) * (j + 1.0)


# -- 34 linear function, rank 1 with zero columns and rows -----------------------------------------
# r_1 = r_m = -1, r_i = (i - 1) (sum_{j=2}^{n-1} j x_j) - 1 for 2 <= i <= m-1
@jit
def linear_rank_1_zero_r(x, out):
    n = x.shape[0]
    m = out.shape[0]
    s = 0.0
    for j in range(1, n - 1):
        s += (j + 1.0) * x[j]
    for i in range(m):
        out[i] = i * s - 1.0
    out[m - 1] = -1.0


@jit
def linear_rank_1_zero_j(x, out):
    n = x.shape[0]
    m = out.shape[0]
    out[:, :] = 0.0
    for i in range(1, m - 1):
        for j in range(1, n - 1):
            out[i, j] = i * (j + 1.0)


# -- 35 Chebyquad: r_i = (1/n) sum_j T_i(x_j) - int_0^1 T_i, T_i the shifted Chebyshev polynomials -
# T_i(x) = C_i(2x - 1): C_0 = 1, C_1 = y, C_{k+1} = 2y C_k - C_{k-1}; int_0^1 T_i = -1/(i^2 - 1)
# for i even, 0 for i odd. Derivatives in y: D_{k+1} = 2 C_k + 2y D_k - D_{k-1},
# E_{k+1} = 4 D_k + 2y E_k - E_{k-1}; d/dx = 2 d/dy.
@jit
def chebyquad_r(x, out):
    n = x.shape[0]
    m = out.shape[0]
    out[:] = 0.0
    for j in range(n):
        y = 2.0 * x[j] - 1.0
        c0 = 1.0
        c1 = y
        for i in range(m):
            out[i] += c1
            c0, c1 = c1, 2.0 * y * c1 - c0
    for i in range(m):
        out[i] /= n
        k = i + 1
        if k % 2 == 0:
            out[i] += 1.0 / (k * k - 1.0)


@jit
def chebyquad_j(x, out):
    n = x.shape[0]
    m = out.shape[0]
    for j in range(n):
        y = 2.0 * x[j] - 1.0
        c0, c1 = 1.0, y
        d0, d1 = 0.0, 1.0
        for i in range(m):
            out[i, j] = 2.0 * d1 / n
            c0, c1, d0, d1 = c1, 2.0 * y * c1 - c0, d1, 2.0 * c1 + 2.0 * y * d1 - d0


@jit
def chebyquad_s(x, w, out):
    n = x.shape[0]
    m = w.shape[0]
    out[:, :] = 0.0
    for j in range(n):
        y = 2.0 * x[j] - 1.0
        c0, c1 = 1.0, y
        d0, d1 = 0.0, 1.0
        e0, e1 = 0.0, 0.0
        s = 0.0
        for i in range(m):
            s += w[i] * e1
            c0, c1, d0, d1, e0, e1 = (c1, 2.0 * y * c1 - c0, d1, 2.0 * c1 + 2.0 * y * d1 - d0,
                                      e1, 4.0 * d1 + 2.0 * y * e1 - e0)
        out[j, j] = 4.0 * s / n


# == More & Wild (2009) problems 19-22 (CUTEr), not in MGH =========================================

# -- BDQRTIC (m = 2 (n - 4)): r_i = 3 - 4 x_i ------------------------------------------------------
# r_{n-4+i} = x_i^2 + 2 x_{i+1}^2 + 3 x_{i+2}^2 + 4 x_{i+3}^2 + 5 x_n^2, i = 1..n-4
@jit
def bdqrtic_r(x, out):
    n = x.shape[0]
    for i in range(n - 4):
        out[i] = 3.0 - 4.0 * x[i]
        out[n - 4 + i] = (x[i] ** 2 + 2.0 * x[i + 1] ** 2 + 3.0 * x[i + 2] ** 2
                          + 4.0 * x[i + 3] ** 2 + 5.0 * x[n - 1] ** 2)


@jit
def bdqrtic_j(x, out):
    n = x.shape[0]
    out[:, :] = 0.0
    for i in range(n - 4):
        out[i, i] = -4.0
        for k in range(4):
            out[n - 4 + i, i + k] = 2.0 * (k + 1.0) * x[i + k]
        out[n - 4 + i, n - 1] = 10.0 * x[n - 1]


@jit
def bdqrtic_s(x, w, out):
    n = x.shape[0]
    out[:, :] = 0.0
    for i in range(n - 4):
        c = w[n - 4 + i]
        for k in range(4):
            out[i + k, i + k] += 2.0 * (k + 1.0) * c
        out[n - 1, n - 1] += 10.0 * c


# -- CUBE: r_1 = x_1 - 1, r_i = 10 (x_i - x_{i-1}^3) -----------------------------------------------
@jit
def cube_r(x, out):
    out[0] = x[0] - 1.0
    for i in range(1, x.shape[0]):
        out[i] = 10.0 * (x[i] - x[i - 1] ** 3)


@jit
def cube_j(x, out):
    out[:, :] = 0.0
    out[0, 0] = 1.0
    for i in range(1, x.shape[0]):
        out[i, i] = 10.0
        out[i, i - 1] = -30.0 * x[i - 1] * x[i - 1]


@jit
def cube_s(x, w, out):
    out[:, :] = 0.0
    for i in range(1, x.shape[0]):
        out[i - 1, i - 1] = -60.0 * x[i - 1] * w[i]


# -- MANCINO: r_i = 1400 x_i + (i - 50)^3 + sum_j g(v_ij), v_ij = sqrt(x_i^2 + i/j) ----------------
# g(v) = v (sin^5(ln v) + cos^5(ln v)); r_i depends on x_i only (the Jacobian is diagonal).
# With s = sin(ln v), c = cos(ln v): g' = s^5 + c^5 + 5 s^4 c - 5 c^4 s,
# g'' = (5 s^4 c - 5 c^4 s + 20 s^3 c^2 + 20 c^3 s^2 - 5 s^5 - 5 c^5) / v;
# dv/dx_i = x_i / v, d2v/dx_i^2 = (i/j) / v^3.
@jit
def mancino_r(x, out):
    n = x.shape[0]
    for i in range(n):
        s = 0.0
        for j in range(n):
            v = math.sqrt(x[i] * x[i] + (i + 1.0) / (j + 1.0))
            lv = math.log(v)
            s += v * (math.sin(lv) ** 5 + math.cos(lv) ** 5)
        out[i] = 1400.0 * x[i] + (i - 49.0) ** 3 + s


@jit
def mancino_diagonal(x, i, second):
    """dr_i/dx_i (second=False) or d2r_i/dx_i^2 (second=True)"""
    n = x.shape[0]
    total = 0.0 if second else 1400.0
    for j in range(n):
        q = (i + 1.0) / (j + 1.0)
        v = math.sqrt(x[i] * x[i] + q)
        lv = math.log(v)
        s = math.sin(lv)
        c = math.cos(lv)
        g1 = s ** 5 + c ** 5 + 5.0 * s ** 4 * c - 5.0 * c ** 4 * s
        dv = x[i] / v
        if second:
            g2 = (5.0 * s ** 4 * c - 5.0 * c ** 4 * s + 20.0 * s ** 3 * c * c
                  + 20.0 * c ** 3 * s * s - 5.0 * s ** 5 - 5.0 * c ** 5) / v
            total += g2 * dv * dv + g1 * q / (v * v * v)
        else:
            total += g1 * dv
    return total


@jit
def mancino_j(x, out):
    out[:, :] = 0.0
    for i in range(x.shape[0]):
        out[i, i] = mancino_diagonal(x, i, False)


@jit
def mancino_s(x, w, out):
    out[:, :] = 0.0
    for i in range(x.shape[0]):
        out[i, i] = w[i] * mancino_diagonal(x, i, True)


# -- HEART8 (the 8 equations of a heart dipole model) ----------------------------------------------
# With z_1 = x1 + i x3, z_2 = x2 + i x4, w_1 = x5 + i x7, w_2 = x6 + i x8 (i the imaginary unit):
# r_{2k+1} + i r_{2k+2} = z_1 w_1^k + z_2 w_2^k - (y_{2k+1} + i y_{2k+2}), k = 0..3
# (written out: r1 = x1 + x2 - y1, r3 = x5 x1 + x6 x2 - x7 x3 - x8 x4 - y3, ...).
HEART8_Y = np.array([-0.69, -0.044, -1.57, -1.31, -2.65, 2.0, -12.6, 9.48])


@jit
def heart8_r(x, out):
    for k in range(8):
        out[k] = -HEART8_Y[k]
    for g in range(2):  # the two groups (x1, x3, x5, x7) and (x2, x4, x6, x8)
        z = complex(x[g], x[g + 2])
        w = complex(x[g + 4], x[g + 6])
        p = z
        for k in range(4):
            out[2 * k] += p.real
            out[2 * k + 1] += p.imag
            p *= w


@jit
def heart8_j(x, out):
    """d(z w^k) = w^k dz + k z w^(k-1) dw; dz/da = 1, dz/db = i (z = a + ib), likewise w"""
    for g in range(2):
        z = complex(x[g], x[g + 2])
        w = complex(x[g + 4], x[g + 6])
        wk = complex(1.0, 0.0)  # w^k
        kwk = complex(0.0, 0.0)  # k w^(k-1)
        for k in range(4):
            dw = z * kwk
            out[2 * k, g] = wk.real
            out[2 * k, g + 2] = -wk.imag
            out[2 * k, g + 4] = dw.real
            out[2 * k, g + 6] = -dw.imag
            out[2 * k + 1, g] = wk.imag
            out[2 * k + 1, g + 2] = wk.real
            out[2 * k + 1, g + 4] = dw.imag
            out[2 * k + 1, g + 6] = dw.real
            kwk = kwk * w + wk
            wk = wk * w


@jit
def heart8_s(x, w, out):
    """second derivatives of z w^k: d2/dz dw = k w^(k-1), d2/dw2 = k (k-1) z w^(k-2) (complex
    derivatives; a real direction a and an imaginary one b multiply them by 1 and i)"""
    out[:, :] = 0.0
    for g in range(2):
        z = complex(x[g], x[g + 2])
        v = complex(x[g + 4], x[g + 6])
        ia = (g, g + 2)  # (real, imaginary) variables of z
        ib = (g + 4, g + 6)  # of w
        units = (complex(1.0, 0.0), complex(0.0, 1.0))
        vk = complex(1.0, 0.0)  # v^(k-1) for k >= 1
        vk2 = complex(0.0, 0.0)  # (k-1) v^(k-2)
        for k in range(1, 4):
            zw = k * vk  # d2 (z v^k) / dz dv
            ww = k * z * vk2  # d2 (z v^k) / dv^2 = k (k-1) z v^(k-2)
            wr = w[2 * k]
            wi = w[2 * k + 1]
            for p in range(2):
                for q in range(2):
                    c = zw * units[p] * units[q]
                    val = wr * c.real + wi * c.imag
                    out[ia[p], ib[q]] += val
                    out[ib[q], ia[p]] += val
                    c = ww * units[p] * units[q]
                    out[ib[p], ib[q]] += wr * c.real + wi * c.imag
            vk2 = vk2 * v + vk
            vk = vk * v


# == one oracle for the whole collection =========================================================
# Every function above gets an id, its index in FUNCTIONS. The dispatchers below call the
# function of a given id, so that all problems of the collection share ONE compiled f, grad, fg
# and hess (built by sum_of_squares from the dispatchers), with the id in the oracle's data:
# a solver compiled for one of them serves them all (compiling a solver once per function
# would cost 35-39 compilations of several seconds each). FUNCTIONS is the single table;
# tests/test_mgh.py checks that each dispatcher calls the functions listed there.
FUNCTIONS = (
    ("rosenbrock", rosenbrock_r, rosenbrock_j, rosenbrock_s),
    ("freudenstein_roth", freudenstein_roth_r, freudenstein_roth_j, freudenstein_roth_s),
    ("powell_badly_scaled", powell_badly_scaled_r, powell_badly_scaled_j, powell_badly_scaled_s),
    ("brown_badly_scaled", brown_badly_scaled_r, brown_badly_scaled_j, brown_badly_scaled_s),
    ("beale", beale_r, beale_j, beale_s),
    ("jennrich_sampson", jennrich_sampson_r, jennrich_sampson_j, jennrich_sampson_s),
    ("helical_valley", helical_valley_r, helical_valley_j, helical_valley_s),
    ("bard", bard_r, bard_j, bard_s),
    ("gaussian", gaussian_r, gaussian_j, gaussian_s),
    ("meyer", meyer_r, meyer_j, meyer_s),
    ("gulf", gulf_r, gulf_j, gulf_s),
    ("box_3d", box_3d_r, box_3d_j, box_3d_s),
    ("powell_singular", powell_singular_r, powell_singular_j, powell_singular_s),
    ("wood", wood_r, wood_j, wood_s),
    ("kowalik_osborne", kowalik_osborne_r, kowalik_osborne_j, kowalik_osborne_s),
    ("brown_dennis", brown_dennis_r, brown_dennis_j, brown_dennis_s),
    ("osborne_1", osborne_1_r, osborne_1_j, osborne_1_s),
    ("biggs_exp6", biggs_exp6_r, biggs_exp6_j, biggs_exp6_s),
    ("osborne_2", osborne_2_r, osborne_2_j, osborne_2_s),
    ("watson", watson_r, watson_j, watson_s),
    ("extended_rosenbrock", extended_rosenbrock_r, extended_rosenbrock_j, extended_rosenbrock_s),
    ("penalty_1", penalty_1_r, penalty_1_j, penalty_1_s),
    ("penalty_2", penalty_2_r, penalty_2_j, penalty_2_s),
    ("variably_dimensioned", variably_dimensioned_r, variably_dimensioned_j,
     variably_dimensioned_s),
    ("trigonometric", trigonometric_r, trigonometric_j, trigonometric_s),
    ("brown_almost_linear", brown_almost_linear_r, brown_almost_linear_j, brown_almost_linear_s),
    ("discrete_boundary_value", discrete_boundary_value_r, discrete_boundary_value_j,
     discrete_boundary_value_s),
    ("discrete_integral_equation", discrete_integral_equation_r, discrete_integral_equation_j,
     discrete_integral_equation_s),
    ("broyden_tridiagonal", broyden_tridiagonal_r, broyden_tridiagonal_j, broyden_tridiagonal_s),
    ("broyden_banded", broyden_banded_r, broyden_banded_j, broyden_banded_s),
    ("linear_full_rank", linear_full_rank_r, linear_full_rank_j, zero_second_order),
    ("linear_rank_1", linear_rank_1_r, linear_rank_1_j, zero_second_order),
    ("linear_rank_1_zero", linear_rank_1_zero_r, linear_rank_1_zero_j, zero_second_order),
    ("chebyquad", chebyquad_r, chebyquad_j, chebyquad_s),
    ("bdqrtic", bdqrtic_r, bdqrtic_j, bdqrtic_s),
    ("cube", cube_r, cube_j, cube_s),
    ("mancino", mancino_r, mancino_j, mancino_s),
    ("heart8", heart8_r, heart8_j, heart8_s),
)
ID = {name: k for k, (name, *_) in enumerate(FUNCTIONS)}


@jit
def residual(pid, x, out):
    """out = r(x) of function ``pid`` (its index in FUNCTIONS)"""
    if pid == 0:
        rosenbrock_r(x, out)
    elif pid == 1:
        freudenstein_roth_r(x, out)
    elif pid == 2:
        powell_badly_scaled_r(x, out)
    elif pid == 3:
        brown_badly_scaled_r(x, out)
    elif pid == 4:
        beale_r(x, out)
    elif pid == 5:
        jennrich_sampson_r(x, out)
    elif pid == 6:
        helical_valley_r(x, out)
    elif pid == 7:
        bard_r(x, out)
    elif pid == 8:
        gaussian_r(x, out)
    elif pid == 9:
        meyer_r(x, out)
    elif pid == 10:
        gulf_r(x, out)
    elif pid == 11:
        box_3d_r(x, out)
    elif pid == 12:
        powell_singular_r(x, out)
    elif pid == 13:
        wood_r(x, out)
    elif pid == 14:
        kowalik_osborne_r(x, out)
    elif pid == 15:
        brown_dennis_r(x, out)
    elif pid == 16:
        osborne_1_r(x, out)
    elif pid == 17:
        biggs_exp6_r(x, out)
    elif pid == 18:
        osborne_2_r(x, out)
    elif pid == 19:
        watson_r(x, out)
    elif pid == 20:
        extended_rosenbrock_r(x, out)
    elif pid == 21:
        penalty_1_r(x, out)
    elif pid == 22:
        penalty_2_r(x, out)
    elif pid == 23:
        variably_dimensioned_r(x, out)
    elif pid == 24:
        trigonometric_r(x, out)
    elif pid == 25:
        brown_almost_linear_r(x, out)
    elif pid == 26:
        discrete_boundary_value_r(x, out)
    elif pid == 27:
        discrete_integral_equation_r(x, out)
    elif pid == 28:
        broyden_tridiagonal_r(x, out)
    elif pid == 29:
        broyden_banded_r(x, out)
    elif pid == 30:
        linear_full_rank_r(x, out)
    elif pid == 31:
        linear_rank_1_r(x, out)
    elif pid == 32:
        linear_rank_1_zero_r(x, out)
    elif pid == 33:
        chebyquad_r(x, out)
    elif pid == 34:
        bdqrtic_r(x, out)
    elif pid == 35:
        cube_r(x, out)
    elif pid == 36:
        mancino_r(x, out)
    elif pid == 37:
        heart8_r(x, out)


@jit
def jacobian(pid, x, out):
    """out = J(x) of function ``pid`` (its index in FUNCTIONS)"""
    if pid == 0:
        rosenbrock_j(x, out)
    elif pid == 1:
        freudenstein_roth_j(x, out)
    elif pid == 2:
        powell_badly_scaled_j(x, out)
    elif pid == 3:
        brown_badly_scaled_j(x, out)
    elif pid == 4:
        beale_j(x, out)
    elif pid == 5:
        jennrich_sampson_j(x, out)
    elif pid == 6:
        helical_valley_j(x, out)
    elif pid == 7:
        bard_j(x, out)
    elif pid == 8:
        gaussian_j(x, out)
    elif pid == 9:
        meyer_j(x, out)
    elif pid == 10:
        gulf_j(x, out)
    elif pid == 11:
        box_3d_j(x, out)
    elif pid == 12:
        powell_singular_j(x, out)
    elif pid == 13:
        wood_j(x, out)
    elif pid == 14:
        kowalik_osborne_j(x, out)
    elif pid == 15:
        brown_dennis_j(x, out)
    elif pid == 16:
        osborne_1_j(x, out)
    elif pid == 17:
        biggs_exp6_j(x, out)
    elif pid == 18:
        osborne_2_j(x, out)
    elif pid == 19:
        watson_j(x, out)
    elif pid == 20:
        extended_rosenbrock_j(x, out)
    elif pid == 21:
        penalty_1_j(x, out)
    elif pid == 22:
        penalty_2_j(x, out)
    elif pid == 23:
        variably_dimensioned_j(x, out)
    elif pid == 24:
        trigonometric_j(x, out)
    elif pid == 25:
        brown_almost_linear_j(x, out)
    elif pid == 26:
        discrete_boundary_value_j(x, out)
    elif pid == 27:
        discrete_integral_equation_j(x, out)
    elif pid == 28:
        broyden_tridiagonal_j(x, out)
    elif pid == 29:
        broyden_banded_j(x, out)
    elif pid == 30:
        linear_full_rank_j(x, out)
    elif pid == 31:
        linear_rank_1_j(x, out)
    elif pid == 32:
        linear_rank_1_zero_j(x, out)
    elif pid == 33:
        chebyquad_j(x, out)
    elif pid == 34:
        bdqrtic_j(x, out)
    elif pid == 35:
        cube_j(x, out)
    elif pid == 36:
        mancino_j(x, out)
    elif pid == 37:
        heart8_j(x, out)


@jit
def second_order(pid, x, w, out):
    """out = sum_i w_i Hess r_i(x) of function ``pid`` (its index in FUNCTIONS)"""
    if pid == 0:
        rosenbrock_s(x, w, out)
    elif pid == 1:
        freudenstein_roth_s(x, w, out)
    elif pid == 2:
        powell_badly_scaled_s(x, w, out)
    elif pid == 3:
        brown_badly_scaled_s(x, w, out)
    elif pid == 4:
        beale_s(x, w, out)
    elif pid == 5:
        jennrich_sampson_s(x, w, out)
    elif pid == 6:
        helical_valley_s(x, w, out)
    elif pid == 7:
        bard_s(x, w, out)
    elif pid == 8:
        gaussian_s(x, w, out)
    elif pid == 9:
        meyer_s(x, w, out)
    elif pid == 10:
        gulf_s(x, w, out)
    elif pid == 11:
        box_3d_s(x, w, out)
    elif pid == 12:
        powell_singular_s(x, w, out)
    elif pid == 13:
        wood_s(x, w, out)
    elif pid == 14:
        kowalik_osborne_s(x, w, out)
    elif pid == 15:
        brown_dennis_s(x, w, out)
    elif pid == 16:
        osborne_1_s(x, w, out)
    elif pid == 17:
        biggs_exp6_s(x, w, out)
    elif pid == 18:
        osborne_2_s(x, w, out)
    elif pid == 19:
        watson_s(x, w, out)
    elif pid == 20:
        extended_rosenbrock_s(x, w, out)
    elif pid == 21:
        penalty_1_s(x, w, out)
    elif pid == 22:
        penalty_2_s(x, w, out)
    elif pid == 23:
        variably_dimensioned_s(x, w, out)
    elif pid == 24:
        trigonometric_s(x, w, out)
    elif pid == 25:
        brown_almost_linear_s(x, w, out)
    elif pid == 26:
        discrete_boundary_value_s(x, w, out)
    elif pid == 27:
        discrete_integral_equation_s(x, w, out)
    elif pid == 28:
        broyden_tridiagonal_s(x, w, out)
    elif pid == 29:
        broyden_banded_s(x, w, out)
    elif pid == 30:
        zero_second_order(x, w, out)
    elif pid == 31:
        zero_second_order(x, w, out)
    elif pid == 32:
        zero_second_order(x, w, out)
    elif pid == 33:
        chebyquad_s(x, w, out)
    elif pid == 34:
        bdqrtic_s(x, w, out)
    elif pid == 35:
        cube_s(x, w, out)
    elif pid == 36:
        mancino_s(x, w, out)
    elif pid == 37:
        heart8_s(x, w, out)
