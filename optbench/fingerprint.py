"""Content fingerprints of Python functions: what decides the compiled code numba makes.

A compiled function's identity (see :mod:`optbench._jit`) must change exactly when the code
numba would generate changes. That code depends on

* the function's own bytecode and constants (nested functions included),
* the **globals it reads**, frozen by numba at compile time: other compiled functions (by
  their identity), numbers, strings, arrays (by a hash of their bytes), tuples of these;
  for a module it reads attributes of (``helpers.residual``), those attributes;
* the **values it closes over** (closure cells), fingerprinted the same way,
* and optbench's own compiled code (the package fingerprint, added by ``_jit``).

Nothing else: a function's identity does not change when another function of its file is
edited. A value of a kind this module cannot fingerprint raises :class:`Unfingerprintable`;
the caller then refuses to cache that function rather than guess.
"""

from __future__ import annotations

import builtins
import hashlib
import types

import numpy as np
from numba.types import Type as NumbaType

from ._numba import intrinsic_definition

__all__ = ["Identified", "Unfingerprintable", "code_fingerprint", "closure_fingerprint"]

# Library modules are taken by name: their code is versioned with numba's cache anyway.
_LIBRARIES = ("numpy", "math", "cmath", "numba", "scipy", "operator", "random")


class Unfingerprintable(TypeError):
    """A value whose effect on compiled code cannot be fingerprinted (say which)."""


class Identified:
    """A compiled function with an identity by content (``optbench._jit.CompiledFunction``):
    ``token()`` stands for it in a fingerprint, ``cacheable`` is False when it could not be
    fingerprinted itself, ``_qualname`` is its name as defined."""

    cacheable: bool
    _qualname: str

    def token(self) -> str:  # pragma: no cover - defined by the subclass
        raise NotImplementedError


def _names(code: types.CodeType):
    """Every name ``code`` (and the functions nested in it) may load as a global or attribute."""
    yield from code.co_names
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            yield from _names(const)


def _code_bytes(code: types.CodeType, h) -> None:
    h.update(code.co_code)
    h.update(repr((code.co_names, code.co_varnames, code.co_freevars, code.co_cellvars,
                   code.co_argcount, code.co_kwonlyargcount, code.co_flags)).encode())
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            _code_bytes(const, h)
        else:
            h.update(repr((type(const).__name__, const)).encode())


def _value(value, h, seen: set[int], where: str) -> None:
    """Add what ``value`` contributes to compiled code to the hash ``h``."""
    if isinstance(value, Identified):  # the identity of a compiled function stands for it
        token = value.token()
        if not value.cacheable:
            raise Unfingerprintable(f"{where}: {value._qualname} is itself not cached")
        h.update(b"jit:" + token.encode())
    elif value is None or isinstance(value, bool | int | float | complex | str | bytes):
        h.update(repr((type(value).__name__, value)).encode())
    elif isinstance(value, np.ndarray):
        if value.dtype.hasobject:
            raise Unfingerprintable(f"{where}: an array of Python objects")
        h.update(repr(("ndarray", value.dtype.str, value.shape)).encode())
        h.update(hashlib.sha256(np.ascontiguousarray(value).view(np.uint8)).digest())
    elif isinstance(value, np.generic | np.dtype):
        h.update(repr((type(value).__name__, value)).encode())
    elif isinstance(value, tuple | list):
        h.update(f"{type(value).__name__}:{type(value).__qualname__}:{len(value)}".encode())
        for item in value:
            _value(item, h, seen, where)
    elif isinstance(value, types.ModuleType):
        h.update(b"module:" + value.__name__.encode())
    elif isinstance(value, types.FunctionType):
        if id(value) in seen:  # recursion among plain functions
            h.update(b"seen:" + value.__qualname__.encode())
            return
        seen.add(id(value))
        h.update(f"py:{value.__module__}:{value.__qualname__}".encode())
        _function(value, h, seen)
    elif isinstance(value, types.BuiltinFunctionType | np.ufunc | type):
        h.update(f"{type(value).__name__}:{getattr(value, '__module__', '')}:"
                 f"{getattr(value, '__qualname__', getattr(value, '__name__', ''))}".encode())
    elif _in_package(value):  # optbench's own code: the package fingerprint covers it
        h.update(f"optbench:{_name_of(value)}".encode())
    elif isinstance(getattr(value, "__wrapped__", None), types.FunctionType):  # functools
        _value(value.__wrapped__, h, seen, where)
    elif hasattr(value, "py_func"):  # a plain numba dispatcher: its source decides
        _value(value.py_func, h, seen, where)
    elif isinstance(intrinsic_definition(value), types.FunctionType):  # numba @intrinsic
        h.update(b"intrinsic:")
        _value(intrinsic_definition(value), h, seen, where)
    elif isinstance(value, NumbaType):
        h.update(b"numba-type:" + repr(value).encode())
    else:
        raise Unfingerprintable(f"{where}: a {type(value).__module__}."
                                f"{type(value).__qualname__} object")


def _name_of(value) -> str:
    kind = value if isinstance(value, type | types.FunctionType) else type(value)
    name = getattr(value, "__qualname__", None) or getattr(value, "__name__", "") or \
        kind.__qualname__
    return f"{getattr(value, '__module__', None) or kind.__module__}.{name}"


def _in_package(value) -> bool:
    """A function or object defined in optbench's own package (not its problem catalogue)."""
    module = getattr(value, "__module__", None)
    if not isinstance(module, str):
        module = type(value).__module__
    return module == "optbench" or module.startswith("optbench.")


def _function(func: types.FunctionType, h, seen: set[int]) -> None:
    """Bytecode and the globals ``func`` reads (not its closure)."""
    code = func.__code__
    _code_bytes(code, h)
    glob = func.__globals__
    names = sorted(set(_names(code)))
    for name in names:
        if name not in glob:
            continue  # an attribute name, a builtin, or a global defined later
        value = glob[name]
        h.update(b"global:" + name.encode())
        if isinstance(value, types.ModuleType) and not value.__name__.startswith(_LIBRARIES):
            # a module of the user's: the attributes of it this code may read
            _value(value, h, seen, f"global {name!r}")
            for attr in names:
                if attr in vars(value) and not isinstance(vars(value)[attr], types.ModuleType):
                    h.update(b"attr:" + attr.encode())
                    _value(vars(value)[attr], h, seen, f"{name}.{attr}")
        elif name not in vars(builtins) or value is not vars(builtins)[name]:
            _value(value, h, seen, f"global {name!r}")


def code_fingerprint(func: types.FunctionType) -> str:
    """sha256 of ``func``'s module, qualified name, bytecode and the globals it reads."""
    h = hashlib.sha256(f"{func.__module__}:{func.__qualname__}".encode())
    _function(func, h, {id(func)})
    return h.hexdigest()


def closure_fingerprint(func: types.FunctionType) -> str:
    """sha256 of the values ``func`` closes over ("" for a function without a closure)."""
    if not func.__closure__:
        return ""
    h = hashlib.sha256()
    for name, cell in zip(func.__code__.co_freevars, func.__closure__, strict=True):
        try:
            value = cell.cell_contents
        except ValueError:  # an empty cell (a name bound later in the enclosing scope)
            raise Unfingerprintable(f"closure variable {name!r} is not bound yet") from None
        h.update(b"cell:" + name.encode())
        _value(value, h, {id(func)}, f"closure variable {name!r}")
    return h.hexdigest()
