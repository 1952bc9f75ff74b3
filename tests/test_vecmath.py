"""optbench.vecmath.tanh against NumPy's tanh (the C library's); a loop of it vectorizes."""

import re

import numba
import numpy as np

from optbench.vecmath import tanh


@numba.njit
def tanh_all(z, out):
    for i in range(z.shape[0]):
        out[i] = tanh(z[i])


def _ulps(got, ref):
    """|got - ref| in units of the last place of ref (the smallest normal's for tiny ref)."""
    return np.abs(got - ref) / np.spacing(np.maximum(np.abs(ref), np.finfo(float).tiny))


def test_tanh_within_3_ulp_of_numpy(rng):
    magnitudes = np.logspace(-320, 3, 200_000)
    z = np.concatenate([3.0 * rng.standard_normal(500_000), magnitudes, -magnitudes,
                        np.linspace(-25.0, 25.0, 200_001),  # through 0 and the saturation
                        np.nextafter(20.0, [0.0, 30.0]), [5e-324, -5e-324, 1e-308]])
    out = np.empty_like(z)
    tanh_all(z, out)
    ref = np.tanh(z)
    assert _ulps(out, ref).max() <= 3.0
    assert np.array_equal(np.sign(out), np.sign(ref))  # odd, and tanh(z) = 0 only at z = 0


def test_tanh_special_values():
    z = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 1e300, -1e300])
    out = np.empty_like(z)
    tanh_all(z, out)
    np.testing.assert_array_equal(out[[0, 2, 3, 5, 6]], [0.0, 1.0, -1.0, 1.0, -1.0])
    assert not np.signbit(out[0]) and np.signbit(out[1])
    assert np.isnan(out[4])


def test_a_loop_of_tanh_vectorizes():
    """Whatever CPU numba compiles for (SSE2 on baseline x86-64: 2 doubles per instruction,
    AVX2: 4, AVX-512: 8), tanh's division runs on vectors."""
    tanh_all(np.zeros(8), np.empty(8))
    ir = "".join(tanh_all.inspect_llvm().values())
    assert re.search(r"fdiv[^<\n]*<\d+ x double>", ir)
    assert "@tanh" not in ir  # no call into the C library
