"""Small compiled vector helpers shared by problems and solvers (loops, no temporaries)."""

from __future__ import annotations

import functools
import math

import numba
import numpy as np
from llvmlite import binding as llvm
from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.extending import get_cython_function_address, intrinsic

from ._jit import jit

__all__ = ["dot", "sumsq", "norm2", "affine_score", "add_scaled_row", "copy_into",
           "lsq_value_grad_parallel", "lsq_value_parallel", "parallel_sum", "serial_sum",
           "gram_lower", "register_blas", "mirror_lower"]


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


# -- least squares: one pass over A, row blocks on numba's threads -------------------------------
# Plain numba.njit (optbench.jit has no parallel option): these take arrays only, so numba's own
# cache keys them fine; callers compiled with optbench.jit stay cacheable.
_ROWS = 4  # rows read together: their residuals, then one update of g per 4 rows
_BLOCKS = 32  # row blocks, each with its own gradient accumulator, shared out among the
# threads (a constant: numba.get_num_threads() inside would make the function uncachable)


@numba.njit(parallel=True, fastmath=True, cache=True, nogil=True)
def lsq_value_grad_parallel(A, y, x, out):
    """out = A'(Ax - y); returns 1/2 ||Ax - y||^2 (A: m x n read once, row blocks in parallel)"""
    m, n = A.shape
    blocks = max(1, min(_BLOCKS, m // _ROWS))
    partial = np.zeros((blocks, n))
    sq = np.zeros(blocks)
    for b in numba.prange(blocks):
        lo = b * m // blocks
        hi = (b + 1) * m // blocks
        g = partial[b]
        s = 0.0
        i = lo
        while i + _ROWS <= hi:
            r0 = -y[i]
            r1 = -y[i + 1]
            r2 = -y[i + 2]
            r3 = -y[i + 3]
            for j in range(n):
                xj = x[j]
                r0 += A[i, j] * xj
                r1 += A[i + 1, j] * xj
                r2 += A[i + 2, j] * xj
                r3 += A[i + 3, j] * xj
            s += r0 * r0 + r1 * r1 + r2 * r2 + r3 * r3
            for j in range(n):
                g[j] += r0 * A[i, j] + r1 * A[i + 1, j] + r2 * A[i + 2, j] + r3 * A[i + 3, j]
            i += _ROWS
        while i < hi:
            r = -y[i]
            for j in range(n):
                r += A[i, j] * x[j]
            s += r * r
            for j in range(n):
                g[j] += r * A[i, j]
            i += 1
        sq[b] = s
    for j in range(n):
        t = 0.0
        for b in range(blocks):
            t += partial[b, j]
        out[j] = t
    return 0.5 * np.sum(sq)


@numba.njit(parallel=True, fastmath=True, cache=True, nogil=True)
def lsq_value_parallel(A, y, x):
    """1/2 ||Ax - y||^2 (row blocks in parallel)"""
    m, n = A.shape
    s = 0.0
    for i in numba.prange(m):
        r = -y[i]
        for j in range(n):
            r += A[i, j] * x[j]
        s += r * r
    return 0.5 * s


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
