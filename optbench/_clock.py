"""A monotonic clock readable inside compiled code.

``time.perf_counter`` cannot be called from nopython code. :func:`now` emits a direct call to
libc's ``clock_gettime(CLOCK_MONOTONIC)`` (about 25 ns) and keeps its callers cacheable,
unlike a ctypes call. Seconds since an arbitrary fixed point, as a float.
"""

from llvmlite import ir
from numba import types
from numba.extending import intrinsic

from ._jit import jit
from ._numba import cgutils

_CLOCK_MONOTONIC = 1  # Linux value of CLOCK_MONOTONIC


@intrinsic
def _monotonic_seconds(typingctx):
    sig = types.float64()

    def codegen(context, builder, signature, args):
        i32, i64 = ir.IntType(32), ir.IntType(64)
        timespec = ir.LiteralStructType([i64, i64])
        fnty = ir.FunctionType(i32, [i32, timespec.as_pointer()])
        fn = cgutils.get_or_insert_function(builder.module, fnty, "clock_gettime")
        ts = builder.alloca(timespec)
        builder.call(fn, [ir.Constant(i32, _CLOCK_MONOTONIC), ts])
        sec = builder.load(builder.gep(ts, [ir.Constant(i32, 0), ir.Constant(i32, 0)]))
        nsec = builder.load(builder.gep(ts, [ir.Constant(i32, 0), ir.Constant(i32, 1)]))
        dbl = ir.DoubleType()
        return builder.fadd(builder.sitofp(sec, dbl),
                            builder.fmul(builder.sitofp(nsec, dbl), ir.Constant(dbl, 1e-9)))

    return sig, codegen


@jit
def now():
    """Seconds on the monotonic clock (callable from nopython code)."""
    return _monotonic_seconds()
