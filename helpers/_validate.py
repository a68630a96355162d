"""Input validation shared by every helpers module.

Each check raises a ``ValueError`` (wrong shape or value) or ``TypeError`` (wrong kind of
data) whose message names the function, the argument, what it got and what it expected, so a
learner reading the error knows which array to look at. Nothing here broadcasts silently.
"""
from __future__ import annotations

from numbers import Integral, Real
from typing import Sequence

import numpy as np

__all__ = ["as_float_array", "as_labels", "check_ndim", "check_dim", "check_same_shape", "check_same_columns",
           "check_positive_int", "check_probability", "check_positive", "check_rng"]


_FLOAT64 = np.dtype(np.float64)


def as_float_array(x, name: str, fn: str, ndim: int | Sequence[int] | None = None) -> np.ndarray:
    """Return ``x`` as a float64 array, refusing non-numeric data and the wrong rank.

    Parameters
    ----------
    x : array_like
        The argument to convert.
    name, fn : str
        The argument's and the calling function's names, used in error messages.
    ndim : int or sequence of int, optional
        Allowed ranks.
    """
    if type(x) is np.ndarray and x.dtype is _FLOAT64 and (ndim is None or x.ndim == ndim):
        return x  # the common case, checked first: helpers call this on every array at every step
    arr = np.asarray(x)
    if arr.dtype.kind not in "biuf":
        raise TypeError(
            f"{fn}: {name} must hold real numbers, got an array of dtype {arr.dtype}"
        )
    if arr.dtype != np.float64:
        arr = arr.astype(np.float64)
    if ndim is not None:
        check_ndim(arr, name, fn, ndim)
    return arr


def check_ndim(arr: np.ndarray, name: str, fn: str, ndim: int | Sequence[int]) -> None:
    allowed = (ndim,) if isinstance(ndim, Integral) else tuple(ndim)
    if arr.ndim not in allowed:
        want = " or ".join(f"{d}-D" for d in allowed)
        raise ValueError(f"{fn}: {name} must be {want}, got shape {arr.shape}")


def check_dim(arr: np.ndarray, axis: int, size: int, name: str, fn: str, expected: str) -> None:
    """Require ``arr.shape[axis] == size``; ``expected`` spells the expected shape, e.g. ``'(d_out, d_in) = (?, 4)'``."""
    if arr.shape[axis] != size:
        raise ValueError(f"{fn}: {name} has shape {arr.shape}, expected {expected}")


def check_same_shape(a: np.ndarray, b: np.ndarray, name_a: str, name_b: str, fn: str) -> None:
    if a.shape != b.shape:
        raise ValueError(
            f"{fn}: {name_a} has shape {a.shape} but {name_b} has shape {b.shape}; they must match"
        )


def check_same_columns(a: np.ndarray, b: np.ndarray, name_a: str, name_b: str, fn: str) -> None:
    """Two batches of inputs, ``(B1, d)`` and ``(B2, d)``, must share their number of columns ``d``."""
    if a.shape[1] != b.shape[1]:
        raise ValueError(f"{fn}: {name_a} has shape {a.shape} but {name_b} has shape {b.shape}; they need the "
                         "same number of columns d")


def as_labels(y, name: str, fn: str, batch: int, classes: int | None = None) -> np.ndarray:
    """Integer class labels of shape ``(B,)`` with values in ``[0, classes)`` (``classes=None``: any value >= 0,
    for training loops that read the number of classes off the labels)."""
    arr = np.asarray(y)
    if arr.dtype.kind not in "iu":
        if arr.dtype.kind == "f" and arr.size and np.all(arr == np.round(arr)):
            arr = arr.astype(np.int64)
        else:
            raise TypeError(f"{fn}: {name} must hold integer class labels, got dtype {arr.dtype}")
    if arr.shape != (batch,):
        raise ValueError(f"{fn}: {name} has shape {arr.shape}, expected (B,) = ({batch},)")
    if arr.size and classes is None and arr.min() < 0:
        raise ValueError(f"{fn}: {name} has a negative label {arr.min()}; labels are 0, 1, ..., C - 1")
    if arr.size and classes is not None and (arr.min() < 0 or arr.max() >= classes):
        raise ValueError(
            f"{fn}: {name} has labels in [{arr.min()}, {arr.max()}], expected labels in [0, {classes - 1}]"
            f" for {classes} classes"
        )
    return arr.astype(np.int64, copy=False)


def check_positive_int(value, name: str, fn: str) -> int:
    if isinstance(value, bool) or not isinstance(value, Integral):
        raise TypeError(f"{fn}: {name} must be a positive integer, got {value!r}")
    if value <= 0:
        raise ValueError(f"{fn}: {name} must be a positive integer, got {value}")
    return int(value)


def check_probability(p, name: str, fn: str, *, allow_one: bool = False) -> float:
    """A probability in ``[0, 1)`` (or ``[0, 1]`` with ``allow_one``)."""
    if isinstance(p, bool) or not isinstance(p, Real):
        raise TypeError(f"{fn}: {name} must be a number in [0, 1), got {p!r}")
    upper_ok = p <= 1 if allow_one else p < 1
    if not (0 <= p and upper_ok):
        interval = "[0, 1]" if allow_one else "[0, 1)"
        raise ValueError(f"{fn}: {name} must be in {interval}, got {p}")
    return float(p)


def check_positive(value, name: str, fn: str, *, allow_zero: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, Real) or not np.isfinite(value):
        raise TypeError(f"{fn}: {name} must be a finite number, got {value!r}")
    if value < 0 or (value == 0 and not allow_zero):
        bound = ">= 0" if allow_zero else "> 0"
        raise ValueError(f"{fn}: {name} must be {bound}, got {value}")
    return float(value)


def check_rng(rng, fn: str) -> np.random.Generator:
    if not isinstance(rng, np.random.Generator):
        raise TypeError(
            f"{fn}: rng must be a numpy.random.Generator (np.random.default_rng(seed)), got {type(rng).__name__}"
        )
    return rng
