"""Plain data between the checker and the learner's kernel: a JSON encoding that can only carry values.

The checker and the kernel exchange arguments, results and errors as JSON text built by :func:`encode` and read
back by :func:`decode`. Only these values cross, each as itself or as a tagged JSON object:

* ``None``, ``bool``, ``int``, ``float`` (``nan`` and ``inf`` included), ``str``: JSON scalars or ``{"$": "float"}``;
* ``complex``, ``bytes``, ``tuple``, ``list``, ``dict``, ``set``, ``frozenset`` of those, and named tuples (such as
  ``helpers.training.TrainLog``), which arrive as named tuples with the same fields (as the course's own class when
  the receiver asks for it and it is one, else as a plain ``collections.namedtuple``);
* numpy arrays and scalars whose dtype is bool, integer, unsigned, float, complex or unicode (``{"$": "nd"}``: dtype,
  shape and the raw bytes in base64; no object, structured or void dtype, no pickle);
* ``numpy.random.Generator`` over one of numpy's bit generators, as its state (``{"$": "rng"}``);
* references to callables that stay on the other side (``{"$": "callback"}`` for a checker function the kernel may
  call back, ``{"$": "learner"}`` for a learner function passed to another one). :func:`decode` turns them into
  something only through the ``resolve`` argument its caller gives; without it they are refused.

Whatever a submission sends, :func:`decode` gives back only those types (never an object of a class the sender
chose), or raises :class:`WireError`. Sizes and depth are bounded.

This file is also executed inside the learner's kernel (see :mod:`grading.checker.agent`), so it uses only the
standard library and numpy, and defines no name that the agent does not rename away.
"""
from __future__ import annotations

import base64
import json
import math

import numpy as np

__all__ = ["WireError", "encode", "decode", "dumps", "loads", "MAX_DEPTH", "MAX_NODES", "MAX_BYTES"]

MAX_DEPTH = 32
"""Deepest nesting of containers accepted."""
MAX_NODES = 200_000
"""Most values (containers and leaves) in one message."""
MAX_BYTES = 256 * 2**20
"""Largest message, in characters of JSON text."""
_KINDS = "biufcU"
"""numpy dtype kinds that may cross: bool, signed and unsigned integers, floats, complex, unicode strings."""
_BIT_GENERATORS = ("PCG64", "PCG64DXSM", "MT19937", "Philox", "SFC64")


class WireError(ValueError):
    """A value that cannot cross between the checker and the kernel, or a message that is not plain data."""


def _float(x: float):
    return x if math.isfinite(x) else {"$": "float", "v": repr(x)}


def encode(obj, on_callable=None, on_array=None, _path=(), _depth=0):
    """A JSON-ready tree for ``obj``.

    Parameters
    ----------
    obj : object
        A value of the types listed in the module docstring.
    on_callable : callable, optional
        ``on_callable(fn) -> dict`` gives the tag for a callable (a callback or a learner function); without it a
        callable raises :class:`WireError`.
    on_array : callable, optional
        ``on_array(path, obj)`` is told of every ndarray and Generator met, with its path in the tree (used to
        mirror in-place changes).
    """
    if _depth > MAX_DEPTH:
        raise WireError(f"the value is nested more than {MAX_DEPTH} levels deep")
    if obj is None or isinstance(obj, (bool, str)) and type(obj) in (bool, str):
        return obj
    t = type(obj)
    if t is int:
        return obj if abs(obj) < 2**53 else {"$": "int", "v": str(obj)}
    if t is float:
        return _float(obj)
    if t is complex:
        return {"$": "complex", "re": _float(obj.real), "im": _float(obj.imag)}
    if t is bytes:
        return {"$": "bytes", "b64": base64.b64encode(obj).decode("ascii")}
    if isinstance(obj, np.random.Generator):
        if on_array is not None:
            on_array(_path, obj)
        state = obj.bit_generator.state
        return {"$": "rng", "state": encode(state, _depth=_depth + 1)}
    if isinstance(obj, (np.ndarray, np.generic)):
        arr = np.asarray(obj)
        if arr.dtype.kind not in _KINDS or arr.dtype.fields is not None:
            raise WireError(f"an array of dtype {arr.dtype} cannot be sent (only bool, integer, float, complex "
                            "and string arrays)")
        if on_array is not None and isinstance(obj, np.ndarray):
            on_array(_path, obj)
        return {"$": "nd" if isinstance(obj, np.ndarray) else "np", "dtype": arr.dtype.str,
                "shape": list(arr.shape), "b64": base64.b64encode(arr.tobytes(order="C")).decode("ascii")}
    if isinstance(obj, tuple) and isinstance(getattr(t, "_fields", None), tuple):
        return {"$": "record", "type": f"{t.__module__}.{t.__qualname__}", "fields": [str(f) for f in t._fields],
                "v": [encode(x, on_callable, on_array, _path + (i,), _depth + 1) for i, x in enumerate(obj)]}
    if t in (tuple, list, set, frozenset):
        items = sorted(obj, key=repr) if t in (set, frozenset) else obj
        return {"$": t.__name__, "v": [encode(x, on_callable, on_array, _path + (i,), _depth + 1)
                                       for i, x in enumerate(items)]}
    if t is dict:
        keys = list(obj)
        return {"$": "dict", "k": [encode(k, None, None, (), _depth + 1) for k in keys],
                "v": [encode(obj[k], on_callable, on_array, _path + (i,), _depth + 1) for i, k in enumerate(keys)]}
    if callable(obj) and on_callable is not None:
        return on_callable(obj)
    # subclasses of the plain types (a learner's float subclass, a namedtuple...) become the plain type
    for base, convert in ((bool, bool), (int, int), (float, float), (complex, complex), (str, str), (bytes, bytes),
                          (tuple, tuple), (list, list), (dict, dict), (set, set), (frozenset, frozenset)):
        if isinstance(obj, base):
            return encode(convert(obj), on_callable, on_array, _path, _depth)
    raise WireError(f"a value of type {t.__module__}.{t.__qualname__} cannot be sent: only numbers, strings, "
                    "None, tuples, lists, dicts, sets, numpy arrays and numpy random generators can")


def _need(cond, what):
    if not cond:
        raise WireError(f"not plain data: {what}")


def _number(v):
    if isinstance(v, dict):
        _need(v.get("$") == "float" and v.get("v") in ("nan", "inf", "-inf"), "a float")
        return float(v["v"])
    _need(type(v) in (int, float), "a number")
    return float(v)


_RECORDS = {}


def _record_class(name: str, fields: tuple):
    import collections

    key = (name, fields)
    if key not in _RECORDS:
        short = name.rsplit(".", 1)[-1]
        _RECORDS[key] = collections.namedtuple(short if short.isidentifier() else "Record", fields)
    return _RECORDS[key]


def decode(tree, resolve=None, on_array=None, _path=(), _depth=0, _count=None):
    """The value encoded in ``tree`` (see :func:`encode`); :class:`WireError` if it is anything else.

    ``resolve(tag) -> object`` turns ``{"$": "callback"}`` and ``{"$": "learner"}`` tags into objects, and
    ``{"$": "record"}`` tags into the class to build (or ``None`` for a plain named tuple); without it callables are
    refused and records are plain named tuples. ``on_array(path, obj)`` is told of every ndarray and Generator made.
    """
    count = _count if _count is not None else [0]
    count[0] += 1
    _need(count[0] <= MAX_NODES, f"more than {MAX_NODES} values")
    _need(_depth <= MAX_DEPTH, f"nested more than {MAX_DEPTH} levels")
    t = type(tree)
    if tree is None or t in (bool, str, float):
        return tree
    if t is int:
        return tree
    _need(t is dict and isinstance(tree.get("$"), str), f"a JSON value of type {t.__name__}")
    tag = tree["$"]
    if tag == "float":
        return _number(tree)
    if tag == "int":
        _need(isinstance(tree.get("v"), str) and len(tree["v"]) < 5000, "an integer")
        return int(tree["v"])
    if tag == "complex":
        return complex(_number(tree.get("re")), _number(tree.get("im")))
    if tag == "bytes":
        _need(isinstance(tree.get("b64"), str), "bytes")
        return base64.b64decode(tree["b64"], validate=True)
    if tag in ("nd", "np"):
        _need(isinstance(tree.get("dtype"), str) and len(tree["dtype"]) < 16, "a dtype")
        try:
            dtype = np.dtype(tree["dtype"])
        except TypeError as exc:
            raise WireError(f"not plain data: dtype {tree['dtype']!r}") from exc
        _need(dtype.kind in _KINDS and dtype.fields is None and not dtype.hasobject, f"dtype {dtype}")
        shape = tree.get("shape")
        _need(isinstance(shape, list) and len(shape) <= 32 and all(type(s) is int and 0 <= s for s in shape),
              "a shape")
        _need(isinstance(tree.get("b64"), str), "array data")
        raw = base64.b64decode(tree["b64"], validate=True)
        n = 1
        for s in shape:
            n *= s
        _need(n * dtype.itemsize == len(raw), f"{len(raw)} bytes for an array of shape {tuple(shape)} and {dtype}")
        arr = np.frombuffer(raw, dtype=dtype).reshape(tuple(shape)).copy()
        if tag == "np":
            _need(arr.ndim == 0, "a numpy scalar")
            return arr[()]
        if on_array is not None:
            on_array(_path, arr)
        return arr
    if tag == "rng":
        state = decode(tree.get("state"), None, None, (), _depth + 1, count)
        _need(isinstance(state, dict) and state.get("bit_generator") in _BIT_GENERATORS, "a generator state")
        bitgen = getattr(np.random, state["bit_generator"])()
        try:
            bitgen.state = state
        except (TypeError, ValueError, KeyError) as exc:
            raise WireError(f"not plain data: generator state ({exc})") from exc
        gen = np.random.Generator(bitgen)
        if on_array is not None:
            on_array(_path, gen)
        return gen
    if tag in ("tuple", "list", "set", "frozenset"):
        _need(isinstance(tree.get("v"), list), f"a {tag}")
        items = [decode(x, resolve, on_array, _path + (i,), _depth + 1, count) for i, x in enumerate(tree["v"])]
        if tag in ("set", "frozenset"):
            try:
                return set(items) if tag == "set" else frozenset(items)
            except TypeError as exc:
                raise WireError(f"not plain data: a {tag} of unhashable values") from exc
        return tuple(items) if tag == "tuple" else items
    if tag == "dict":
        keys, values = tree.get("k"), tree.get("v")
        _need(isinstance(keys, list) and isinstance(values, list) and len(keys) == len(values), "a dict")
        out = {}
        for i, (k, v) in enumerate(zip(keys, values)):
            key = decode(k, None, None, (), _depth + 1, count)
            try:
                out[key] = decode(v, resolve, on_array, _path + (i,), _depth + 1, count)
            except TypeError as exc:
                raise WireError("not plain data: an unhashable dict key") from exc
        return out
    if tag == "record":
        fields, values = tree.get("fields"), tree.get("v")
        _need(isinstance(fields, list) and isinstance(values, list) and len(fields) == len(values) <= 255
              and all(isinstance(f, str) and f.isidentifier() and not f.startswith("_") for f in fields)
              and len(set(fields)) == len(fields) and isinstance(tree.get("type"), str), "a named tuple")
        items = [decode(x, resolve, on_array, _path + (i,), _depth + 1, count) for i, x in enumerate(values)]
        cls = resolve(tree) if resolve is not None else None
        if cls is None or tuple(getattr(cls, "_fields", ())) != tuple(fields):
            cls = _record_class(tree["type"], tuple(fields))
        return cls(*items)
    if tag in ("callback", "learner") and resolve is not None:
        return resolve(tree)
    raise WireError(f"not plain data: a value tagged {tag!r}")


def dumps(tree) -> str:
    """JSON text of an encoded tree."""
    return json.dumps(tree, separators=(",", ":"), allow_nan=False)


def loads(text: str):
    """The tree in JSON ``text``, refusing text over :data:`MAX_BYTES` or that is not JSON."""
    if not isinstance(text, str) or len(text) > MAX_BYTES:
        raise WireError("not plain data: a message that is not text or is too large")
    try:
        return json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise WireError(f"not plain data: {type(exc).__name__}") from exc
