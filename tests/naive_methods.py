"""NumPy transcriptions of first- and second-order methods, written from their textbook
formulas (never from optbench's kernels): the step-for-step references of
tests/test_method_references.py. Most return the iterates x_0 ... x_k as rows;
shifted_newton_step takes one step from a given point."""

import numpy as np


def heavy_ball(grad, x0, step, beta, iterations):
    """x_{k+1} = x_k - step grad f(x_k) + beta (x_k - x_{k-1}), x_{-1} = x_0 (Polyak 1964)."""
    xs = [np.array(x0, dtype=float)]
    prev = xs[0]
    for _ in range(iterations):
        x = xs[-1]
        xs.append(x - step * grad(x) + beta * (x - prev))
        prev = x
    return np.array(xs)


def nesterov(grad, x0, step, momentum, iterations):
    """y_k = x_k + b_k (x_k - x_{k-1}), x_{k+1} = y_k - step grad f(y_k), b_k = momentum(k)
    for k = 0, 1, ... (Nesterov 2018, 2.2). Returns the points y_0 ... y_k, where the method
    evaluates its gradient (y_0 = x_0)."""
    x = prev = np.array(x0, dtype=float)
    ys = []
    for k in range(iterations + 1):
        y = x + momentum(k) * (x - prev)
        ys.append(y)
        prev, x = x, y - step * grad(y)
    return np.array(ys)


def barzilai_borwein(grad, x0, t0, variant, t_min, t_max, iterations):
    """Gradient descent with t_0 = t0, then t_k = s's/s'y (variant 1) or s'y/y'y (variant 2)
    clipped to [t_min, t_max], the previous step kept when s'y <= 0. Also returns the
    unclipped steps (to check that the clipping was exercised)."""
    xs, steps, raw = [np.array(x0, dtype=float)], [], []
    g_prev = None
    t = t0
    for k in range(iterations):
        x, g = xs[-1], grad(xs[-1])
        if k > 0:
            s, y = x - xs[-2], g - g_prev
            if s @ y > 0:
                t = (s @ s) / (s @ y) if variant == 1 else (s @ y) / (y @ y)
            raw.append(t)
            t = min(max(t, t_min), t_max)
        steps.append(t)
        xs.append(x - t * g)
        g_prev = g
    return np.array(xs), np.array(steps), np.array(raw)


def polyak(f, grad, x0, f_star, iterations):
    """x_{k+1} = x_k - (f(x_k) - f*) / ||g_k||^2 g_k (Polyak 1987, 5.3)."""
    xs = [np.array(x0, dtype=float)]
    for _ in range(iterations):
        x = xs[-1]
        g = grad(x)
        xs.append(x - (f(x) - f_star) / (g @ g) * g)
    return np.array(xs)


def damped_newton(grad, hess, x0, alpha, iterations):
    """x_{k+1} = x_k - alpha H(x_k)^{-1} grad f(x_k)."""
    xs = [np.array(x0, dtype=float)]
    for _ in range(iterations):
        x = xs[-1]
        xs.append(x - alpha * np.linalg.solve(hess(x), grad(x)))
    return np.array(xs)


def newton_backtracking(f, grad, hess, x0, c, shrink, iterations):
    """d = -H^{-1} g; the first t in 1, shrink, shrink^2 ... with f(x + t d) <= f(x) + c t g'd
    (Nocedal & Wright 2006, Algorithm 3.1 with the Newton direction)."""
    xs = [np.array(x0, dtype=float)]
    for _ in range(iterations):
        x = xs[-1]
        g = grad(x)
        d = -np.linalg.solve(hess(x), g)
        t, fx, slope = 1.0, f(x), g @ d
        while f(x + t * d) > fx + c * t * slope:
            t *= shrink
        xs.append(x + t * d)
    return np.array(xs)


def full_batch_sgd(grad, x0, lr, decay_power, momentum, epochs):
    """One step per epoch on the full gradient: v <- momentum v + grad f(x),
    x <- x - lr / (t + 1)^decay_power v (t the epoch, from 0)."""
    xs = [np.array(x0, dtype=float)]
    v = np.zeros_like(xs[0])
    for t in range(epochs):
        x = xs[-1]
        v = momentum * v + grad(x)
        xs.append(x - lr / (t + 1.0) ** decay_power * v)
    return np.array(xs)


def ncg_direction(rule, g_new, g_old, d_old):
    """The next nonlinear-CG direction -g_new + beta d_old: Fletcher-Reeves
    beta = |g_new|^2/|g_old|^2, Polak-Ribiere+ beta = max(0, g_new'(g_new - g_old)/|g_old|^2)
    (Nocedal & Wright 2006, (5.41a), (5.45))."""
    if rule == "fr":
        beta = (g_new @ g_new) / (g_old @ g_old)
    else:
        beta = max(0.0, g_new @ (g_new - g_old) / (g_old @ g_old))
    return -g_new + beta * d_old


def _positive_definite(M):
    """M is positive definite: its Cholesky factorization exists (LAPACK's, via NumPy)."""
    try:
        np.linalg.cholesky(M)
    except np.linalg.LinAlgError:
        return False
    return True


def shifted_newton_step(f, grad, hess, x, last, lam0, growth, c, shrink):
    """One step of Newton with a shift added to the Hessian (Nocedal & Wright 2006,
    Algorithm 3.3, warm-started as newton-safe's docstring says): lambda = 0 when H is
    positive definite, else the first of mu, mu growth, mu growth^2 ... making H + lambda I
    positive definite, mu = max(last / growth, lam0 ||H||_F); then d = -(H + lambda I)^{-1} g
    and the first t in 1, shrink, shrink^2 ... with f(x + t d) <= f(x) + c t g'd.
    ``last`` is the last positive shift, divided by growth after each step without one.
    Returns (x + t d, lambda, t, the next ``last``)."""
    g, H = grad(x), hess(x)
    eye = np.eye(len(x))
    lam = 0.0
    if _positive_definite(H):
        last = last / growth
    else:
        lam = max(last / growth, lam0 * np.linalg.norm(H, "fro"))
        while not _positive_definite(H + lam * eye):
            lam *= growth
        last = lam
    d = -np.linalg.solve(H + lam * eye, g)
    t, fx, slope = 1.0, f(x), g @ d
    while f(x + t * d) > fx + c * t * slope:
        t *= shrink
    return x + t * d, lam, t, last


def minibatch_sgd(batch_grad, x0, orders, batch_size, lr, decay_power, momentum, epochs):
    """Mini-batch SGD with heavy-ball momentum, as sgd's docstring states it (Bottou, Curtis
    & Nocedal 2018, algorithm 4.1; Polyak 1964): epoch e walks through the next order drawn
    from ``orders`` in batches B of ``batch_size`` (the last one shorter), each step
    v <- momentum v + batch_grad(x, B), x <- x - lr / (e + 1)^decay_power v (v_0 = 0).
    Returns every iterate (x_0, then one row per step) and each step's (B, rate)."""
    xs = [np.array(x0, dtype=float)]
    v = np.zeros_like(xs[0])
    steps = []
    for e in range(epochs):
        order = next(orders)
        eta = lr / (e + 1.0) ** decay_power
        for start in range(0, len(order), batch_size):
            B = order[start:start + batch_size]
            v = momentum * v + batch_grad(xs[-1], B)
            xs.append(xs[-1] - eta * v)
            steps.append((B, eta))
    return np.array(xs), steps
