"""Small compiled vector helpers shared by problems and solvers (loops, no temporaries)."""

from __future__ import annotations

import functools
import math

import numba
import numpy as np
from llvmlite import binding as llvm
from llvmlite import ir
from numba import types
from numba.extending import get_cython_function_address, intrinsic

from ._jit import jit
from ._numba import cgutils, launch_threads

__all__ = ["dot", "sumsq", "norm2", "affine_score", "add_scaled_row", "copy_into",
           "linear_value_grad", "linear_value", "linear_rows_value_grad", "SQUARED", "LOGISTIC",
           "lsq_value_grad_parallel", "parallel_sum", "serial_sum", "gram_lower", "register_blas",
           "mirror_lower", "gram", "REASSOC", "THREADED_MIN", "load_threading_layer"]


@jit
def dot(u, v):
    """u . v"""
    s = 0.0
    for i in range(u.shape[0]):
        s += u[i] * v[i]
    return s


@jit
def sumsq(v):
    """sum_i v_i^2"""
    s = 0.0
    for i in range(v.shape[0]):
        s += v[i] * v[i]
    return s


@jit
def norm2(v):
    """||v||_2"""
    return math.sqrt(sumsq(v))


@jit
def affine_score(X, i, w):
    """w.x_i + b for w = (weights, bias) and the row x_i of X."""
    d = X.shape[1]
    s = w[d]
    for j in range(d):
        s += w[j] * X[i, j]
    return s


@jit
def add_scaled_row(w, X, i, a):
    """(weights, bias) += a (x_i, 1)."""
    d = X.shape[1]
    for j in range(d):
        w[j] += a * X[i, j]
    w[d] += a


@jit
def copy_into(dst, src):
    """dst[:] = src, as a loop (cheaper to compile than slice assignment)."""
    for i in range(dst.shape[0]):
        dst[i] = src[i]


# -- linear models: sum_i phi(a_i.w + b, y_i) and its gradient in one pass over A ---------------
# Least squares (phi = (z - y)^2) and logistic regression (phi = log(1 + e^(-y z))) share it.
# Measured on one thread, f and gradient of least squares: one pass took 0.2-0.97 of the time
# of two BLAS matrix-vector products (NumPy's or numba's) from 2 x 2 to 20000 x 1000 (A is read
# once); on 2 threads, the row blocks on numba's threads pay off from about 2^19 entries.
# REASSOC lets LLVM reorder the sums (vectorized reductions) but keeps NaN and inf semantics.
# Plain numba.njit (optbench.jit has no parallel option): these take arrays only, so numba's own
# cache keys them fine; callers compiled with optbench.jit stay cacheable.
REASSOC = {"reassoc", "contract"}
SQUARED, LOGISTIC = 0, 1  # phi(z, y): (z - y)^2; log(1 + exp(-y z)) with y in {-1, +1}
_ROWS = 4  # rows read together: their scores, then one update of g per 4 rows
_BLOCKS = 32  # row blocks, each with its own gradient accumulator, shared out among the
# threads (a constant: numba.get_num_threads() inside would make the function uncachable, and a
# fixed split makes the result the same on any number of threads)
THREADED_MIN = 1 << 19  # entries of A (4 MB) from which the threaded path is taken


def load_threading_layer() -> None:
    """Load numba's threading layer (no thread starts). Compiled code that calls the threaded
    kernels below and is loaded from the disk cache needs it loaded first, or it crashes:
    problems call this when they choose the threaded functions (once per process; see
    :func:`optbench._numba.launch_threads`)."""
    launch_threads()


@numba.njit(cache=True, nogil=True)
def _phi(z, y, loss):
    """(phi(z, y), d phi / dz): (r^2, r) with r = z - y (half the derivative: callers halve
    the value), or (log(1 + e^t), -y sigma(t)) with t = -y z, one exp, no overflow."""
    if loss == SQUARED:
        r = z - y
        return r * r, r
    t = -y * z
    e = math.exp(-abs(t))
    sig = 1.0 / (1.0 + e) if t >= 0.0 else e / (1.0 + e)
    return max(t, 0.0) + math.log1p(e), -y * sig


@numba.njit(fastmath=REASSOC, cache=True, nogil=True)
def _rows(A, y, x, rows, lo, hi, g, loss):
    """Over i = rows[k] (or k when rows is None), lo <= k < hi, with z_i = a_i.w (+ b when
    x = (w, b) has one entry more than A has columns) and (v_i, c_i) = _phi(z_i, y_i, loss):
    g += sum_i c_i (a_i, 1); returns sum_i v_i. g is None: the sum only."""
    d = A.shape[1]
    b = x[d] if x.shape[0] > d else 0.0
    s = 0.0
    k = lo
    while k + _ROWS <= hi:
        if rows is None:
            i0, i1, i2, i3 = k, k + 1, k + 2, k + 3
        else:
            i0, i1, i2, i3 = rows[k], rows[k + 1], rows[k + 2], rows[k + 3]
        z0 = z1 = z2 = z3 = b
        for j in range(d):
            xj = x[j]
            z0 += A[i0, j] * xj
            z1 += A[i1, j] * xj
            z2 += A[i2, j] * xj
            z3 += A[i3, j] * xj
        v0, c0 = _phi(z0, y[i0], loss)
        v1, c1 = _phi(z1, y[i1], loss)
        v2, c2 = _phi(z2, y[i2], loss)
        v3, c3 = _phi(z3, y[i3], loss)
        s += v0 + v1 + v2 + v3
        if g is not None:
            for j in range(d):
                g[j] += c0 * A[i0, j] + c1 * A[i1, j] + c2 * A[i2, j] + c3 * A[i3, j]
            if g.shape[0] > d:
                g[d] += c0 + c1 + c2 + c3
        k += _ROWS
    while k < hi:
        i = k if rows is None else rows[k]
        z = b
        for j in range(d):
            z += A[i, j] * x[j]
        v, c = _phi(z, y[i], loss)
        s += v
        if g is not None:
            for j in range(d):
                g[j] += c * A[i, j]
            if g.shape[0] > d:
                g[d] += c
        k += 1
    return s


@numba.njit(parallel=True, fastmath=REASSOC, cache=True, nogil=True)
def _blocks(A, y, x, partial, loss):
    """Row blocks b = 0..B-1 on numba's threads: partial[b] = the block's sum of c_i (a_i, 1)
    (None: no gradient); returns each block's sum of v_i."""
    m = A.shape[0]
    blocks = max(1, min(_BLOCKS, m // _ROWS))
    sums = np.zeros(blocks)
    for b in numba.prange(blocks):
        lo, hi = b * m // blocks, (b + 1) * m // blocks
        if partial is None:
            sums[b] = _rows(A, y, x, None, lo, hi, None, loss)
        else:
            sums[b] = _rows(A, y, x, None, lo, hi, partial[b], loss)
    return sums


@numba.njit(fastmath=REASSOC, cache=True, nogil=True)
def _value_grad_threaded(A, y, x, out, loss):
    """out = sum_i c_i (a_i, 1); returns sum_i v_i: 32 row blocks on numba's threads, added
    in a fixed order (the same result on any number of threads)"""
    m = A.shape[0]
    partial = np.zeros((max(1, min(_BLOCKS, m // _ROWS)), out.shape[0]))
    sums = _blocks(A, y, x, partial, loss)
    for j in range(out.shape[0]):
        t = 0.0
        for b in range(partial.shape[0]):
            t += partial[b, j]
        out[j] = t
    return np.sum(sums)


@numba.njit(fastmath=REASSOC, cache=True, nogil=True)
def linear_value_grad(A, y, x, out, loss, threaded):
    """out = sum_i c_i (a_i, 1); returns sum_i v_i, (v_i, c_i) = _phi(z_i, y_i, loss),
    z_i = a_i.w (+ b when x = (w, b)): A read once, on numba's threads when ``threaded`` and
    A has THREADED_MIN entries or more, else on this thread. Deterministic: the path depends
    on the shape only, the threaded sums on no thread count."""
    m, d = A.shape
    if threaded and m * d >= THREADED_MIN:
        return _value_grad_threaded(A, y, x, out, loss)
    for j in range(out.shape[0]):
        out[j] = 0.0
    return _rows(A, y, x, None, 0, m, out, loss)


@numba.njit(fastmath=REASSOC, cache=True, nogil=True)
def linear_value(A, y, x, loss, threaded):
    """sum_i phi(z_i, y_i) with the paths and sums of :func:`linear_value_grad`"""
    m, d = A.shape
    if threaded and m * d >= THREADED_MIN:
        return np.sum(_blocks(A, y, x, None, loss))
    return _rows(A, y, x, None, 0, m, None, loss)


@numba.njit(fastmath=REASSOC, cache=True, nogil=True)
def linear_rows_value_grad(A, y, x, rows, out, loss):
    """:func:`linear_value_grad` over the rows ``rows`` only (a mini-batch; this thread)"""
    for j in range(out.shape[0]):
        out[j] = 0.0
    return _rows(A, y, x, rows, 0, rows.shape[0], out, loss)


@numba.njit(cache=True, nogil=True)
def lsq_value_grad_parallel(A, y, x, out):
    """out = A'(Ax - y); returns 1/2 ||Ax - y||^2 (the threaded path at every size)"""
    return 0.5 * _value_grad_threaded(A, y, x, out, SQUARED)


@numba.njit(parallel=True, fastmath=True, cache=True, nogil=True)
def parallel_sum(A):
    """sum_ij A_ij: reads A once, in the row blocks of lsq_value_grad_parallel (a memory-bandwidth
    probe)"""
    m, n = A.shape
    blocks = max(1, min(_BLOCKS, m))
    sums = np.zeros(blocks)
    for b in numba.prange(blocks):
        t = 0.0
        for i in range(b * m // blocks, (b + 1) * m // blocks):
            for j in range(n):
                t += A[i, j]
        sums[b] = t
    return np.sum(sums)


@jit(fastmath=True)
def serial_sum(A):
    """sum_ij A_ij on one thread (a memory-bandwidth probe)"""
    s = 0.0
    for i in range(A.shape[0]):
        for j in range(A.shape[1]):
            s += A[i, j]
    return s


# -- BLAS dsyrk from compiled code: C = alpha B'B for a C-contiguous B (m x n) ---------------------
# scipy's BLAS is reached by a symbol name that LLVM resolves when it links the machine code, so
# callers stay cacheable (a ctypes pointer would make them uncachable). The name must be
# registered before such code is compiled or loaded from the cache: register_blas() runs when
# the intrinsic is compiled and when a module using gram_lower is imported (not at
# ``import optbench``, which does not otherwise load scipy.linalg).
_DSYRK = "optbench_scipy_dsyrk"


@functools.cache
def register_blas() -> None:
    """Make scipy's dsyrk known to LLVM under ``optbench_scipy_dsyrk`` (idempotent)."""
    llvm.add_symbol(_DSYRK, get_cython_function_address("scipy.linalg.cython_blas", "dsyrk"))


@intrinsic
def _dsyrk_call(typingctx, n, k, alpha, a, beta, c, ldc):
    """Fortran dsyrk('U', 'N', n, k, alpha, a, n, beta, c, ldc):
    C_f = alpha A_f A_f' + beta C_f (column-major, upper triangle)"""
    register_blas()
    if a.layout != "C" or c.layout != "C" or a.ndim != 2 or c.ndim != 2:
        return None  # dsyrk reads raw memory: only C-contiguous matrices
    sig = types.void(types.int32, types.int32, types.float64, a, types.float64, c,
                     types.int32)

    def codegen(context, builder, signature, args):
        n_, k_, alpha_, a_, beta_, c_, ldc_ = args
        i8p = ir.IntType(8).as_pointer()
        i32p = ir.IntType(32).as_pointer()
        dblp = ir.DoubleType().as_pointer()
        fnty = ir.FunctionType(ir.VoidType(), [i8p, i8p, i32p, i32p, dblp, dblp, i32p, dblp,
                                               dblp, i32p])
        fn = cgutils.get_or_insert_function(builder.module, fnty, _DSYRK)

        def slot(value):
            ptr = cgutils.alloca_once(builder, value.type)
            builder.store(value, ptr)
            return ptr

        def char(c):
            return builder.bitcast(slot(ir.Constant(ir.IntType(8), ord(c))), i8p)

        a_data = context.make_array(signature.args[3])(context, builder, a_).data
        c_data = context.make_array(signature.args[5])(context, builder, c_).data
        builder.call(fn, [char("U"), char("N"), slot(n_), slot(k_), slot(alpha_), a_data,
                          slot(n_), slot(beta_), c_data,
                          slot(ldc_)])
        return context.get_dummy_value()

    return sig, codegen


@jit
def gram_lower(B, alpha, beta, C):
    """C[:n, :n] lower triangle = alpha B'B + beta C for B (m x n, C-contiguous), by BLAS dsyrk
    (C is C-contiguous with C.shape[1] >= n; its strict upper part is left as it was).
    Modules that use it call :func:`register_blas` when imported."""
    m, n = B.shape
    # B row-major is B' column-major (n x m, leading dimension n): dsyrk 'N' gives B'B; its
    # upper triangle column-major is the lower triangle of C row-major.
    _dsyrk_call(np.int32(n), np.int32(m), alpha, B, beta, C, np.int32(C.shape[1]))


_TILE = 32  # square tiles of the transposing copy (stay in cache)


@jit
def mirror_lower(C):
    """C[k, j] = C[j, k] for k < j: the strict upper triangle from the lower (n x n), by tiles"""
    n = C.shape[0]
    for jb in range(0, n, _TILE):
        for kb in range(0, jb + 1, _TILE):
            for j in range(jb, min(jb + _TILE, n)):
                for k in range(kb, min(kb + _TILE, j)):
                    C[k, j] = C[j, k]


_GRAM_LOOPS_MAX = 1 << 14  # m n^2 up to this: plain loops (no BLAS call, no temporaries)


@jit
def gram(A, out):
    """out = A'A (A: m x n C-contiguous, out n x n): loops when m n^2 is small, else BLAS dsyrk
    on the lower triangle, mirrored. Modules that use it call :func:`register_blas` when
    imported."""
    m, n = A.shape
    if m * n * n > _GRAM_LOOPS_MAX:
        gram_lower(A, 1.0, 0.0, out)
        mirror_lower(out)
        return
    for j in range(n):
        for k in range(j + 1):
            out[j, k] = 0.0
    for i in range(m):
        for j in range(n):
            a = A[i, j]
            for k in range(j + 1):
                out[j, k] += a * A[i, k]
    for j in range(n):
        for k in range(j):
            out[k, j] = out[j, k]
