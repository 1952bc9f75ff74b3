"""optbench._numba: each use of numba's internals still behaves as optbench relies on.

One test per adapter entry, against numba itself as the reference (the index file read with
pickle here, numba's own typing and dispatch, numba's own cache keys), so that a numba upgrade
that changes one of them fails here first, by name. The compiled functions are tiny (a few
compilations in all); the disk cache goes to a temporary directory.
"""

import ast
import hashlib
import inspect
import pickle
import uuid
from pathlib import Path

import numba
import numpy as np
import pytest
from numba.extending import intrinsic

from optbench import _numba

PACKAGE = Path(_numba.__file__).resolve().parent
EPS = np.finfo(float).eps


def _twice(x):
    return 2.0 * x + 1.0


def _adder(c):
    def add(x):
        return x + c

    return add


class _Named(_numba.IdentifiedDispatcher):
    """The smallest use of IdentifiedDispatcher: the identity is given."""

    def __init__(self, py_func, name=None):
        super().__init__(py_func, {"nopython": True})
        self._name = name or f"test-adapter-{uuid.uuid4().hex}"
        self.set_identity(self._name)

    @property
    def identity(self):
        return self._name

    def identity_state(self):
        return {"identity": self._name}

    @classmethod
    def from_identity_state(cls, identity):
        return cls.live(identity)


class _Stamped(_numba.StampedCache):
    """A StampedCache with a fixed stamp, recording what reached its hooks."""

    def __init__(self, py_func, stamp, usable=True):
        super().__init__(py_func)
        self._stamp, self._usable, self.failures = stamp, usable, []

    def stamp(self):
        return self._stamp

    def usable(self, sig):
        return self._usable

    def unreadable(self, exc):
        self.failures.append(exc)


@pytest.fixture
def cache_dir(tmp_path):
    """numba's cache directory pointed at a fresh directory for the test (restored after)."""
    before = _numba.cache_dir_setting()
    _numba.set_cache_dir(tmp_path)
    yield tmp_path
    _numba.set_cache_dir(before)


def _cached(py_func, stamp="stamp-1", usable=True):
    fn = _Named(py_func)
    cache = _Stamped(py_func, stamp, usable)
    fn.use_cache(cache)
    return fn, cache


def _read_index_file(path: Path):
    """numba's index file read independently: its version, then (stamp, {key: data file})."""
    with open(path, "rb") as f:
        version = pickle.load(f)
        stamp, entries = pickle.loads(f.read())
    return version, stamp, entries


# -- where the cache is ---------------------------------------------------------------------
def test_set_cache_dir_places_caches_made_afterwards(cache_dir):
    assert _numba.cache_dir_setting() == str(cache_dir)
    index = _Stamped(_twice, "s").index_path
    assert cache_dir in index.parents and index.suffix == ".nbi"
    assert index.name.startswith(f"{Path(__file__).stem}._twice-")


# -- one function's cache -------------------------------------------------------------------
def test_index_file_layout_and_key_structure(cache_dir):
    fn, cache = _cached(_twice)
    assert fn(1.5) == 4.0
    (index,) = cache_dir.rglob("*.nbi")
    assert cache.index_path == index
    version, stamp, entries = _read_index_file(index)
    assert version == numba.__version__ and stamp == "stamp-1"
    (key, data_name) = entries.popitem()
    sig, code, closure = _numba.index_key_parts(key)
    assert tuple(sig) == (numba.types.float64,)
    assert code == hashlib.sha256(_twice.__code__.co_code).hexdigest() == _numba.code_hash(_twice)
    assert closure == hashlib.sha256(b"").hexdigest() == _numba.closure_hash(_twice)
    assert (index.parent / data_name).is_file()
    assert cache.read_index() == {key: data_name}


def test_closure_hash_is_numbas_key_part(cache_dir):
    add1, add2 = _adder(1.0), _adder(2.0)
    fn, cache = _cached(add1)
    assert fn(1.0) == 2.0
    (key,) = cache.read_index()
    assert _numba.index_key_parts(key)[2] == _numba.closure_hash(add1)
    assert _numba.closure_hash(add2) != _numba.closure_hash(add1)


def test_a_fresh_dispatcher_hits_with_the_same_stamp_and_misses_with_another(cache_dir):
    first, cache = _cached(_twice)
    assert first(3.0) == 7.0 and _numba.cache_hits(first) == 0
    (data,) = cache_dir.rglob("*.nbc")
    written = data.stat().st_mtime_ns
    again, _ = _cached(_twice)
    assert again(3.0) == 7.0
    assert _numba.cache_hits(again) == 1 and data.stat().st_mtime_ns == written  # loaded
    other, other_cache = _cached(_twice, stamp="stamp-2")
    assert other_cache.read_index() == {}  # the index is stale for this stamp
    assert other(3.0) == 7.0 and _numba.cache_hits(other) == 0
    assert _read_index_file(other_cache.index_path)[1] == "stamp-2"


def test_cache_holds_exactly_what_a_fresh_dispatcher_then_loads(cache_dir):
    first, _ = _cached(_twice)
    assert not _numba.cache_holds(first, (3.0,))  # nothing compiled yet
    first(3.0)
    again, _ = _cached(_twice)
    assert _numba.cache_holds(again, (3.0,)) and not _numba.cache_holds(again, (3,))
    again(3.0)
    assert _numba.cache_hits(again) == 1  # what it said: loaded
    assert not _numba.cache_holds(_cached(_twice, stamp="stamp-2")[0], (3.0,))
    assert not _numba.cache_holds(_cached(_twice, usable=False)[0], (3.0,))
    add1, _ = _cached(_adder(1.0))
    add1(1.0)
    assert _numba.cache_holds(_cached(_adder(1.0))[0], (1.0,))
    assert not _numba.cache_holds(_cached(_adder(2.0))[0], (1.0,))  # another closure
    plain = numba.njit(_twice)
    assert not _numba.cache_holds(plain, (3.0,))  # no stamped cache


def test_an_unusable_signature_is_neither_saved_nor_loaded(cache_dir):
    fn, cache = _cached(_twice, usable=False)
    assert fn(0.5) == 2.0
    assert not cache.index_path.exists() and not list(cache_dir.rglob("*.nbc"))


def test_a_corrupt_index_reaches_unreadable_and_counts_as_a_miss(cache_dir):
    fn, cache = _cached(_twice)
    fn(1.0)
    cache.index_path.write_bytes(pickle.dumps(numba.__version__) + b"garbage")
    again, again_cache = _cached(_twice)
    assert again(2.0) == 5.0 and _numba.cache_hits(again) == 0
    assert again_cache.failures  # reported to the owner, not raised


def test_write_index_replaces_the_entries(cache_dir):
    fn, cache = _cached(_twice)
    fn(1.0)
    fn(np.int64(1))  # a second signature: two entries
    entries = cache.read_index()
    assert len(entries) == 2
    kept = dict([next(iter(entries.items()))])
    cache.write_index(kept)
    assert _read_index_file(cache.index_path)[1:] == ("stamp-1", kept)


def test_function_cache_finds_the_stamped_cache_only(cache_dir):
    fn, cache = _cached(_twice)
    assert _numba.function_cache(fn) is cache
    assert _numba.function_cache(numba.njit(cache=True)(_twice)) is None  # numba's own
    assert _numba.function_cache(_twice) is None


def test_dispatchers_in_finds_compiled_functions_in_nested_tuples():
    a, b = numba.njit(_twice), numba.njit(_adder(1.0))
    t = numba.types
    inner = t.Tuple((numba.typeof(np.zeros(2)), t.Dispatcher(b)))
    sig = (t.float64, t.Tuple((t.float64, t.Dispatcher(a), inner)))  # an oracle-like tuple
    assert set(_numba.dispatchers_in(sig)) == {a, b}
    assert list(_numba.dispatchers_in((numba.typeof(np.zeros(2)),))) == []


# -- dispatchers -----------------------------------------------------------------------------
def test_identity_is_what_numba_pickles_and_finds_again():
    fn = _Named(_twice)
    assert _numba.IdentifiedDispatcher.live(fn.identity) is fn
    assert fn._uuid == fn.identity  # numba's name for it
    # a signature holding the dispatcher, pickled as numba pickles index keys
    t = numba.types
    blob = numba.core.serialize.dumps(t.Tuple((t.float64, t.Dispatcher(fn))))
    assert fn.identity.encode() in blob and b"py_func" not in blob  # the identity, no code
    assert pickle.loads(blob).types[1].dispatcher is fn


def test_is_cpu_dispatcher_and_is_compiled():
    import optbench

    plain = numba.njit(_twice)
    ours = optbench.jit(_adder(3.0))
    assert _numba.is_cpu_dispatcher(plain) and _numba.is_cpu_dispatcher(ours)
    assert _numba.is_compiled(plain) and _numba.is_compiled(ours)
    assert not _numba.is_cpu_dispatcher(_twice) and not _numba.is_compiled(_twice)


def test_target_options_are_the_decorators_options_as_a_copy():
    fn = numba.njit(fastmath=True, boundscheck=True)(_twice)
    options = _numba.target_options(fn)
    assert options["fastmath"] is True and options["boundscheck"] is True
    options["fastmath"] = False
    assert _numba.target_options(fn)["fastmath"] is True


def test_intrinsic_definition_is_the_defining_function():
    def _identity(typingctx, x):
        def codegen(context, builder, signature, args):
            return args[0]

        return x(x), codegen

    made = intrinsic(_identity)
    assert _numba.intrinsic_definition(made) is _identity
    assert _numba.intrinsic_definition(_twice) is None


# -- calling compiled code directly ------------------------------------------------------------
def test_compiled_code_is_the_entry_point_numba_dispatches_to():
    fn = numba.njit(_twice)
    args = (np.float64(0.3),)
    key = _numba.type_key(args)
    assert _numba.compiled_code(fn, key) is None  # not seen yet
    expected = fn(*args)
    _numba.prepare(fn)
    code = _numba.remember_code(fn, args, key)
    assert code is not fn and _numba.compiled_code(fn, key) is code
    assert code(*args) == pytest.approx(expected, rel=4 * EPS)
    assert fn.overloads[(numba.types.float64,)].entry_point is code
    # arguments it was not compiled for: no shortcut, the dispatcher itself
    assert _numba.remember_code(fn, (np.zeros(2),), _numba.type_key((np.zeros(2),))) is fn
    assert _numba.remember_code(fn, args, None) is fn


def test_type_key_equal_means_numba_type_equal():
    values = [1.0, 2.0, 1, True, None, np.zeros(3), np.zeros((2, 2)), np.zeros((2, 2)).T,
              np.zeros(3, dtype=np.float32), (1.0, np.zeros(2)), (2.0, np.ones(2))]
    for a in values:
        for b in values:
            ka, kb = _numba.type_key((a,)), _numba.type_key((b,))
            if ka == kb:
                assert numba.typeof(a) == numba.typeof(b), (a, b)


def test_arrays_in_and_writeable_flags():
    a, b = np.zeros(2), np.ones(3)
    b.flags.writeable = False
    assert [id(x) for x in _numba.arrays_in((1.0, (a, (b,)), "s"))] == [id(a), id(b)]
    assert _numba.writeable_flags([a, b]) == (True, False)


def test_launch_threads_loads_a_threading_layer():
    _numba.launch_threads()
    assert numba.threading_layer() in ("tbb", "omp", "workqueue")


def test_numba_error_is_what_a_compile_error_raises():
    def bad(x):
        return x.no_such_attribute

    with pytest.raises(_numba.NumbaError):
        numba.njit(bad)(1.0)


def test_cgutils_has_what_the_intrinsics_call():
    params = {name: list(inspect.signature(getattr(_numba.cgutils, name)).parameters)
              for name in ("get_or_insert_function", "alloca_once", "get_item_pointer")}
    assert params["get_or_insert_function"][:3] == ["module", "fnty", "name"]
    assert params["alloca_once"][:2] == ["builder", "ty"]
    assert params["get_item_pointer"][:5] == ["context", "builder", "aryty", "ary", "inds"]
    assert "wraparound" in params["get_item_pointer"]


# -- the adapter is the one way in -------------------------------------------------------------
_PRIVATE = ("core", "np", "misc", "parfors", "cpython", "experimental")


def _imports(path: Path):
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            yield "." * node.level + (node.module or ""), [a.name for a in node.names]
        elif isinstance(node, ast.Import):
            for a in node.names:
                yield a.name, []
        elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and \
                node.value.id == "numba":  # numba.core.config used after ``import numba``
            yield f"numba.{node.attr}", []


def test_only_the_adapter_imports_numba_internals():
    offenders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path.name == "_numba.py":
            continue
        for module, _names in _imports(path):
            if module.startswith(tuple(f"numba.{p}" for p in _PRIVATE)):
                offenders.append(f"{path.relative_to(PACKAGE)}: {module}")
    assert offenders == []


def test_the_adapter_and_jit_import_nothing_above_them():
    """_numba imports no optbench module; _jit, cachedir and fingerprint (what compiling
    needs) reach neither the cache commands nor the registry, at any depth, lazily or not."""
    def local(path: Path):
        for module, names in _imports(path):
            if module.startswith("."):
                base = module.lstrip(".")
                yield from ([base] if base else names)

    assert list(local(PACKAGE / "_numba.py")) == []
    seen, todo = set(), ["_jit", "cachedir", "fingerprint"]
    while todo:
        name = todo.pop()
        if name not in seen:
            seen.add(name)
            todo += [m for m in local(PACKAGE / f"{name}.py") if (PACKAGE / f"{m}.py").exists()]
    assert seen == {"_jit", "cachedir", "fingerprint", "_numba"}
