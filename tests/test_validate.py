"""helpers._validate: the error messages every public function relies on."""
from __future__ import annotations

import numpy as np
import pytest

from helpers import _validate as V


def test_as_float_array_converts_ints_and_rejects_non_numbers():
    out = V.as_float_array([1, 2], "x", "f")
    assert out.dtype == np.float64
    with pytest.raises(TypeError, match="f: x must hold real numbers, got an array of dtype <U1"):
        V.as_float_array(["a"], "x", "f")
    with pytest.raises(TypeError, match="complex"):
        V.as_float_array(np.array([1j]), "x", "f")
    with pytest.raises(ValueError, match=r"f: x must be 2-D, got shape \(3,\)"):
        V.as_float_array(np.zeros(3), "x", "f", ndim=2)
    with pytest.raises(ValueError, match=r"1-D or 2-D"):
        V.as_float_array(np.zeros((1, 1, 1)), "x", "f", ndim=(1, 2))


def test_labels_are_checked_for_kind_shape_and_range():
    assert V.as_labels(np.array([0.0, 2.0]), "y", "f", 2, 3).dtype == np.int64
    with pytest.raises(TypeError, match="integer class labels"):
        V.as_labels(np.array([0.5, 1.0]), "y", "f", 2, 3)
    with pytest.raises(ValueError, match=r"y has shape \(3,\), expected \(B,\) = \(2,\)"):
        V.as_labels(np.array([0, 1, 2]), "y", "f", 2, 3)
    with pytest.raises(ValueError, match=r"labels in \[0, 3\], expected labels in \[0, 2\] for 3 classes"):
        V.as_labels(np.array([0, 3]), "y", "f", 2, 3)
    with pytest.raises(ValueError, match="labels in"):
        V.as_labels(np.array([-1, 0]), "y", "f", 2, 3)


@pytest.mark.parametrize("bad, exc", [(0, ValueError), (-3, ValueError), (2.5, TypeError), (True, TypeError), ("4", TypeError)])
def test_positive_int(bad, exc):
    assert V.check_positive_int(4, "n", "f") == 4
    with pytest.raises(exc, match="f: n must be a positive integer"):
        V.check_positive_int(bad, "n", "f")


@pytest.mark.parametrize("bad, exc", [(1.0, ValueError), (-0.1, ValueError), (float("nan"), ValueError), ("0.3", TypeError)])
def test_probability(bad, exc):
    assert V.check_probability(0.0, "p", "f") == 0.0
    assert V.check_probability(1.0, "p", "f", allow_one=True) == 1.0
    with pytest.raises(exc, match="f: p must be"):
        V.check_probability(bad, "p", "f")


def test_positive_and_rng():
    assert V.check_positive(0.0, "lam", "f", allow_zero=True) == 0.0
    with pytest.raises(ValueError, match="lam must be > 0"):
        V.check_positive(0.0, "lam", "f")
    with pytest.raises(TypeError, match="finite number"):
        V.check_positive(float("inf"), "lam", "f")
    with pytest.raises(TypeError, match="numpy.random.Generator"):
        V.check_rng(np.random.RandomState(0), "f")


def test_dim_and_same_shape_messages():
    with pytest.raises(ValueError, match=r"f: W has shape \(2, 3\), expected \(d_out, d_in\)"):
        V.check_dim(np.zeros((2, 3)), 1, 4, "W", "f", "(d_out, d_in) = (2, 4)")
    with pytest.raises(ValueError, match=r"a has shape \(2,\) but b has shape \(3,\)"):
        V.check_same_shape(np.zeros(2), np.zeros(3), "a", "b", "f")
