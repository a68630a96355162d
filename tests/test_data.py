"""helpers.data: shapes, determinism and the shipped digits set."""
from __future__ import annotations

import numpy as np
import pytest

from helpers import data


def test_digits_are_the_uci_test_set():
    X, y = data.load_digits()
    assert X.shape == (1797, 64) and y.shape == (1797,)
    assert X.min() == 0.0 and X.max() == 1.0
    assert set(np.unique(y)) == set(range(10))
    assert 170 <= np.bincount(y).min() and np.bincount(y).max() <= 185
    # images are not all alike: a digit's mean image differs from another's
    assert np.abs(X[y == 0].mean(0) - X[y == 1].mean(0)).max() > 0.5
    X2, _ = data.load_digits()
    X2[0, 0] = 99.0  # callers get their own copy
    assert data.load_digits()[0][0, 0] == X[0, 0]


def test_split_is_a_partition_and_reproducible():
    X, y = np.arange(20.0).reshape(10, 2), np.arange(10)
    a = data.train_val_split(X, y, 0.3, np.random.default_rng(1))
    b = data.train_val_split(X, y, 0.3, np.random.default_rng(1))
    assert len(a[2]) == 3 and len(a[0]) == 7
    assert sorted(np.concatenate([a[1], a[3]])) == list(range(10))
    for u, v in zip(a, b):
        np.testing.assert_array_equal(u, v)
    with pytest.raises(ValueError, match="val_fraction"):
        data.train_val_split(X, y, 1.0, np.random.default_rng(0))
    with pytest.raises(ValueError, match="X has 10 rows but y has 9"):
        data.train_val_split(X, y[:9], 0.3, np.random.default_rng(0))


@pytest.mark.parametrize("make", [
    lambda rng: data.make_spirals(50, 3, 0.1, rng),
    lambda rng: data.make_moons(101, 0.1, rng),
    lambda rng: data.teacher_student(40, 5, rng)[:2],
])
def test_synthetic_sets_are_deterministic_given_rng(make):
    a = make(np.random.default_rng(7))
    b = make(np.random.default_rng(7))
    c = make(np.random.default_rng(8))
    np.testing.assert_array_equal(a[0], b[0])
    assert not np.array_equal(a[0], c[0])
    assert len(a[0]) == len(a[1])


def test_shapes_and_labels():
    X, y = data.make_spirals(30, 4, 0.0, np.random.default_rng(0))
    assert X.shape == (120, 2) and np.bincount(y).tolist() == [30] * 4
    X, y = data.make_moons(11, 0.0, np.random.default_rng(0))
    assert X.shape == (11, 2) and y.sum() == 6
    X, y, teacher = data.teacher_student(30, 4, np.random.default_rng(0), width=8, noise=0.0, d_out=2)
    assert X.shape == (30, 4) and y.shape == (30, 2)
    np.testing.assert_allclose(y, np.tanh(X @ teacher[0].W.T + teacher[0].b) @ teacher[1].W.T + teacher[1].b)
    with pytest.raises(TypeError, match="rng must be a numpy.random.Generator"):
        data.make_moons(10, 0.1, None)
    with pytest.raises(ValueError, match="n_per_class must be a positive integer"):
        data.make_spirals(0, 3, 0.1, np.random.default_rng(0))


def test_standardize_uses_training_statistics():
    rng = np.random.default_rng(0)
    A, B = rng.normal(3, 2, (50, 3)), rng.normal(3, 2, (10, 3))
    A[:, 2] = 1.0
    As, Bs = data.standardize(A, B)
    np.testing.assert_allclose(As[:, :2].mean(0), 0, atol=1e-12)
    np.testing.assert_allclose(As[:, :2].std(0), 1, rtol=1e-12)
    np.testing.assert_allclose(Bs[:, :2], (B[:, :2] - A[:, :2].mean(0)) / A[:, :2].std(0))
    assert np.all(As[:, 2] == 0)
    with pytest.raises(ValueError, match=r"others\[0\] has shape"):
        data.standardize(A, B[:, :2])
