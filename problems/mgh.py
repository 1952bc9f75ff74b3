"""The More-Garbow-Hillstrom (1981) unconstrained test problems, and the More & Wild (2009)
benchmark set built on them, as problem families ``mgh-<name>`` (and ``mw-<name>`` for the four
functions More & Wild add).

Every problem is a sum of squares f(x) = sum_i r_i(x)^2 (MGH's convention: no 1/2), with the
residuals, the Jacobian and the second-order term of the Hessian compiled in
``_mgh_residuals.py``. All problems share one compiled f, grad, fg and hess (the function is
chosen by its id in the oracle's data), so a solver compiles once for the whole collection.
``extra["residuals"]`` and ``extra["jacobian"]`` expose the problem's own r(x, out) and
J(x, out) for Gauss-Newton type methods (``extra["second_order"]``: S(x, w, out) =
sum_i w_i Hess r_i(x)). Parameters: ``dim`` (n) and ``m`` where the paper
lets them vary, ``scale`` (the start is scale * x_s, MGH's 10 x_s and 100 x_s starts), and
``start`` for the two problems whose start More & Wild changed.

``MGH`` lists the 35 standard instances and ``MORE_WILD`` the 53 (problem, n, m, start factor)
of More & Wild's Table / ``dfo.dat`` as (family, parameters) pairs.

Known optima (``f_star``) carry their provenance in ``extra["f_star_source"]`` and their kind
in ``extra["f_star_kind"]``: ``"global"`` (a zero residual or a convex f), ``"best-known"``
(the published least value, confirmed by a multistart search but not proved global) or
``"local"``; published local minima are in ``extra["local_minima"]`` as ((f, x), ...).

MGH publish optima to 6 digits. The values in ``REFINED`` were computed once, offline, as
follows (they are data here; nothing is solved at build time):

1. a Levenberg-Marquardt solve (scipy ``least_squares``, method "lm", tolerances 1e-15) from
   the published / NIST-certified approximate minimizer (or from x_s);
2. Newton steps on f in 50-digit arithmetic (mpmath, used offline only): the residuals
   transcribed a third time for it, their exact Jacobian by the complex step, the step solved
   with the compiled Jacobian and second-order term (columns scaled), until f changes by less
   than 1e-40 relative (one to three steps);
3. f* = the 50-digit value rounded to double; x = the minimizer rounded to double.

Every value agrees with the 6 digits MGH print (truncated or rounded), and with the NIST StRD
certified residual sums of squares (11 digits) of Kowalik-Osborne (MGH09), Meyer (MGH10) and
Osborne 1 (MGH17).
``tests/test_mgh.py`` refines them again from x in numpy longdouble (64-bit mantissa) with the
independent residuals of ``tests/naive.py`` and checks agreement to the precision longdouble
allows. "Confirmed by a multistart search": 150-400 random starts of the Levenberg-Marquardt
solve found no lower value (for Chebyquad n = 10 they did; see that problem).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

import optbench
from optbench import Oracle, Param, Problem

from . import _mgh_residuals as R

MGH_PAPER = ("J. J. More, B. S. Garbow and K. E. Hillstrom, Testing unconstrained optimization "
             "software, ACM Trans. Math. Software 7(1) (1981) 17-41")
MW_PAPER = ("J. J. More and S. M. Wild, Benchmarking derivative-free optimization algorithms, "
            "SIAM J. Optim. 20(1) (2009) 172-191 (problem set dfo.dat, dfovec, dfoxs)")
REFINED_HOW = "refined to double precision in 50-digit arithmetic (see the module docstring)"
NIST = "NIST StRD certified residual sum of squares"

# Refined optima: key -> (f, a minimizer rounded to double). See the module docstring for how
# they were computed; tests/test_mgh.py checks each against an extended-precision refinement.
REFINED = {
    "powell-badly-scaled": (0.0, (1.0981593296998175e-05, 9.106146739866523)),
    "heart8": (0.0, (-0.3116266055654035, -0.37837339443459644, 0.3282442301180634,
        -0.3722442301180634, -1.2822270942702751, 2.494300312085459, 1.554865878787431,
        -1.3846378428632367)),
    "jennrich-sampson": (124.36218235561485, (0.2578252136703641, 0.2578252136703641)),
    "freudenstein-roth": (48.98425367924002, (11.412778986902094, -0.8968052532744765)),
    "bard": (0.00821487730657898, (0.08241055974978899, 1.1330360920297224, 2.3436951786425366)),
    "gaussian": (1.1279327696190113e-08, (0.39895613783875666, 1.0000190844878056, 0.0)),
    "meyer": (87.94585517085112, (0.005609636471028053, 6181.346346286372, 345.2236346241365)),
    "kowalik-osborne": (0.0003075056038492378, (0.1928069345790379, 0.19128232873436676,
        0.12305650692632074, 0.13606233068379475)),
    "brown-dennis": (85822.20162635634, (-11.594439904762165, 13.203630051207204,
        -0.40343948817685954, 0.2367787744557363)),
    "osborne-1": (5.464894697482912e-05, (0.37541005210695194, 1.9358469127123559,
        -1.4646871366134115, 0.012867534640057266, 0.02212269966167266)),
    "osborne-2": (0.04013773629354774, (1.3099771546273007, 0.431553794602989, 0.633661698960724,
        0.5994305347859163, 0.7541832263280115, 0.9042885798596334, 1.3658118352370285,
        4.8236988172271555, 2.3986848661317546, 4.568874597667672, 5.6753414705806415)),
    "watson-6": (0.0022876700535524363, (-0.015725086401458456, 1.0124348693691099,
        -0.2329916259567377, 1.2604300877996084, -1.5137289227222797, 0.9929964324311346)),
    "watson-9": (1.39976013809902e-06, (-1.5307036521394342e-05, 0.9997897039319483,
        0.014763963693556958, 0.14634232829936222, 1.0008211030047092, -2.617731140519015,
        4.104403164478857, -3.1436122785564424, 1.0526264080101668)),
    "watson-12": (4.722381105891757e-10, (-6.638060464520687e-09, 1.000001644117862,
        -0.0005639322103423058, 0.34782054050404243, -0.15673150409616513, 1.0528151772071777,
        -3.2472711534596677, 7.288434897938061, -10.271848241321724, 9.074113647075317,
        -4.541375466692512, 1.0120118885528104)),
    "penalty-1-4": (2.2499775008999372e-05, (0.2500074995875379, 0.2500074995875379,
        0.2500074995875379, 0.2500074995875379)),
    "penalty-1-10": (7.087651467090369e-05, (0.15812230111311634, 0.15812230111311634,
        0.15812230111311634, 0.15812230111311634, 0.15812230111311634, 0.15812230111311634,
        0.15812230111311634, 0.15812230111311634, 0.15812230111311634, 0.15812230111311634)),
    "penalty-2-4": (9.376293007355442e-06, (0.1999993333503804, 0.19131670099277245,
        0.48010148533262315, 0.5188454043902005)),
    "penalty-2-10": (0.00029366053745674594, (0.19998360519782363, 0.010350648471292297,
        0.0196049344804384, 0.03208906722068565, 0.049932677399641294, 0.07651399515399361,
        0.11862407286950417, 0.19214487233557667, 0.34732058694184365, 0.3691643741593508)),
    "chebyquad-8": (0.0035168737256779316, (0.04315276015101663, 0.1930908403841861,
        0.26632870689027294, 0.5, 0.5, 0.7336712931097271, 0.8069091596158139, 0.9568472398489833)),
    "chebyquad-10": (0.004772713696375349, (0.032993373018074465, 0.15514535775907337,
        0.20018919846138622, 0.38326166496125497, 0.38326166496125497, 0.5292494771334065,
        0.6403535493710659, 0.7135658474159999, 0.8284818230519073, 0.9252518337853975)),
    "chebyquad-10-local": (0.006503954800882306, (0.0596199005358127, 0.16670828183586142,
        0.2391706589426085, 0.3988842923060445, 0.3988842923060445, 0.6011157076939555,
        0.6011157076939555, 0.7608293410573915, 0.8332917181641386, 0.9403800994641873)),
    "trigonometric": (2.7950561218794563e-05, (0.05515090398069129, 0.05684061679473856,
        0.058764001762695084, 0.06099060865676081, 0.06362621369585451, 0.06684317945275879,
        0.20816151856988116, 0.16436309588564774, 0.08500689568850744, 0.09143145071470794)),
    "bdqrtic-8": (10.238973421317434, (0.6160754444546612, 0.4861767188800076, 0.39190293707261825,
        0.32635052353739546, 0.0, 0.0, 0.0, 0.0)),
    "bdqrtic-10": (18.281161753593537, (0.6255364781105441, 0.48510098408564367,
        0.36719434828618397, 0.2851884815939384, 0.3301671643347729, 0.3775719900456705, 0.0, 0.0,
        0.0, 0.0)),
    "bdqrtic-11": (22.260591734883757, (0.6251418307495387, 0.4858196056648874, 0.37125022110390477,
        0.2835040153534172, 0.3169469727455595, 0.33873299588376476, 0.3759209100419122, 0.0, 0.0,
        0.0, 0.0)),
    "bdqrtic-12": (26.272766396793962, (0.6248003659883237, 0.4853765224728324, 0.37165912920747235,
        0.28597185120795776, 0.3155200175795323, 0.3253724442903558, 0.337818610289659,
        0.3740202262629748, 0.0, 0.0, 0.0, 0.0)),
    "biggs-local": (0.005655649925499931, (1.7114159947195875, 1.7114159947195875,
        2.326287321837785, 0.0, 17.683198180949066, -5.186561551993452)),
}

SCALE = Param("scale", 1.0, float, "multiple of the standard start: x0 = scale * x_s (MGH use "
              "1, 10 and 100)", choices=(1.0, 10.0, 100.0))
START = Param("start", "mgh", str, "which standard start x_s: 'mgh' (MGH 1981) or 'more-wild' "
              "(More & Wild 2009, dfoxs)", choices=("mgh", "more-wild"))


@dataclass(frozen=True)
class Known:
    """A known optimal value: where it comes from and what kind of minimum it is."""

    value: float
    source: str
    kind: str = "global"          # "global", "best-known" or "local"
    x: tuple = ()                 # a minimizer refined to double precision (not exact)


@dataclass(frozen=True)
class Spec:
    """One MGH / More-Wild function: its compiled function, sizes, start and known facts."""

    name: str                     # registry name
    number: int | None            # problem number in MGH (None: not an MGH problem)
    more_wild: int | None         # problem number in More & Wild's set (None: not used there)
    title: str
    function: str                 # its name in _mgh_residuals.FUNCTIONS
    formula: str
    n: int | Param                # fixed n, or the ``dim`` parameter
    m: int | Param | object       # fixed m, the ``m`` parameter, or a function of n
    x0: object                    # (n, m, start) -> the standard start x_s
    optimum: object               # (n, m) -> Known or None
    summary: str
    notes: str
    minimizers: object = None     # (n, m) -> exact global minimizers
    local_minima: object = None   # (n, m) -> ((f, x), ...) published local minima
    check: object = None          # (n, m) -> None, or raises ValueError naming the parameter
    convex: bool = False
    quadratic: object = None      # (n, m) -> (L, mu) for the linear problems
    params: tuple = field(default_factory=tuple)   # further parameters (START)


# f, grad, fg, hess of every problem here: one compiled set, the function chosen by its id in
# the oracle's data (args = (id, r scratch, J scratch)); see _mgh_residuals.
ORACLE_FUNCTIONS = R.sum_of_squares(R.residual, R.jacobian, R.second_order)
_REGISTERED: list[str] = []


def _register(spec: Spec):
    """Register ``spec.name`` with its parameters (the oracle is ORACLE_FUNCTIONS)."""
    pid = R.ID[spec.function]
    _, r, jac, second = R.FUNCTIONS[pid]
    _REGISTERED.append(spec.name)
    sized = [p for p in (spec.n, spec.m) if isinstance(p, Param)]
    params = (*sized, *spec.params, SCALE)

    def build(**values):
        n = values["dim"] if isinstance(spec.n, Param) else spec.n
        if isinstance(spec.m, Param):
            m = values["m"]
        elif callable(spec.m):
            m = spec.m(n)
        else:
            m = spec.m
        if m is None:  # Chebyquad: m = n unless given
            m = n
        if spec.check is not None:
            spec.check(n, m)
        start = values.get("start", "mgh")
        scale = values["scale"]
        x0 = scale * np.asarray(spec.x0(n, m, start), dtype=np.float64)
        f, grad, fg, hess = ORACLE_FUNCTIONS
        args = (np.int64(pid), np.zeros(m), np.zeros((m, n)))
        if scale != 1.0 and not np.isfinite(f(x0, args)):
            raise ValueError(f"f overflows at the start point scale={scale:g} * x_s; use a "
                             "smaller scale")
        known = spec.optimum(n, m)
        extra = {"mgh": spec.number, "more_wild": spec.more_wild, "m": m, "residuals": r,
                 "jacobian": jac, "second_order": second, "function_id": pid, "start": start,
                 "f_star_source": known.source if known else
                 "none known (published or computed here) for these sizes: f_star is None",
                 "f_star_kind": known.kind if known else None}
        if known is not None and known.x:
            extra["minimizer_refined"] = np.array(known.x)
        extra["local_minima"] = spec.local_minima(n, m) if spec.local_minima else ()
        L = mu = None
        if spec.quadratic is not None:
            L, mu = spec.quadratic(n, m)
        minimizers = spec.minimizers(n, m) if (known and spec.minimizers) else ()
        at = (np.array(known.x) if known is not None and known.x else
              np.asarray(minimizers[0], dtype=np.float64) if len(minimizers) else None)
        return Problem(
            name=spec.name, family=spec.name, oracle=Oracle(f, grad, fg, hess, args), x0=x0,
            formula=spec.formula,
            reference=(f"{MGH_PAPER}, problem {spec.number} ({spec.title})" if spec.number
                       else f"{MW_PAPER}, problem {spec.more_wild} ({spec.title})"),
            f_star=known.value if known else None,
            f_star_tol=_evaluation_error(r, jac, m, known.value, at) if known else 0.0,
            minimizers=minimizers,
            L=L, mu=mu, convex=spec.convex, smooth=True, quadratic=spec.quadratic is not None,
            notes=spec.notes + (" No f* is known for these sizes (f_star None)."
                                if known is None else ""),
            extra=extra,
        )

    optbench.register_problem(spec.name, params=params, summary=spec.summary)(build)


def _evaluation_error(residual, jacobian, m: int, f_star: float, x) -> float:
    """How far below f* a double-precision evaluation of f = sum r_i^2 can land near the
    minimizer x: with delta_i = 8 eps (|r_i| + sum_j |J_ij x_j| + 1), the first-order effect of
    rounding every input and term of r_i by eps, f* is exact to 2 sum |r_i| delta_i +
    sum delta_i^2 (plus half an ulp of f* itself). f* = 0 needs none (a sum of squares is never
    negative); without a known minimizer, 64 eps |f*|."""
    if f_star == 0.0:
        return 0.0
    eps = np.finfo(np.float64).eps
    if x is None:
        return 64 * eps * abs(f_star)
    r, jac = np.empty(m), np.empty((m, x.shape[0]))
    residual(x, r)
    jacobian(x, jac)
    delta = 8 * eps * (np.abs(r) + np.abs(jac) @ np.abs(x) + 1.0)
    return float(2 * np.abs(r) @ delta + delta @ delta + eps * abs(f_star))


# -- helpers for the specs ----------------------------------------------------------------------
def _dim(default, low=1, high=None, doc="number of variables n"):
    return Param("dim", default, int, doc, low=low, high=high)


def _m(default, low, high=None, doc="number of residuals m"):
    return Param("m", default, int, doc, low=low, high=high)


def _fixed(*x):
    return lambda n, m, start: list(x)


def _zero(source):
    """f* = 0 (for every size)."""
    return lambda n, m: Known(0.0, source)


def _known(key, source, kind="best-known"):
    """A refined optimum of REFINED, with its source."""
    value, x = REFINED[key]
    return Known(value, source, kind, x)


def _local(*keys):
    """Published local minima as ((f, x), ...) from REFINED."""
    return tuple(REFINED[k] for k in keys)


def _refuse(message):
    raise ValueError(message)


def _m_at_least_n(n, m):
    if m < n:
        raise ValueError(f"m = {m} must be at least n = {n} (option m or dim)")


def _paper(number, extra=""):
    return f"MGH 1981, problem {number}" + (f"; {extra}" if extra else "")


def _mancino_start(n):
    """More & Wild's dfoxs: x_i = -8.710996e-4 ((i - 50)^3 + sum_j s_ij (sin^5(ln s_ij) +
    cos^5(ln s_ij))), s_ij = sqrt(i/j)."""
    i = np.arange(1.0, n + 1)
    s = np.sqrt(i[:, None] / i[None, :])
    g = s * (np.sin(np.log(s)) ** 5 + np.cos(np.log(s)) ** 5)
    return -8.710996e-4 * ((i - 50.0) ** 3 + g.sum(axis=1))


# -- the 35 MGH problems ------------------------------------------------------------------------
_register(Spec(
    "mgh-rosenbrock", 1, 4, "Rosenbrock", "rosenbrock",
    "r1 = 10 (x2 - x1^2), r2 = 1 - x1", 2, 2, _fixed(-1.2, 1.0),
    _zero(_paper(1, "f = 0 at (1, 1)")), minimizers=lambda n, m: ([1.0, 1.0],),
    summary="MGH 1: Rosenbrock's valley, n = m = 2, f* = 0 at (1, 1)",
    notes="non-convex curved valley; f = sum of squares of the residuals (MGH convention, no "
          "1/2), so f = 100 (x2 - x1^2)^2 + (1 - x1)^2."))

_register(Spec(
    "mgh-freudenstein-roth", 2, 7, "Freudenstein and Roth",
    "freudenstein_roth",
    "r1 = -13 + x1 + ((5 - x2) x2 - 2) x2, r2 = -29 + x1 + ((x2 + 1) x2 - 14) x2", 2, 2,
    _fixed(0.5, -2.0),
    # Sources disagree on which value is "the" optimum: MGH list both f = 0 at (5, 4) and
    # f = 48.9842... at (11.41..., -0.8968...). f_star is the global 0; the local minimum
    # (refined) is in extra["local_minima"]; descent methods from x0 usually end there.
    _zero(_paper(2, "f = 0 at (5, 4), the global minimum")),
    minimizers=lambda n, m: ([5.0, 4.0],),
    local_minima=lambda n, m: _local("freudenstein-roth"),
    summary="MGH 2: Freudenstein and Roth, f* = 0 at (5, 4); local minimum 48.9842...",
    notes="non-convex; global minimum f = 0 at (5, 4) (f_star); MGH also list the local "
          "minimum f = 48.9842... at (11.41..., -0.8968...) (refined in extra['local_minima']), "
          "where descent methods started at x0 usually stop."))

_register(Spec(
    "mgh-powell-badly-scaled", 3, None, "Powell badly scaled",
    "powell_badly_scaled",
    "r1 = 1e4 x1 x2 - 1, r2 = exp(-x1) + exp(-x2) - 1.0001", 2, 2, _fixed(0.0, 1.0),
    lambda n, m: _known("powell-badly-scaled", _paper(3, "f = 0 at (1.098...e-5, 9.106...)"),
                        "global"),
    summary="MGH 3: Powell's badly scaled function, f* = 0 at (1.098e-5, 9.106)",
    notes="badly scaled: the minimizer's coordinates differ by 6 orders of magnitude; f* = 0 "
          "(a root of r, refined in extra['minimizer_refined'])."))

_register(Spec(
    "mgh-brown-badly-scaled", 4, None, "Brown badly scaled",
    "brown_badly_scaled",
    "r1 = x1 - 1e6, r2 = x2 - 2e-6, r3 = x1 x2 - 2", 2, 3, _fixed(1.0, 1.0),
    _zero(_paper(4, "f = 0 at (1e6, 2e-6)")), minimizers=lambda n, m: ([1e6, 2e-6],),
    summary="MGH 4: Brown's badly scaled function, f* = 0 at (1e6, 2e-6)",
    notes="badly scaled: f(x0) ~ 1e12, minimizer (1e6, 2e-6)."))

_register(Spec(
    "mgh-beale", 5, None, "Beale", "beale",
    "r_i = y_i - x1 (1 - x2^i), y = (1.5, 2.25, 2.625)", 2, 3, _fixed(1.0, 1.0),
    _zero(_paper(5, "f = 0 at (3, 0.5)")), minimizers=lambda n, m: ([3.0, 0.5],),
    summary="MGH 5: Beale, f* = 0 at (3, 0.5) (same function as the built-in 'beale')",
    notes="non-convex narrow curved valley."))

_register(Spec(
    "mgh-jennrich-sampson", 6, 13, "Jennrich and Sampson",
    "jennrich_sampson",
    "r_i = 2 + 2i - (exp(i x1) + exp(i x2)), i = 1..m", 2, _m(10, 2),
    # MGH and More & Wild's dfoxs agree on the start (0.3, 0.4); f* = 124.362... is published
    # for m = 10 only, at x1 = x2 = 0.2578 (refined: 0.25782521367036...).
    _fixed(0.3, 0.4),
    lambda n, m: _known("jennrich-sampson", _paper(6, "f = 124.362... at x1 = x2 = 0.2578 for "
                                                 "m = 10") + "; " + REFINED_HOW)
    if m == 10 else None,
    summary="MGH 6: Jennrich and Sampson, m residuals (m = 10: f* = 124.362...)",
    notes="exponential growth: f ~ exp(2 m max(x1, x2)), so scale=100 overflows (refused); "
          "f* published for m = 10 only (symmetric minimizer x1 = x2 = 0.2578...)."))

_register(Spec(
    "mgh-helical-valley", 7, 5, "Helical valley",
    "helical_valley",
    "r1 = 10 (x3 - 10 theta(x1, x2)), r2 = 10 (sqrt(x1^2 + x2^2) - 1), r3 = x3; 2 pi theta = "
    "arctan(x2/x1) (+ pi if x1 < 0)", 3, 3, _fixed(-1.0, 0.0, 0.0),
    _zero(_paper(7, "f = 0 at (1, 0, 0)")), minimizers=lambda n, m: ([1.0, 0.0, 0.0],),
    summary="MGH 7: Fletcher and Powell's helical valley, f* = 0 at (1, 0, 0)",
    notes="a helix-shaped valley; theta jumps by 1 across the half-plane x1 = 0, x2 < 0 "
          "(theta in (-1/4, 3/4]), where f is discontinuous; smooth elsewhere."))

_register(Spec(
    "mgh-bard", 8, 8, "Bard", "bard",
    "r_i = y_i - (x1 + u_i / (v_i x2 + w_i x3)), u_i = i, v_i = 16 - i, w_i = min(u_i, v_i)",
    3, 15, _fixed(1.0, 1.0, 1.0),
    lambda n, m: _known("bard", _paper(8, "f = 8.21487...e-3") + "; " + REFINED_HOW),
    summary="MGH 8: Bard, data fitting (n = 3, m = 15), f* = 8.21487...e-3",
    notes="MGH also give f = 17.4286... at (0.8406..., -inf, -inf), an infimum at infinity "
          "that solvers can drift to."))

_register(Spec(
    "mgh-gaussian", 9, None, "Gaussian", "gaussian",
    "r_i = x1 exp(-x2 (t_i - x3)^2 / 2) - y_i, t_i = (8 - i)/2", 3, 15, _fixed(0.4, 1.0, 0.0),
    lambda n, m: _known("gaussian", _paper(9, "f = 1.12793...e-8") + "; " + REFINED_HOW),
    summary="MGH 9: Gaussian fit (n = 3, m = 15), f* = 1.12793...e-8",
    notes="a small-residual fit of a Gaussian; the data are symmetric about t = 0, so x3 = 0 "
          "at the minimizer."))

_register(Spec(
    "mgh-meyer", 10, 10, "Meyer", "meyer",
    "r_i = x1 exp(x2 / (t_i + x3)) - y_i, t_i = 45 + 5i", 3, 16, _fixed(0.02, 4000.0, 250.0),
    lambda n, m: _known("meyer", _paper(10, "f = 87.9458...") + "; " + REFINED_HOW
                        + f"; {NIST} MGH10: 8.7945855171E+01"),
    summary="MGH 10: Meyer's thermistor model (n = 3, m = 16), f* = 87.9458...",
    notes="badly scaled and ill-conditioned (x* = (0.0056, 6181, 345)); exp overflows when "
          "t_i + x3 comes close to 0. Near x* each residual is a difference of numbers ~3e4, "
          "so f carries a rounding error ~1e-9 in double: f - f* can come out slightly "
          "negative."))

_register(Spec(
    "mgh-gulf", 11, None, "Gulf research and development", "gulf",
    "r_i = exp(-|y_i - x2|^x3 / x1) - t_i, t_i = i/100, y_i = 25 + (-50 ln t_i)^(2/3)", 3,
    # MGH: n = 3, n <= m <= 100, without a default; 99 is the value used by the Fortran
    # unconstrained-minimization routines of the companion ACM Algorithm 566 as quoted by
    # later collections (funconstrain, Jamil & Yang 2013), and f* = 0 holds for every m.
    _m(99, 3, 100), _fixed(5.0, 2.5, 0.15),
    _zero(_paper(11, "f = 0 at (50, 25, 1.5)")), minimizers=lambda n, m: ([50.0, 25.0, 1.5],),
    summary="MGH 11: Gulf research and development (n = 3, m <= 100), f* = 0 at (50, 25, 1.5)",
    notes="the paper prints the minus sign of |y_i - x2| as 'm i' (a typesetting slip); f is "
          "not twice differentiable where x2 = y_i and x3 < 2."))

_register(Spec(
    "mgh-box-3d", 12, 12, "Box three-dimensional", "box_3d",
    "r_i = exp(-t_i x1) - exp(-t_i x2) - x3 (exp(-t_i) - exp(-10 t_i)), t_i = i/10", 3,
    # MGH: m >= n without a default; m = 10 is More & Wild's choice (dfo.dat) and Algorithm
    # 566's; other collections use m = 20. f* = 0 for every m.
    _m(10, 3), _fixed(0.0, 10.0, 20.0),
    _zero(_paper(12, "f = 0 at (1, 10, 1), (10, 1, -1) and wherever x1 = x2, x3 = 0")),
    minimizers=lambda n, m: ([1.0, 10.0, 1.0], [10.0, 1.0, -1.0]),
    summary="MGH 12: Box three-dimensional (n = 3, m >= 3; default 10), f* = 0",
    notes="f = 0 at (1, 10, 1), (10, 1, -1) (listed) and on the whole line x1 = x2, x3 = 0."))

_register(Spec(
    "mgh-powell-singular", 13, 6, "Powell singular",
    "powell_singular",
    "r1 = x1 + 10 x2, r2 = sqrt5 (x3 - x4), r3 = (x2 - 2 x3)^2, r4 = sqrt10 (x1 - x4)^2", 4, 4,
    _fixed(3.0, -1.0, 0.0, 1.0), _zero(_paper(13, "f = 0 at the origin")),
    minimizers=lambda n, m: (np.zeros(4),), convex=True,
    summary="MGH 13: Powell's singular function, f* = 0 at 0 (singular Hessian there)",
    notes="convex (squares of linear forms and fourth powers of linear forms) with a singular "
          "Hessian at the minimizer: Newton-type methods converge only linearly."))

_register(Spec(
    "mgh-wood", 14, None, "Wood", "wood",
    "r1 = 10 (x2 - x1^2), r2 = 1 - x1, r3 = sqrt90 (x4 - x3^2), r4 = 1 - x3, "
    "r5 = sqrt10 (x2 + x4 - 2), r6 = (x2 - x4) / sqrt10", 4, 6, _fixed(-3.0, -1.0, -3.0, -1.0),
    _zero(_paper(14, "f = 0 at (1, 1, 1, 1)")), minimizers=lambda n, m: (np.ones(4),),
    summary="MGH 14: Wood (Colville), f* = 0 at (1, 1, 1, 1)",
    notes="two coupled Rosenbrock valleys; a flat region near (-1, 1, -1, 1) slows descent."))

_register(Spec(
    "mgh-kowalik-osborne", 15, 9, "Kowalik and Osborne",
    "kowalik_osborne",
    "r_i = y_i - x1 (u_i^2 + u_i x2) / (u_i^2 + u_i x3 + x4)", 4, 11,
    _fixed(0.25, 0.39, 0.415, 0.39),
    lambda n, m: _known("kowalik-osborne", _paper(15, "f = 3.07505...e-4") + "; " + REFINED_HOW
                        + f"; {NIST} MGH09: 3.0750560385E-04"),
    summary="MGH 15: Kowalik and Osborne enzyme model (n = 4, m = 11), f* = 3.07505...e-4",
    notes="MGH also give f = 1.02734...e-3 at (+inf, -14.07..., -inf, -inf), an infimum at "
          "infinity."))

_register(Spec(
    "mgh-brown-dennis", 16, 14, "Brown and Dennis",
    "brown_dennis",
    "r_i = (x1 + t_i x2 - exp t_i)^2 + (x3 + x4 sin t_i - cos t_i)^2, t_i = i/5", 4, _m(20, 4),
    _fixed(25.0, 5.0, -5.0, -1.0),
    lambda n, m: _known("brown-dennis", _paper(16, "f = 85822.2... for m = 20") + "; "
                        + REFINED_HOW + "; global since f is convex", "global")
    if m == 20 else None,
    convex=True,
    summary="MGH 16: Brown and Dennis (n = 4, m >= 4; m = 20: f* = 85822.2...)",
    notes="convex: each residual is a sum of squares of affine functions, so r_i^2 is convex; "
          "a large-residual problem (f* ~ 8.6e4), f* published for m = 20 only."))

_register(Spec(
    "mgh-osborne-1", 17, 17, "Osborne 1", "osborne_1",
    "r_i = y_i - (x1 + x2 exp(-t_i x4) + x3 exp(-t_i x5)), t_i = 10 (i - 1)", 5, 33,
    # More & Wild's dfoxs starts at x3 = +1 where MGH (and NIST's start 2) have x3 = -1:
    # parameter start ('mgh' default, 'more-wild' for their benchmark).
    lambda n, m, start: [0.5, 1.5, 1.0 if start == "more-wild" else -1.0, 0.01, 0.02],
    lambda n, m: _known("osborne-1", _paper(17, "f = 5.46489...e-5") + "; " + REFINED_HOW
                        + f"; {NIST} MGH17: 5.4648946975E-05"),
    params=(START,),
    summary="MGH 17: Osborne 1, sum of two exponentials (n = 5, m = 33), f* = 5.46489...e-5",
    notes="start='more-wild' uses More & Wild's start, which has x3 = +1 instead of MGH's -1."))

_register(Spec(
    "mgh-biggs-exp6", 18, None, "Biggs EXP6", "biggs_exp6",
    "r_i = x3 exp(-t_i x1) - x4 exp(-t_i x2) + x6 exp(-t_i x5) - y_i, t_i = i/10, "
    "y_i = exp(-t_i) - 5 exp(-10 t_i) + 3 exp(-4 t_i)", 6, _m(13, 6),
    _fixed(1.0, 2.0, 1.0, 1.0, 1.0, 1.0),
    # MGH give "f = 5.65565...e-3 if m = 13" and "f = 0 at (1, 10, 1, 5, 4, 3)": f_star is the
    # global 0 (exact for every m); 5.65565e-3 is a local value (extra["local_minima"]).
    _zero(_paper(18, "f = 0 at (1, 10, 1, 5, 4, 3)")),
    minimizers=lambda n, m: ([1.0, 10.0, 1.0, 5.0, 4.0, 3.0], [4.0, 10.0, 3.0, 5.0, 1.0, 1.0]),
    local_minima=lambda n, m: _local("biggs-local") if m == 13 else (),
    summary="MGH 18: Biggs EXP6 (n = 6, m >= 6; default 13), f* = 0 at (1, 10, 1, 5, 4, 3)",
    notes="global minimum 0 at (1, 10, 1, 5, 4, 3) and its mirror image (4, 10, 3, 5, 1, 1) "
          "(swap (x1, x3) with (x5, x6)); MGH also publish f = 5.65565...e-3 for m = 13, a "
          "local minimum (a line of them: x1 = x2, where f depends on x3 - x4 only; "
          "extra['local_minima'])."))

_register(Spec(
    "mgh-osborne-2", 19, 18, "Osborne 2", "osborne_2",
    "r_i = y_i - (x1 exp(-t_i x5) + x2 exp(-(t_i - x9)^2 x6) + x3 exp(-(t_i - x10)^2 x7) "
    "+ x4 exp(-(t_i - x11)^2 x8)), t_i = (i - 1)/10", 11, 65,
    _fixed(1.3, 0.65, 0.65, 0.7, 0.6, 3.0, 5.0, 7.0, 2.0, 4.5, 5.5),
    lambda n, m: _known("osborne-2", _paper(19, "f = 4.01377...e-2") + "; " + REFINED_HOW),
    summary="MGH 19: Osborne 2, exponential plus three Gaussians (n = 11, m = 65), "
            "f* = 4.01377...e-2",
    notes="many local minima (multistart finds 4.2468e-2, 7.1295e-2, ...)."))

_PUBLISHED = {"watson-6": "2.28767...e-3", "watson-9": "1.39976...e-6",
              "watson-12": "4.72238...e-10", "penalty-1-4": "2.24997...e-5",
              "penalty-1-10": "7.08765...e-5", "penalty-2-4": "9.37629...e-6",
              "penalty-2-10": "2.93660...e-4"}


def _published(number, key, n):
    """The refined optimum REFINED[key] of a size MGH publish f* for (None for other sizes)."""
    if key not in _PUBLISHED:
        return None
    return _known(key, _paper(number, f"f = {_PUBLISHED[key]} if n = {n}") + "; " + REFINED_HOW)


_register(Spec(
    "mgh-watson", 20, 11, "Watson", "watson",
    "r_i = sum_{j>=2} (j-1) x_j t_i^(j-2) - (sum_j x_j t_i^(j-1))^2 - 1, t_i = i/29 "
    "(i <= 29); r_30 = x1, r_31 = x2 - x1^2 - 1", _dim(6, 2, 31), 31,
    # Sources disagree on the start: MGH x_s = 0, More & Wild's dfoxs 0.5 (parameter start).
    lambda n, m, start: np.full(n, 0.5 if start == "more-wild" else 0.0),
    lambda n, m: _published(20, f"watson-{n}", n),
    params=(START,),
    summary="MGH 20: Watson (2 <= n <= 31, m = 31); f* published for n = 6, 9, 12",
    notes="ill-conditioned for larger n; start='more-wild' starts at 0.5 (More & Wild) "
          "instead of MGH's 0, where f(x_s) = 30."))

_register(Spec(
    "mgh-extended-rosenbrock", 21, None, "Extended Rosenbrock",
    "extended_rosenbrock",
    "r_{2i-1} = 10 (x_{2i} - x_{2i-1}^2), r_{2i} = 1 - x_{2i-1}", _dim(10, 2), lambda n: n,
    lambda n, m, start: np.tile([-1.2, 1.0], n // 2),
    _zero(_paper(21, "f = 0 at (1, ..., 1)")), minimizers=lambda n, m: (np.ones(n),),
    check=lambda n, m: None if n % 2 == 0 else _refuse(f"dim = {n} must be even (option dim)"),
    summary="MGH 21: n/2 uncoupled Rosenbrock valleys (n even, m = n), f* = 0 at ones",
    notes="separable: n/2 copies of MGH 1."))

_register(Spec(
    "mgh-extended-powell", 22, None, "Extended Powell singular",
    "powell_singular",
    "blocks of four: r1 = x1 + 10 x2, r2 = sqrt5 (x3 - x4), r3 = (x2 - 2 x3)^2, "
    "r4 = sqrt10 (x1 - x4)^2", _dim(12, 4), lambda n: n,
    lambda n, m, start: np.tile([3.0, -1.0, 0.0, 1.0], n // 4),
    _zero(_paper(22, "f = 0 at the origin")), minimizers=lambda n, m: (np.zeros(n),),
    check=lambda n, m: None if n % 4 == 0 else _refuse(
        f"dim = {n} must be a multiple of 4 (option dim)"),
    convex=True,
    summary="MGH 22: n/4 copies of Powell's singular function (n multiple of 4), f* = 0 at 0",
    notes="convex, singular Hessian at the minimizer (see mgh-powell-singular)."))

_register(Spec(
    "mgh-penalty-1", 23, None, "Penalty I", "penalty_1",
    "r_i = sqrt(1e-5) (x_i - 1), i <= n; r_{n+1} = sum_j x_j^2 - 1/4", _dim(10, 1),
    lambda n: n + 1, lambda n, m, start: np.arange(1.0, n + 1),
    lambda n, m: _published(23, f"penalty-1-{n}", n),
    summary="MGH 23: penalty function I (m = n + 1); f* published for n = 4, 10",
    notes="a tiny quadratic penalty (a = 1e-5) plus a quartic; the minimizer has all "
          "coordinates equal."))

_register(Spec(
    "mgh-penalty-2", 24, None, "Penalty II", "penalty_2",
    "r_1 = x1 - 0.2; r_i = sqrt(a) (exp(x_i/10) + exp(x_{i-1}/10) - y_i), 2 <= i <= n; "
    "r_i = sqrt(a) (exp(x_{i-n+1}/10) - exp(-1/10)), n < i < 2n; "
    "r_2n = sum_j (n - j + 1) x_j^2 - 1; a = 1e-5, y_i = exp(i/10) + exp((i-1)/10)",
    _dim(10, 1), lambda n: 2 * n, lambda n, m, start: np.full(n, 0.5),
    lambda n, m: _published(24, f"penalty-2-{n}", n),
    summary="MGH 24: penalty function II (m = 2n); f* published for n = 4, 10",
    notes="badly scaled penalty terms (a = 1e-5 against an O(1) quartic)."))

_register(Spec(
    "mgh-variably-dimensioned", 25, None, "Variably dimensioned",
    "variably_dimensioned",
    "r_i = x_i - 1 (i <= n), r_{n+1} = sum_j j (x_j - 1), r_{n+2} = r_{n+1}^2", _dim(10, 1),
    lambda n: n + 2, lambda n, m, start: 1.0 - np.arange(1.0, n + 1) / n,
    _zero(_paper(25, "f = 0 at (1, ..., 1)")), minimizers=lambda n, m: (np.ones(n),),
    convex=True,
    summary="MGH 25: variably dimensioned (m = n + 2), f* = 0 at ones",
    notes="convex: f = sum (x_i - 1)^2 + s^2 + s^4 with s linear."))

_register(Spec(
    "mgh-trigonometric", 26, None, "Trigonometric",
    "trigonometric",
    "r_i = n - sum_j cos x_j + i (1 - cos x_i) - sin x_i", _dim(10, 1), lambda n: n,
    lambda n, m, start: np.full(n, 1.0 / n),
    _zero(_paper(26, "f = 0") + "; at x = 0 (and its 2 pi-periodic copies)"),
    minimizers=lambda n, m: (np.zeros(n),),
    local_minima=lambda n, m: _local("trigonometric") if n == 10 else (),
    summary="MGH 26: trigonometric (m = n), f* = 0 at 0",
    notes="many local minima; for n = 10 descent from the standard start typically ends at "
          "the local minimum 2.79506e-5 (extra['local_minima'], refined), not at 0."))

_register(Spec(
    "mgh-brown-almost-linear", 27, 16, "Brown almost-linear",
    "brown_almost_linear",
    "r_i = x_i + sum_j x_j - (n + 1), i < n; r_n = prod_j x_j - 1", _dim(10, 2), lambda n: n,
    lambda n, m, start: np.full(n, 0.5),
    _zero(_paper(27, "f = 0 at (a, ..., a, a^(1-n)), n a^n - (n+1) a^(n-1) + 1 = 0, e.g. "
                     "a = 1")),
    minimizers=lambda n, m: (np.ones(n),),
    local_minima=lambda n, m: ((1.0, tuple([0.0] * (n - 1) + [n + 1.0])),),
    summary="MGH 27: Brown almost-linear (m = n), f* = 0 at ones",
    notes="f = 0 at ones (listed) and at (a, ..., a, a^(1-n)) for the other real roots a of "
          "n a^n - (n+1) a^(n-1) + 1 = 0; MGH also give f = 1 at (0, ..., 0, n+1)."))

_register(Spec(
    "mgh-discrete-boundary-value", 28, None, "Discrete boundary value",
    "discrete_boundary_value",
    "r_i = 2 x_i - x_{i-1} - x_{i+1} + h^2 (x_i + t_i + 1)^3 / 2, h = 1/(n+1), t_i = i h, "
    "x_0 = x_{n+1} = 0", _dim(10, 1), lambda n: n,
    lambda n, m, start: (lambda t: t * (t - 1.0))(np.arange(1.0, n + 1) / (n + 1.0)),
    _zero(_paper(28, "f = 0")),
    summary="MGH 28: discrete boundary value problem (m = n), f* = 0",
    notes="a discretized two-point boundary value problem; its root has no closed form."))

_register(Spec(
    "mgh-discrete-integral-equation", 29, None, "Discrete integral equation",
    "discrete_integral_equation",
    "r_i = x_i + h [(1 - t_i) sum_{j<=i} t_j (x_j + t_j + 1)^3 + t_i sum_{j>i} (1 - t_j) "
    "(x_j + t_j + 1)^3] / 2", _dim(10, 1), lambda n: n,
    lambda n, m, start: (lambda t: t * (t - 1.0))(np.arange(1.0, n + 1) / (n + 1.0)),
    _zero(_paper(29, "f = 0")),
    summary="MGH 29: discrete integral equation (m = n, dense Jacobian), f* = 0",
    notes="the integral-equation form of MGH 28; its root has no closed form."))

_register(Spec(
    "mgh-broyden-tridiagonal", 30, None, "Broyden tridiagonal",
    "broyden_tridiagonal",
    "r_i = (3 - 2 x_i) x_i - x_{i-1} - 2 x_{i+1} + 1, x_0 = x_{n+1} = 0", _dim(10, 1),
    lambda n: n, lambda n, m, start: np.full(n, -1.0), _zero(_paper(30, "f = 0")),
    summary="MGH 30: Broyden tridiagonal (m = n), f* = 0",
    notes="a tridiagonal nonlinear system; its root has no closed form."))

_register(Spec(
    "mgh-broyden-banded", 31, None, "Broyden banded",
    "broyden_banded",
    "r_i = x_i (2 + 5 x_i^2) + 1 - sum_{j in J_i} x_j (1 + x_j), "
    "J_i = {j != i: max(1, i-5) <= j <= min(n, i+1)}", _dim(10, 1), lambda n: n,
    lambda n, m, start: np.full(n, -1.0), _zero(_paper(31, "f = 0")),
    summary="MGH 31: Broyden banded (m = n, bandwidths 5 and 1), f* = 0",
    notes="a banded nonlinear system; its root has no closed form."))


_register(Spec(
    "mgh-linear-full-rank", 32, 1, "Linear function - full rank",
    "linear_full_rank",
    "r_i = x_i - (2/m) sum_j x_j - 1 (i <= n), r_i = -(2/m) sum_j x_j - 1 (i > n)",
    _dim(9, 1), _m(45, 1), lambda n, m, start: np.ones(n),
    lambda n, m: Known(float(m - n), _paper(32, "f = m - n at (-1, ..., -1)")),
    minimizers=lambda n, m: (-np.ones(n),), check=_m_at_least_n, convex=True,
    # J'J = I exactly (the columns of J are orthonormal), so Hess f = 2 I: L = mu = 2.
    quadratic=lambda n, m: (2.0, 2.0),
    summary="MGH 32: linear function, full rank (m >= n; default n = 9, m = 45), f* = m - n",
    notes="a convex quadratic with Hessian exactly 2 I (J'J = I), minimizer (-1, ..., -1)."))

_register(Spec(
    "mgh-linear-rank-1", 33, 2, "Linear function - rank 1",
    "linear_rank_1",
    "r_i = i (sum_j j x_j) - 1", _dim(7, 1), _m(35, 1), lambda n, m, start: np.ones(n),
    lambda n, m: Known(m * (m - 1.0) / (2.0 * (2.0 * m + 1.0)),
                       _paper(33, "f = m (m-1) / (2 (2m+1)) wherever sum_j j x_j = 3/(2m+1)")),
    check=_m_at_least_n, convex=True,
    # Hess f = 2 (sum_i i^2) b b', b_j = j: one eigenvalue L, the others 0.
    quadratic=lambda n, m: (2.0 * (m * (m + 1) * (2 * m + 1) / 6) * (n * (n + 1) * (2 * n + 1)
                                                                       / 6), 0.0),
    summary="MGH 33: linear function, rank 1 (m >= n; default n = 7, m = 35), "
            "f* = m(m-1)/(2(2m+1))",
    notes="a convex quadratic of rank 1: the minimizers form the hyperplane "
          "sum_j j x_j = 3/(2m+1) (none is listed)."))

_register(Spec(
    "mgh-linear-rank-1-zero", 34, 3, "Linear function - rank 1 with zero columns and rows",
    "linear_rank_1_zero",
    "r_1 = r_m = -1, r_i = (i - 1) (sum_{j=2}^{n-1} j x_j) - 1 (2 <= i <= m-1)",
    _dim(7, 3), _m(35, 3), lambda n, m, start: np.ones(n),
    lambda n, m: Known((m * m + 3.0 * m - 6.0) / (2.0 * (2.0 * m - 3.0)),
                       _paper(34, "f = (m^2 + 3m - 6) / (2 (2m-3)) wherever "
                                  "sum_{j=2}^{n-1} j x_j = 3/(2m-3)")),
    check=_m_at_least_n, convex=True,
    quadratic=lambda n, m: (2.0 * ((m - 2) * (m - 1) * (2 * m - 3) / 6)
                            * ((n - 1) * n * (2 * n - 1) / 6 - 1.0), 0.0),
    summary="MGH 34: linear function, rank 1 with zero columns and rows (m >= n >= 3)",
    notes="a convex quadratic of rank 1; x1 and xn do not enter f; the minimizers form the "
          "set sum_{j=2}^{n-1} j x_j = 3/(2m-3) (none is listed)."))


def _chebyquad_optimum(n, m):
    # MGH: f = 0 for m = n, 1 <= n <= 7 and n = 9; 3.51687...e-3 for m = n = 8;
    # 6.50395...e-3 for m = n = 10. For n = 10 the published value is not the minimum: a
    # multistart search (400 Levenberg-Marquardt runs from uniform starts in [0, 1]^10) finds
    # 4.77271...e-3 (refined below) besides 6.50395e-3 (reached from the standard start) and
    # 9.50063e-3. f_star is the lower value; the published one is in extra["local_minima"].
    if m != n:
        return None
    if n <= 7 or n == 9:
        return Known(0.0, _paper(35, "f = 0 for m = n, 1 <= n <= 7 and n = 9"))
    if n == 8:
        return _known("chebyquad-8", _paper(35, "f = 3.51687...e-3 for m = n = 8") + "; "
                      + REFINED_HOW)
    if n == 10:
        return _known("chebyquad-10", "computed: lower than MGH 1981's f = 6.50395...e-3 for "
                      "m = n = 10, which is a local minimum; found by a multistart search and "
                      + REFINED_HOW)
    return None


_register(Spec(
    "mgh-chebyquad", 35, 15, "Chebyquad", "chebyquad",
    "r_i = (1/n) sum_j T_i(x_j) - int_0^1 T_i(t) dt, T_i the Chebyshev polynomials shifted "
    "to [0, 1]", _dim(8, 1), _m(None, 1, doc="number of residuals m >= n (default: n)"),
    lambda n, m, start: np.arange(1.0, n + 1) / (n + 1.0), _chebyquad_optimum,
    check=_m_at_least_n,
    local_minima=lambda n, m: _local("chebyquad-10-local") if (n, m) == (10, 10) else (),
    summary="MGH 35: Chebyquad (m >= n, default m = n = 8); f* known for m = n <= 10",
    notes="invariant under permutations of x (many equivalent minimizers); for m = n = 10 "
          "the value MGH publish, 6.50395e-3, is a local minimum (extra['local_minima']): "
          "f_star = 4.77271...e-3 is the least value a multistart search finds."))


# -- the four functions More & Wild (2009) add (from CUTEr) ---------------------------------------
_register(Spec(
    "mw-bdqrtic", None, 19, "BDQRTIC", "bdqrtic",
    "r_i = 3 - 4 x_i, r_{n-4+i} = x_i^2 + 2 x_{i+1}^2 + 3 x_{i+2}^2 + 4 x_{i+3}^2 + 5 x_n^2 "
    "(i = 1..n-4)", _dim(8, 5), lambda n: 2 * (n - 4), lambda n, m, start: np.ones(n),
    # Not published by More & Wild; f is convex (squares of nonnegative convex quadratics
    # plus squares of affine functions), so the stationary point found and refined for their
    # four sizes is the global minimum.
    lambda n, m: _known(f"bdqrtic-{n}", "computed: the minimum of a convex f, "
                        + REFINED_HOW.replace("refined", "solved and refined"), "global")
    if f"bdqrtic-{n}" in REFINED else None,
    convex=True,
    summary="More & Wild 19: BDQRTIC (CUTEr), m = 2(n - 4), convex",
    notes="convex quartic; f* computed for More & Wild's sizes n = 8, 10, 11, 12."))

_register(Spec(
    "mw-cube", None, 20, "CUBE", "cube",
    "r_1 = x1 - 1, r_i = 10 (x_i - x_{i-1}^3)", _dim(5, 2), lambda n: n,
    lambda n, m, start: np.full(n, 0.5), _zero("zero residual at (1, ..., 1)"),
    minimizers=lambda n, m: (np.ones(n),),
    summary="More & Wild 20: CUBE (CUTEr), a cubic Rosenbrock-like valley, f* = 0 at ones",
    notes="a chain of cubic valleys x_i = x_{i-1}^3."))

_register(Spec(
    "mw-mancino", None, 21, "MANCINO", "mancino",
    "r_i = 1400 x_i + (i - 50)^3 + sum_j v_ij (sin^5(ln v_ij) + cos^5(ln v_ij)), "
    "v_ij = sqrt(x_i^2 + i/j)", _dim(8, 2, 100), lambda n: n,
    lambda n, m, start: _mancino_start(n),
    # r_i depends on x_i alone and dr_i/dx_i >= 1400 - 12 n > 0 (|g'| <= 12 for
    # g(v) = v (sin^5 ln v + cos^5 ln v), |dv/dx_i| <= 1), so each r_i has exactly one root:
    # f* = 0 at a unique minimizer (no closed form) for n <= 100.
    lambda n, m: Known(0.0, "each residual is a strictly increasing function of x_i alone "
                       "(dr_i/dx_i >= 1400 - 12 n > 0), so r has a root: f* = 0"),
    summary="More & Wild 21: MANCINO (CUTEr), diagonal Jacobian, f* = 0",
    notes="badly scaled: f(x_s) ~ 1e9 to 1e13; a separable system of equations."))


_register(Spec(
    "mw-heart8", None, 22, "HEART8", "heart8",
    "r1 = x1 + x2 + 0.69, r2 = x3 + x4 + 0.044, r3 + i r4 ... r7 + i r8: "
    "(x1 + i x3) w1^k + (x2 + i x4) w2^k - c_k, w1 = x5 + i x7, w2 = x6 + i x8, k = 1..3",
    8, 8, _fixed(-0.3, -0.39, 0.3, -0.344, -1.2, 2.69, 1.59, -1.5),
    lambda n, m: _known("heart8", "computed: Newton from the start converges to a zero "
                        "residual (f = 7.5e-37 at the refined root); f >= 0, so f* = 0", "global"),
    summary="More & Wild 22: HEART8 (CUTEr), the heart dipole equations, f* = 0",
    notes="a polynomial system of 8 equations (real and imaginary parts of complex "
          "products z w^k); other stationary points exist (multistart finds f = 4.665)."))


# -- the standard instances and the More & Wild benchmark set --------------------------------------
MGH = [(name, {}) for name in _REGISTERED if name.startswith("mgh-")]
"""The 35 MGH problems at their defaults (standard start, the sizes chosen above)."""


def _mw(family, n=None, m=None, scales=(1,), start=None, **fixed):
    """More & Wild entries of one (problem, n, m): one per start factor 10^ns."""
    out = []
    for s in scales:
        params = {}
        if n is not None:
            params["dim"] = n
        if m is not None:
            params["m"] = m
        if start is not None:
            params["start"] = start
        params["scale"] = float(s)
        out.append((family, params))
    return out


# Table 2 of More & Wild (2009), as their data file dfo.dat lists it: (nprob, n, m, ns), the
# start being 10^ns times dfoxs's x_s. Only the parameters a family takes are given (n and m
# are fixed for the others; tests/test_mgh.py checks every entry's n and m against the table).
MORE_WILD = [
    *_mw("mgh-linear-full-rank", 9, 45, (1, 10)),           # 1-2
    *_mw("mgh-linear-rank-1", 7, 35, (1, 10)),              # 3-4
    *_mw("mgh-linear-rank-1-zero", 7, 35, (1, 10)),         # 5-6
    *_mw("mgh-rosenbrock", scales=(1, 10)),                 # 7-8
    *_mw("mgh-helical-valley", scales=(1, 10)),             # 9-10
    *_mw("mgh-powell-singular", scales=(1, 10)),            # 11-12
    *_mw("mgh-freudenstein-roth", scales=(1, 10)),          # 13-14
    *_mw("mgh-bard", scales=(1, 10)),                       # 15-16
    *_mw("mgh-kowalik-osborne"),                            # 17
    *_mw("mgh-meyer"),                                      # 18
    *_mw("mgh-watson", 6, scales=(1, 10), start="more-wild"),    # 19-20
    *_mw("mgh-watson", 9, scales=(1, 10), start="more-wild"),    # 21-22
    *_mw("mgh-watson", 12, scales=(1, 10), start="more-wild"),   # 23-24
    *_mw("mgh-box-3d", m=10),                               # 25
    *_mw("mgh-jennrich-sampson", m=10),                     # 26
    *_mw("mgh-brown-dennis", m=20, scales=(1, 10)),         # 27-28
    *[e for n in range(6, 12) for e in _mw("mgh-chebyquad", n, n)],   # 29-34
    *_mw("mgh-brown-almost-linear", 10),                    # 35
    *_mw("mgh-osborne-1", start="more-wild"),               # 36
    *_mw("mgh-osborne-2", scales=(1, 10)),                  # 37-38
    *[e for n in (8, 10, 11, 12) for e in _mw("mw-bdqrtic", n)],      # 39-42
    *[e for n in (5, 6, 8) for e in _mw("mw-cube", n)],               # 43-45
    *_mw("mw-mancino", 5, scales=(1, 10)),                  # 46-47
    *_mw("mw-mancino", 8), *_mw("mw-mancino", 10),          # 48-49
    *_mw("mw-mancino", 12, scales=(1, 10)),                 # 50-51
    *_mw("mw-heart8", scales=(1, 10)),                      # 52-53
]
"""More & Wild's 53 benchmark problems: (family, parameters) in the order of dfo.dat."""

optbench.register_problem_set(
    "mgh", MGH, summary="More, Garbow & Hillstrom (1981): the 35 unconstrained test problems "
                        "at their standard sizes and starts")
optbench.register_problem_set(
    "more-wild", MORE_WILD, summary="More & Wild (2009): 53 problems from 22 functions, "
                                    "their sizes and starts (1x and 10x)")
