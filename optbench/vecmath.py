"""Elementary functions in plain arithmetic, so LLVM can vectorize the loops that call them.

numba turns ``math.tanh`` into a call to the C library, one number at a time (about 20 ns on
this machine), and a loop with a call in it is never vectorized. :func:`tanh` here is a few
multiplications, additions and one division with no branch, so a loop of them runs four
numbers per instruction with AVX2 (about 2-4 ns each), within 3 ulp of the C library
(``tests/test_vecmath.py`` measures it against ``numpy.tanh``).

How: tanh |z| = -E / (E + 2) with E = e^(-2|z|) - 1, and e^u - 1 = 2^n (e^r - 1) + (2^n - 1)
with u = n ln 2 + r, |r| <= ln(2)/2 (Cody and Waite's reduction, ln 2 split in two parts so
n ln2_hi is exact), e^r - 1 by its Taylor series to degree 13 (truncation below 1e-17), and
2^n made from its bits. Writing tanh through e^u - 1 keeps full relative accuracy near 0.
"""

from __future__ import annotations

import math
import struct
from decimal import Decimal, localcontext

import numpy as np
from numba import types
from numba.extending import intrinsic

from ._jit import jit

__all__ = ["tanh"]


def _bitcast(source, target, name: str, doc: str):
    """An intrinsic reinterpreting the bits of a ``source`` value as ``target`` (same width;
    no conversion)."""
    def typer(typingctx, value):
        if value != source:
            return None

        def codegen(context, builder, signature, args):
            return builder.bitcast(args[0], context.get_value_type(target))

        return target(source), codegen

    typer.__name__, typer.__doc__ = name, doc
    return intrinsic(typer)


_float_from_bits = _bitcast(types.int64, types.float64, "_float_from_bits",
                            "The float64 whose IEEE bits are the int64 ``bits``.")
_bits_of_float = _bitcast(types.float64, types.int64, "_bits_of_float",
                          "The IEEE bits of the float64 ``value`` as an int64.")


def _split_ln2() -> tuple[float, float]:
    """ln 2 = hi + lo: hi keeps the top 21 bits of the mantissa (so n * hi is exact for
    |n| < 2^32), lo is the rest, both from 50 correct digits of ln 2."""
    bits = struct.unpack("<q", struct.pack("<d", math.log(2.0)))[0]
    hi = struct.unpack("<d", struct.pack("<q", bits & ~((1 << 32) - 1)))[0]
    with localcontext() as ctx:
        ctx.prec = 50
        lo = float(Decimal(2).ln() - Decimal(hi))
    return hi, lo


_LOG2E = 1.0 / math.log(2.0)  # only picks n: any rounding of it is harmless
_LN2_HI, _LN2_LO = _split_ln2()
_SHIFTER = 1.5 * 2.0**52  # u log2(e) + this: round to nearest, n in the low mantissa bits
_EXP_ONE = 1023 << 52  # bits of 1.0
_TANH_SATURATES = 20.0  # tanh(20) = 1 - 8e-18 rounds to 1
# 1/k!, k = 2..13: e^r - 1 = r + r^2 (C2 + r (C3 + ... + r C13))
(_C2, _C3, _C4, _C5, _C6, _C7, _C8, _C9, _C10, _C11, _C12, _C13) = (
    1.0 / math.factorial(k) for k in range(2, 14))


@jit(inline=True)
def _expm1_nonpositive(u):
    """e^u - 1 for -41 <= u <= 0 (2^n stays normal)"""
    shifted = u * _LOG2E + _SHIFTER
    n = shifted - _SHIFTER  # round(u log2 e), as a float
    r = (u - n * _LN2_HI) - n * _LN2_LO
    p = _C13
    p = p * r + _C12
    p = p * r + _C11
    p = p * r + _C10
    p = p * r + _C9
    p = p * r + _C8
    p = p * r + _C7
    p = p * r + _C6
    p = p * r + _C5
    p = p * r + _C4
    p = p * r + _C3
    p = p * r + _C2
    em1 = r + r * r * p
    # the low bits of `shifted` hold n (two's complement): shifted into the exponent field
    two_n = _float_from_bits((_bits_of_float(shifted) << 52) + _EXP_ONE)
    return two_n * em1 + (two_n - 1.0)


@jit(inline=True)
def tanh(z):
    """tanh(z), within 3 ulp of the C library's; NaN for NaN, +-1 for +-inf, -0.0 for -0.0."""
    e = _expm1_nonpositive(-2.0 * min(abs(z), _TANH_SATURATES))
    t = np.true_divide(-e, e + 2.0)  # no ZeroDivisionError branch: e + 2 >= 1
    return math.copysign(t, z) if z == z else z
