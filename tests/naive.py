"""Slow, obvious reference implementations the tests compare against (never used by optbench)."""

import numpy as np


def fd_gradient(f, x, h=1e-6):
    """Central finite differences of a scalar function, step scaled to |x_i|."""
    x = np.asarray(x, dtype=float)
    g = np.empty_like(x)
    for i in range(x.size):
        hi = h * max(1.0, abs(x[i]))
        e = np.zeros_like(x)
        e[i] = hi
        g[i] = (f(x + e) - f(x - e)) / (2 * hi)
    return g


def fd_hessian(grad, x, h=1e-6):
    """Central finite differences of a gradient, symmetrized."""
    x = np.asarray(x, dtype=float)
    n = x.size
    H = np.empty((n, n))
    for i in range(n):
        hi = h * max(1.0, abs(x[i]))
        e = np.zeros_like(x)
        e[i] = hi
        H[:, i] = (grad(x + e) - grad(x - e)) / (2 * hi)
    return 0.5 * (H + H.T)


def gd_reference(grad, x0, step, iterations):
    """Plain NumPy gradient descent."""
    x = np.array(x0, dtype=float)
    for _ in range(iterations):
        x = x - step * grad(x)
    return x


def perceptron_mistakes(X, y, w):
    """Number of points with y_i (w.x_i + b) <= 0 for w = (weights, bias)."""
    return int(np.sum(y * (X @ w[:-1] + w[-1]) <= 0))


# -- rounding bounds: how far two correct floating-point computations of one value may differ ---
EPS = np.finfo(float).eps


def mean_rounding_bound(terms):
    """Largest difference between two ways of summing the rows of ``terms`` (m x ...) and
    dividing by m, in any order or instruction mix: each way is within m eps (mean |term|)
    of the exact mean (the classic bound for recursive summation), so two ways differ by
    twice that."""
    terms = np.asarray(terms, dtype=float)
    m = terms.shape[0]
    return 2.0 * m * EPS * np.abs(terms).mean(axis=0) + np.finfo(float).tiny


def iteration_rounding_bound(steps, n, scale, growth=1.0):
    """Largest difference between two floating-point runs of a linear iteration whose map
    does not amplify errors by more than ``growth`` in total: each step adds at most
    (n + 2) eps * scale (an n-term product and the update, both ways), so
    ``steps`` steps differ by at most 2 steps (n + 2) eps * scale * growth."""
    return 2.0 * steps * (n + 2) * EPS * scale * growth


def per_sample_terms(problem, x):
    """f_i(x) and grad f_i(x) of every sample of a finite-sum problem (one-sample batches):
    arrays (m,) and (m, n), the terms whose means are f and grad f."""
    x = np.ascontiguousarray(x, dtype=float)
    values, grads = np.empty(problem.samples), np.empty((problem.samples, problem.dim))
    for i in range(problem.samples):
        values[i] = problem.oracle.batch(x, problem.oracle.args, np.array([i]), grads[i])
    return values, grads


# -- MGH test functions, NumPy ---------------------------------------------------------------------
# Residual vectors of More, Garbow & Hillstrom, ACM TOMS 7 (1981) 17-41 (and four functions More &
# Wild 2009 add), transcribed from the paper separately from problems/_mgh_residuals.py: vectorized,
# closed forms where the compiled code uses recurrences (Chebyshev polynomials by cos/cosh, Heart8
# written out term by term). They keep the dtype of x (np.longdouble works: tests/test_mgh.py
# refines the published optima in extended precision with them). f = sum of squares of these.

def _mgh_float(x):
    x = np.asarray(x)
    return x if x.dtype in (np.float64, np.longdouble) else x.astype(np.float64)


def _index(count, x, start=1):
    return np.arange(start, start + count).astype(x.dtype)


def mgh_freudenstein_roth(x):
    x1, x2 = _mgh_float(x)
    return np.array([-13 + x1 + 5 * x2**2 - x2**3 - 2 * x2, -29 + x1 + x2**3 + x2**2 - 14 * x2])


def mgh_powell_badly_scaled(x):
    x1, x2 = _mgh_float(x)
    return np.array([10000 * x1 * x2 - 1, np.exp(-x1) + np.exp(-x2) - np.asarray(1.0001, x1.dtype)])


def mgh_beale(x):
    x1, x2 = _mgh_float(x)
    i = _index(3, _mgh_float(x))
    return np.array([1.5, 2.25, 2.625]).astype(i.dtype) - x1 * (1 - x2**i)


def mgh_jennrich_sampson(x, m=10):
    x = _mgh_float(x)
    i = _index(m, x)
    return 2 + 2 * i - np.exp(i * x[0]) - np.exp(i * x[1])


def mgh_helical_valley(x):
    x1, x2, x3 = _mgh_float(x)
    theta = np.arctan2(x2, x1) / (2 * np.pi)
    theta = theta + 1 if theta < -0.25 else theta  # the paper's branch: theta in (-1/4, 3/4]
    return np.array([10 * (x3 - 10 * theta), 10 * (np.hypot(x1, x2) - 1), x3])


BARD_Y = [0.14, 0.18, 0.22, 0.25, 0.29, 0.32, 0.35, 0.39, 0.37, 0.58, 0.73, 0.96, 1.34, 2.10, 4.39]


def mgh_bard(x):
    x = _mgh_float(x)
    u = _index(15, x)
    v = 16 - u
    return np.asarray(BARD_Y, dtype=x.dtype) - (x[0] + u / (v * x[1] + np.minimum(u, v) * x[2]))


GAUSSIAN_Y = [0.0009, 0.0044, 0.0175, 0.0540, 0.1295, 0.2420, 0.3521, 0.3989, 0.3521, 0.2420,
              0.1295, 0.0540, 0.0175, 0.0044, 0.0009]


def mgh_gaussian(x):
    x = _mgh_float(x)
    t = (8 - _index(15, x)) / 2
    return x[0] * np.exp(-x[1] * (t - x[2]) ** 2 / 2) - np.asarray(GAUSSIAN_Y, dtype=x.dtype)


MEYER_Y = [34780, 28610, 23650, 19630, 16370, 13720, 11540, 9744, 8261, 7030, 6005, 5147, 4427,
           3820, 3307, 2872]


def mgh_meyer(x):
    x = _mgh_float(x)
    t = 45 + 5 * _index(16, x)
    return x[0] * np.exp(x[1] / (t + x[2])) - np.asarray(MEYER_Y, dtype=x.dtype)


def mgh_gulf(x, m=99):
    x = _mgh_float(x)
    t = _index(m, x) / 100
    y = 25 + (-50 * np.log(t)) ** (np.asarray(2, dtype=x.dtype) / 3)
    return np.exp(-np.abs(y - x[1]) ** x[2] / x[0]) - t


def mgh_box_3d(x, m=10):
    x = _mgh_float(x)
    t = _index(m, x) / 10
    return np.exp(-t * x[0]) - np.exp(-t * x[1]) - x[2] * (np.exp(-t) - np.exp(-10 * t))


KOWALIK_Y = [0.1957, 0.1947, 0.1735, 0.1600, 0.0844, 0.0627, 0.0456, 0.0342, 0.0323, 0.0235,
             0.0246]
KOWALIK_U = [4, 2, 1, 0.5, 0.25, 0.167, 0.125, 0.1, 0.0833, 0.0714, 0.0625]


def mgh_kowalik_osborne(x):
    x = _mgh_float(x)
    u = np.asarray(KOWALIK_U, dtype=x.dtype)
    return np.asarray(KOWALIK_Y, dtype=x.dtype) - x[0] * u * (u + x[1]) / (u * (u + x[2]) + x[3])


def mgh_brown_dennis(x, m=20):
    x = _mgh_float(x)
    t = _index(m, x) / 5
    return (x[0] + t * x[1] - np.exp(t)) ** 2 + (x[2] + x[3] * np.sin(t) - np.cos(t)) ** 2


OSBORNE1_Y = [0.844, 0.908, 0.932, 0.936, 0.925, 0.908, 0.881, 0.850, 0.818, 0.784, 0.751, 0.718,
              0.685, 0.658, 0.628, 0.603, 0.580, 0.558, 0.538, 0.522, 0.506, 0.490, 0.478, 0.467,
              0.457, 0.448, 0.438, 0.431, 0.424, 0.420, 0.414, 0.411, 0.406]


def mgh_osborne_1(x):
    x = _mgh_float(x)
    t = 10 * _index(33, x, start=0)
    return np.asarray(OSBORNE1_Y, dtype=x.dtype) - (x[0] + x[1] * np.exp(-t * x[3])
                                                    + x[2] * np.exp(-t * x[4]))


def mgh_biggs_exp6(x, m=13):
    x = _mgh_float(x)
    t = _index(m, x) / 10
    y = np.exp(-t) - 5 * np.exp(-10 * t) + 3 * np.exp(-4 * t)
    return x[2] * np.exp(-t * x[0]) - x[3] * np.exp(-t * x[1]) + x[5] * np.exp(-t * x[4]) - y


OSBORNE2_Y = [1.366, 1.191, 1.112, 1.013, 0.991, 0.885, 0.831, 0.847, 0.786, 0.725, 0.746, 0.679,
              0.608, 0.655, 0.616, 0.606, 0.602, 0.626, 0.651, 0.724, 0.649, 0.649, 0.694, 0.644,
              0.624, 0.661, 0.612, 0.558, 0.533, 0.495, 0.500, 0.423, 0.395, 0.375, 0.372, 0.391,
              0.396, 0.405, 0.428, 0.429, 0.523, 0.562, 0.607, 0.653, 0.672, 0.708, 0.633, 0.668,
              0.645, 0.632, 0.591, 0.559, 0.597, 0.625, 0.739, 0.710, 0.729, 0.720, 0.636, 0.581,
              0.428, 0.292, 0.162, 0.098, 0.054]


def mgh_osborne_2(x):
    x = _mgh_float(x)
    t = _index(65, x, start=0) / 10
    model = (x[0] * np.exp(-t * x[4]) + x[1] * np.exp(-(t - x[8]) ** 2 * x[5])
             + x[2] * np.exp(-(t - x[9]) ** 2 * x[6]) + x[3] * np.exp(-(t - x[10]) ** 2 * x[7]))
    return np.asarray(OSBORNE2_Y, dtype=x.dtype) - model


def mgh_watson(x):
    x = _mgh_float(x)
    n = x.size
    t = _index(29, x) / 29
    j = _index(n, x)
    powers = t[:, None] ** (j[None, :] - 1)  # t_i^(j-1)
    head = (powers[:, :-1] * (j[1:] - 1) * x[1:]).sum(axis=1) - (powers @ x) ** 2 - 1
    return np.concatenate([head, [x[0], x[1] - x[0] ** 2 - 1]])


def mgh_penalty_1(x):
    x = _mgh_float(x)
    a = np.asarray(1e-5, dtype=x.dtype)
    return np.concatenate([np.sqrt(a) * (x - 1), [x @ x - np.asarray(0.25, dtype=x.dtype)]])


def mgh_penalty_2(x):
    x = _mgh_float(x)
    n = x.size
    a = np.sqrt(np.asarray(1e-5, dtype=x.dtype))
    i = _index(n, x)
    y = np.exp(i / 10) + np.exp((i - 1) / 10)
    e = np.exp(x / 10)
    middle = a * (e[1:] + e[:-1] - y[1:])
    tail = a * (e[1:] - np.exp(np.asarray(-0.1, dtype=x.dtype)))
    last = ((n - i + 1) * x**2).sum() - 1
    return np.concatenate([[x[0] - np.asarray(0.2, dtype=x.dtype)], middle, tail, [last]])


def mgh_trigonometric(x):
    x = _mgh_float(x)
    return x.size - np.cos(x).sum() + _index(x.size, x) * (1 - np.cos(x)) - np.sin(x)


def mgh_brown_almost_linear(x):
    x = _mgh_float(x)
    n = x.size
    return np.concatenate([x[:-1] + x.sum() - (n + 1), [np.prod(x) - 1]])


def mgh_discrete_integral_equation(x):
    x = _mgh_float(x)
    n = x.size
    h = np.asarray(1, dtype=x.dtype) / (n + 1)
    t = _index(n, x) * h
    cube = (x + t + 1) ** 3
    kernel = np.where(np.arange(n)[None, :] <= np.arange(n)[:, None],
                      (1 - t)[:, None] * t[None, :], t[:, None] * (1 - t)[None, :])
    return x + h * (kernel @ cube) / 2


def mgh_linear_full_rank(x, m):
    x = _mgh_float(x)
    A = np.vstack([np.eye(x.size), np.zeros((m - x.size, x.size))]) - 2 / m
    return A.astype(x.dtype) @ x - 1


def mgh_chebyquad(x, m=None):
    """T_i(x) = C_i(2x - 1), C_i(y) = cos(i arccos y) on [-1, 1], cosh(i arccosh |y|) sign(y)^i
    outside."""
    x = _mgh_float(x)
    m = x.size if m is None else m
    y = 2 * x - 1
    i = _index(m, x)[:, None]
    inside = np.cos(i * np.arccos(np.clip(y, -1, 1)))
    outside = np.where(y < 0, (-1.0) ** i, 1) * np.cosh(i * np.arccosh(np.maximum(np.abs(y), 1)))
    T = np.where(np.abs(y) <= 1, inside, outside)
    even = i[:, 0] % 2 == 0
    integral = np.where(even, -1 / np.where(even, i[:, 0] ** 2 - 1, 1), 0)
    return T.mean(axis=1) - integral


def mgh_heart8(x):
    """More & Wild (2009) problem 22, written out as in their dfovec (data y: the constants)."""
    a, b, c, d, t, u, v, w = _mgh_float(x)
    return np.array([
        a + b + 0.69,
        c + d + 0.044,
        t * a + u * b - v * c - w * d + 1.57,
        v * a + w * b + t * c + u * d + 1.31,
        a * (t**2 - v**2) - 2 * c * t * v + b * (u**2 - w**2) - 2 * d * u * w + 2.65,
        c * (t**2 - v**2) + 2 * a * t * v + d * (u**2 - w**2) + 2 * b * u * w - 2.0,
        a * t * (t**2 - 3 * v**2) + c * v * (v**2 - 3 * t**2) + b * u * (u**2 - 3 * w**2)
        + d * w * (w**2 - 3 * u**2) + 12.6,
        c * t * (t**2 - 3 * v**2) - a * v * (v**2 - 3 * t**2) + d * u * (u**2 - 3 * w**2)
        - b * w * (w**2 - 3 * u**2) - 9.48,
    ])


def mgh_bdqrtic(x):
    """More & Wild (2009) problem 19 (CUTEr BDQRTIC), m = 2 (n - 4)."""
    x = _mgh_float(x)
    k = np.arange(1, 5).astype(x.dtype)
    quartic = sum(k[i] * x[i:x.size - 4 + i] ** 2 for i in range(4)) + 5 * x[-1] ** 2
    return np.concatenate([3 - 4 * x[:-4], quartic])


def mgh_cube(x):
    """More & Wild (2009) problem 20 (CUTEr CUBE)."""
    x = _mgh_float(x)
    return np.concatenate([[x[0] - 1], 10 * (x[1:] - x[:-1] ** 3)])


def mgh_mancino(x):
    x = _mgh_float(x)
    n = x.size
    i = _index(n, x)
    v = np.sqrt(x[:, None] ** 2 + i[:, None] / i[None, :])
    return 1400 * x + (i - 50) ** 3 + (v * (np.sin(np.log(v)) ** 5 + np.cos(np.log(v)) ** 5)).sum(1)
# -- end of MGH test functions ---------------------------------------------------------------------


def armijo_gd_counting(f, grad, x0, t0, c, shrink, iterations):
    """Gradient descent with Armijo backtracking from t0 (the first of t0, t0 shrink, ... with
    f(x - t g) - f(x) <= -c t ||g||^2), in NumPy, counting every call of f and of grad:
    ``{"nfev": [...], "ngev": [...]}`` after each iteration (the start included)."""
    calls = {"f": 0, "g": 0}

    def f_counted(x):
        calls["f"] += 1
        return f(x)

    def g_counted(x):
        calls["g"] += 1
        return grad(x)

    x = np.array(x0, dtype=float)
    fx, g = f_counted(x), g_counted(x)
    nfev, ngev = [calls["f"]], [calls["g"]]
    for _ in range(iterations):
        t = t0
        while True:
            trial = x - t * g
            f_new = f_counted(trial)
            if f_new - fx <= -c * t * (g @ g):
                break
            t *= shrink
        x, fx, g = trial, f_new, g_counted(trial)
        nfev.append(calls["f"])
        ngev.append(calls["g"])
    return {"nfev": np.array(nfev, dtype=float), "ngev": np.array(ngev, dtype=float)}
