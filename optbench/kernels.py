"""Small compiled vector helpers shared by problems and solvers (loops, no temporaries)."""

from __future__ import annotations

import math

from ._jit import jit

__all__ = ["dot", "sumsq", "norm2", "affine_score", "add_scaled_row", "copy_into"]


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
