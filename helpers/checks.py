"""Checks used by the notebooks' test cells: comparisons whose failures read as sentences.

A test cell in a notebook should fail with a message that tells the learner what is probably wrong,
not with a bare ``AssertionError``. These helpers build such messages, and
:func:`check_not_delegating` makes sure an answer is the learner's own work rather than a call to
the reference implementation in this package.
"""
from __future__ import annotations

import contextlib
import sys
import types
from typing import Callable, Iterator

import numpy as np

__all__ = ["expect", "assert_close", "assert_shape", "reference_unavailable", "check_not_delegating",
           "DelegationError"]


def expect(condition, message: str) -> None:
    """Raise ``AssertionError(message)`` unless ``condition`` holds."""
    if not condition:
        raise AssertionError(message)


def assert_shape(actual, expected: tuple, what: str) -> None:
    """Check ``np.shape(actual) == expected`` with a message naming ``what``."""
    shape = np.shape(actual)
    if tuple(shape) != tuple(expected):
        raise AssertionError(f"{what} has shape {tuple(shape)}, expected {tuple(expected)}")


def assert_close(actual, expected, what: str, hint: str = "", rtol: float = 1e-7, atol: float = 1e-10) -> None:
    """Check ``actual`` against ``expected`` elementwise: ``|a - e| <= atol + rtol |e|``.

    The message gives the shape mismatch or the worst entry, then ``hint`` (the likely mistake).
    """
    tail = f"\nHint: {hint}" if hint else ""
    a = np.asarray(actual)
    e = np.asarray(expected, dtype=np.float64)
    if a.dtype.kind not in "biuf":
        raise AssertionError(f"{what} should be numbers, got {type(actual).__name__} of dtype {a.dtype}{tail}")
    if a.shape != e.shape:
        raise AssertionError(f"{what} has shape {a.shape}, expected {e.shape}{tail}")
    a = a.astype(np.float64)
    if not np.all(np.isfinite(a)[np.isfinite(e)]):
        raise AssertionError(f"{what} contains nan or inf where the expected value is finite{tail}")
    bad = ~np.isclose(a, e, rtol=rtol, atol=atol, equal_nan=True)
    if np.any(bad):
        idx = tuple(int(i) for i in np.argwhere(bad)[0]) if a.ndim else ()
        where = f" at index {list(idx)}" if idx else ""
        raise AssertionError(
            f"{what} is wrong{where}: got {float(a[idx])!r}, expected {float(e[idx])!r} "
            f"({int(bad.sum())} of {bad.size} entries differ){tail}"
        )


class DelegationError(AssertionError):
    """Raised when an answer calls the reference implementation instead of computing the result."""


def _reference_functions(names):
    """``(module, attribute, function)`` for every ``helpers`` function whose name is in ``names``."""
    found = []
    for modname, mod in list(sys.modules.items()):
        if mod is None or not (modname == "helpers" or modname.startswith("helpers.")):
            continue
        for name in names:
            obj = getattr(mod, name, None)
            if isinstance(obj, types.FunctionType):
                found.append((mod, name, obj))
    return found


def _stub_code(name: str) -> types.CodeType:
    message = f"your answer calls the course's reference `{name}`; write the computation yourself"
    namespace: dict = {}
    exec(f"def {name}(*args, **kwargs):\n    raise AssertionError({message!r})\n", {}, namespace)
    return namespace[name].__code__


@contextlib.contextmanager
def reference_unavailable(*names: str) -> Iterator[None]:
    """Within the block, calling any ``helpers`` function named in ``names`` raises ``AssertionError``.

    The functions' code objects are swapped, not just the module attributes, so an answer that
    kept its own alias (``from helpers.forward import affine_forward as ref``) is caught too.
    Internal calls inside the package fail as well: compute reference values *before* the block.
    """
    swapped, replaced = {}, []
    try:
        for mod, name, fn in _reference_functions(names):
            if fn.__code__.co_freevars:
                # a closure cannot take a code object without free variables: replace the attribute instead
                stub = types.FunctionType(_stub_code(fn.__name__), {})
                replaced.append((mod, name, fn))
                setattr(mod, name, stub)
            elif id(fn) not in swapped:
                swapped[id(fn)] = (fn, fn.__code__)
                fn.__code__ = _stub_code(fn.__name__)
        yield
    finally:
        for fn, code in swapped.values():
            fn.__code__ = code
        for mod, name, fn in reversed(replaced):
            setattr(mod, name, fn)


def check_not_delegating(fn: Callable, *names: str, call: Callable[[Callable], object] | None = None) -> None:
    """Fail if ``fn`` is, or calls, the reference implementation of ``names``.

    Parameters
    ----------
    fn : callable
        The learner's function.
    names : str
        Reference names to make unavailable (default: ``fn.__name__``).
    call : callable, optional
        ``call(fn)`` exercises the function; by default nothing is called and only the identity
        check runs.
    """
    names = names or (getattr(fn, "__name__", ""),)
    module = getattr(fn, "__module__", "") or ""
    if module == "helpers" or module.startswith("helpers."):
        raise DelegationError(
            f"`{getattr(fn, '__name__', fn)}` is the course's reference implementation from {module}; "
            "write your own function in the answer cell"
        )
    if call is not None:
        with reference_unavailable(*names):
            call(fn)
