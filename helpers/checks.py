"""Checks used by the notebooks' test cells: comparisons whose failures read as sentences.

A test cell in a notebook should fail with a message that tells the learner what is probably wrong,
not with a bare ``AssertionError``. These helpers build such messages; :func:`check_not_delegating`
declares which references an answer must not call (the grading kernel has none of them).

A failure shows the line of the test that failed, then the message and its hint, without these helpers' own
frames: every function sets ``__tracebackhide__`` (pytest drops such frames; IPython drops them too, except the frame
that raised), and the errors they raise carry a ``_render_traceback_`` that IPython (JupyterLab, nbgrader's Validate)
uses to format the traceback without any frame of this module. The error itself is unchanged (same class, message).
"""
from __future__ import annotations

from typing import Callable

import numpy as np

__all__ = ["expect", "assert_close", "assert_shape", "check_not_delegating", "DelegationError"]


def _without_own_frames(tb):
    """A copy of the traceback ``tb`` without the frames of this module."""
    from types import TracebackType

    kept = []
    while tb is not None:
        if tb.tb_frame.f_globals.get("__name__") != __name__:
            kept.append(tb)
        tb = tb.tb_next
    out = None
    for entry in reversed(kept):
        out = TracebackType(out, entry.tb_frame, entry.tb_lasti, entry.tb_lineno)
    return out


def _render_traceback(exc) -> list:
    """IPython's own traceback of ``exc`` (the user's colours and mode), without the frames of this module."""
    from IPython import get_ipython

    shell = get_ipython()
    if shell is None:  # pragma: no cover - IPython calls this only from a shell
        import traceback

        return traceback.format_exception(type(exc), exc, _without_own_frames(exc.__traceback__))
    return shell.InteractiveTB.structured_traceback(type(exc), exc, _without_own_frames(exc.__traceback__))


def _shown_from_the_test(exc: BaseException) -> BaseException:
    """``exc``, which IPython will show from the test's line (see the module docstring)."""
    exc._render_traceback_ = lambda: _render_traceback(exc)
    return exc


def expect(condition, message: str) -> None:
    """Raise ``AssertionError(message)`` unless ``condition`` holds."""
    __tracebackhide__ = True  # IPython and pytest leave this frame out: the test line, then the message
    if not condition:
        raise _shown_from_the_test(AssertionError(message))


def assert_shape(actual, expected: tuple, what: str) -> None:
    """Check ``np.shape(actual) == expected`` with a message naming ``what``."""
    __tracebackhide__ = True
    shape = np.shape(actual)
    if tuple(shape) != tuple(expected):
        raise _shown_from_the_test(AssertionError(f"{what} has shape {tuple(shape)}, expected {tuple(expected)}"))


def assert_close(actual, expected, what: str, hint: str = "", rtol: float = 1e-7, atol: float = 1e-10) -> None:
    """Check ``actual`` against ``expected`` elementwise: ``|a - e| <= atol + rtol |e|``.

    The message gives the shape mismatch or the worst entry, then ``hint`` (the likely mistake).
    """
    __tracebackhide__ = True
    tail = f"\nHint: {hint}" if hint else ""
    a = np.asarray(actual)
    e = np.asarray(expected, dtype=np.float64)
    if a.dtype.kind not in "biuf":
        raise _shown_from_the_test(AssertionError(
            f"{what} should be numbers, got {type(actual).__name__} of dtype {a.dtype}{tail}"))
    if a.shape != e.shape:
        raise _shown_from_the_test(AssertionError(f"{what} has shape {a.shape}, expected {e.shape}{tail}"))
    a = a.astype(np.float64)
    if not np.all(np.isfinite(a)[np.isfinite(e)]):
        raise _shown_from_the_test(AssertionError(
            f"{what} contains nan or inf where the expected value is finite{tail}"))
    bad = ~np.isclose(a, e, rtol=rtol, atol=atol, equal_nan=True)
    if np.any(bad):
        idx = tuple(int(i) for i in np.argwhere(bad)[0]) if a.ndim else ()
        where = f" at index {list(idx)}" if idx else ""
        raise _shown_from_the_test(AssertionError(
            f"{what} is wrong{where}: got {float(a[idx])!r}, expected {float(e[idx])!r} "
            f"({int(bad.sum())} of {bad.size} entries differ){tail}"
        ))


class DelegationError(AssertionError):
    """Raised when an answer calls the reference implementation instead of computing the result."""


def check_not_delegating(fn: Callable, *names: str, call: Callable[[Callable], object] | None = None) -> None:
    """Fail if ``fn`` is the reference implementation itself; then run ``call(fn)``.

    Parameters
    ----------
    fn : callable
        The learner's function.
    names : str
        The course's references that an answer to this exercise must not call. They are a declaration: while a
        notebook is graded, its kernel's ``helpers`` has a stub in place of every name declared here (and of every
        function an answer cell defines), which raises :class:`DelegationError` (``grading.checker.stubs``), so an
        answer that imports, aliases, copies or wraps a reference fails every test that calls it.
    call : callable, optional
        ``call(fn)`` exercises the function (the hidden test's checks); by default only the identity check runs.
    """
    __tracebackhide__ = True
    names = names or (getattr(fn, "__name__", ""),)
    module = getattr(fn, "__module__", "") or ""
    if module == "helpers" or module.startswith("helpers."):
        raise _shown_from_the_test(DelegationError(
            f"`{getattr(fn, '__name__', fn)}` is the course's reference implementation from {module}; "
            "write your own function in the answer cell"
        ))
    if call is not None:
        call(fn)
