"""XOR for a MADALINE: hidden threshold units with a fixed OR / majority output unit."""

import numpy as np

import optbench
from optbench import Oracle, Param, Problem, jit

OUTPUT_RULES = ("or", "majority")
CORNERS = np.array([[-1.0, -1.0], [-1.0, 1.0], [1.0, -1.0], [1.0, 1.0]])
XOR_LABELS = np.array([-1.0, 1.0, 1.0, -1.0])


@jit
def net_f(x, args):
    """fraction of points whose network output differs from y_i; the network: hidden units
    o_h = +1 if w_h.x_i + b_h >= 0 else -1 (x = (w_1, b_1, ..., w_H, b_H)), then OR (rule 0)
    or strict majority (rule 1) of the o_h."""
    X, y, H, rule = args
    m, d = X.shape
    wrong = 0
    for i in range(m):
        positive = 0
        for h in range(H):
            base = h * (d + 1)
            z = x[base + d]
            for j in range(d):
                z += x[base + j] * X[i, j]
            if z >= 0.0:
                positive += 1
        if rule == 0:
            out = 1.0 if positive > 0 else -1.0
        else:
            out = 1.0 if 2 * positive > H else -1.0
        if out != y[i]:
            wrong += 1
    return wrong / m


@jit
def net_grad(x, args, out):
    """zero: the error count is piecewise constant (its gradient is 0 wherever it exists)"""
    for j in range(out.shape[0]):
        out[j] = 0.0


@jit
def net_fg(x, args, out):
    net_grad(x, args, out)
    return net_f(x, args)


def _solution(hidden, rule):
    """Hand-made weights that compute XOR on the corners (unit h: (w1, w2, b))."""
    on, off = [0.0, 0.0, 1.0], [0.0, 0.0, -1.0]
    if rule == "or":  # one unit per positive corner: -x1 + x2 > 1, x1 - x2 > 1
        units = [[-1.0, 1.0, -1.0], [1.0, -1.0, -1.0]] + [off] * (hidden - 2)
    else:  # the strip |x1 + x2| < 1 as two units, plus always-on units for the majority
        extra_on = hidden // 2 - 1
        units = ([[1.0, 1.0, 1.0], [-1.0, -1.0, 1.0]] + [on] * extra_on
                 + [off] * (hidden - 2 - extra_on))
    return np.array(units).ravel()


@optbench.register_problem(
    "madaline",
    params=(Param("samples", 4, int, "number of points (the 4 XOR corners, cycled)", low=4),
            Param("noise", 0.0, float, "standard deviation of Gaussian jitter around the "
                  "corners (0: the exact XOR points)", low=0.0, high=1.0),
            Param("hidden", 2, int, "hidden threshold units H", low=2, high=8),
            Param("output", "or", str, "fixed output unit: or, majority", choices=OUTPUT_RULES),
            Param("seed", 0, int, "seed of the start weights (standard normal) and the jitter",
                  low=0)),
    summary="XOR in {-1,+1} for H hidden threshold units and a fixed OR / majority output",
)
def madaline(samples, noise, hidden, output, seed):
    rng = np.random.default_rng(seed)
    dim = hidden * 3
    x0 = rng.standard_normal(dim)
    X = CORNERS[np.arange(samples) % 4] + noise * rng.standard_normal((samples, 2))
    y = XOR_LABELS[np.arange(samples) % 4].copy()
    rule = OUTPUT_RULES.index(output)
    oracle = Oracle(net_f, net_grad, net_fg, None, (np.ascontiguousarray(X), y, hidden, rule))
    solution = _solution(hidden, output)
    solved = net_f(solution, oracle.args) == 0.0
    return Problem(
        name="madaline", family="madaline", oracle=oracle, x0=x0,
        formula="f(x) = 1/m #{i : out(sgn(W x_i + b)) != y_i}, out = OR or majority",
        reference="Widrow & Lehr, 30 years of adaptive neural networks: perceptron, Madaline "
                  "and backpropagation, Proc. IEEE 78(9) (1990); course notes, ADALINE and "
                  "MADALINE",
        f_star=0.0 if solved else None, convex=False, smooth=False, labelled=True,
        gradient=False,
        notes=("x = (w_1, b_1, ..., w_H, b_H); piecewise constant (gradient 0); f* = 0 is "
               "reached, e.g. by extra['solution'], on a continuum of weights"
               if solved else "x = (w_1, b_1, ..., w_H, b_H); the jittered points may not "
               "be separable by this network: f* unknown"),
        extra={"network": {"hidden": hidden, "output": output, "inputs": 2},
               "solution": solution, "layout": "unit h at x[3h : 3h + 3] = (w1, w2, b)"},
    )
