"""Data sets for the notebooks: synthetic ones made in code and one small real one shipped with the repo.

Everything is deterministic given ``rng`` and needs no network.
"""
from __future__ import annotations

import gzip
import math
from functools import lru_cache
from importlib import resources

import numpy as np

from ._validate import as_float_array, check_positive, check_positive_int, check_rng
from .forward import Layer

__all__ = ["load_digits", "train_val_split", "make_spirals", "make_moons", "teacher_student", "standardize"]


@lru_cache(maxsize=1)
def _digits_raw() -> np.ndarray:
    with resources.files("helpers").joinpath("_data/digits.csv.gz").open("rb") as fh:
        text = gzip.decompress(fh.read()).decode("ascii")
    raw = np.loadtxt(text.splitlines(), delimiter=",", dtype=np.int64)
    raw.setflags(write=False)
    return raw


def load_digits():
    """The 8x8 handwritten digits (UCI, CC BY 4.0; see ``helpers/_data/README.md``).

    Returns
    -------
    X : ndarray of shape (1797, 64)
        Pixel intensities scaled from 0..16 to [0, 1], one flattened image per row.
    y : ndarray of int64, shape (1797,)
        The digit, 0..9.
    """
    raw = _digits_raw()
    return raw[:, :64] / 16.0, raw[:, 64].copy()


def train_val_split(X, y, val_fraction: float, rng):
    """Shuffle, then hold out ``val_fraction`` of the rows for validation.

    Returns
    -------
    X_train, y_train, X_val, y_val
    """
    rng = check_rng(rng, "train_val_split")
    X = np.asarray(X)
    y = np.asarray(y)
    if len(X) != len(y):
        raise ValueError(f"train_val_split: X has {len(X)} rows but y has {len(y)}")
    if not 0 < val_fraction < 1:
        raise ValueError(f"train_val_split: val_fraction must be in (0, 1), got {val_fraction}")
    order = rng.permutation(len(X))
    n_val = max(1, int(round(val_fraction * len(X))))
    val, train = order[:n_val], order[n_val:]
    return X[train], y[train], X[val], y[val]


def standardize(X_train, *others):
    """Center and scale columns by the training set's mean and std (constant columns are left unscaled).

    Returns the transformed ``X_train`` followed by each of ``others`` transformed with the same statistics.
    """
    X_train = as_float_array(X_train, "X_train", "standardize", ndim=2)
    mu = X_train.mean(axis=0)
    sd = X_train.std(axis=0)
    sd = np.where(sd > 0, sd, 1.0)
    out = [(X_train - mu) / sd]
    for i, X in enumerate(others):
        X = as_float_array(X, f"others[{i}]", "standardize", ndim=2)
        if X.shape[1] != X_train.shape[1]:
            raise ValueError(f"standardize: others[{i}] has shape {X.shape}, expected (n, {X_train.shape[1]})")
        out.append((X - mu) / sd)
    return out[0] if not others else tuple(out)


def make_spirals(n_per_class: int, classes: int = 3, noise: float = 0.2, rng=None):
    """Interleaved spiral arms in the plane, one per class (the CS231n toy problem).

    Returns
    -------
    X : ndarray of shape (n_per_class * classes, 2)
    y : ndarray of int64, shape (n_per_class * classes,)
    """
    rng = check_rng(rng, "make_spirals")
    n = check_positive_int(n_per_class, "n_per_class", "make_spirals")
    k = check_positive_int(classes, "classes", "make_spirals")
    check_positive(noise, "noise", "make_spirals", allow_zero=True)
    r = np.tile(np.linspace(0.0, 1.0, n), k)
    y = np.repeat(np.arange(k), n)
    t = y * (2 * math.pi / k) + np.tile(np.linspace(0.0, 4.0, n), k) + rng.normal(0.0, noise, n * k)
    X = np.column_stack([r * np.sin(t), r * np.cos(t)])
    return X, y


def make_moons(n: int, noise: float = 0.1, rng=None):
    """Two interleaving half circles; class 0 on top, class 1 below and shifted.

    Returns
    -------
    X : ndarray of shape (n, 2)
    y : ndarray of int64, shape (n,)
    """
    rng = check_rng(rng, "make_moons")
    n = check_positive_int(n, "n", "make_moons")
    check_positive(noise, "noise", "make_moons", allow_zero=True)
    n0 = n // 2
    t0 = np.linspace(0.0, math.pi, n0)
    t1 = np.linspace(0.0, math.pi, n - n0)
    X = np.vstack([np.column_stack([np.cos(t0), np.sin(t0)]),
                   np.column_stack([1.0 - np.cos(t1), 0.5 - np.sin(t1)])])
    X = X + rng.normal(0.0, noise, X.shape)
    y = np.concatenate([np.zeros(n0, dtype=np.int64), np.ones(n - n0, dtype=np.int64)])
    return X, y


def teacher_student(n: int, d_in: int, rng, width: int = 16, noise: float = 0.1, d_out: int = 1):
    r"""Regression data labelled by a random one-hidden-layer tanh "teacher" network.

    :math:`y = W_2 \tanh(W_1 x + b_1) + b_2 + \varepsilon`, with :math:`x \sim N(0, I)`,
    :math:`W_1 \sim N(0, 1/d_{in})`, :math:`W_2 \sim N(0, 1/\mathrm{width})` and noise of std ``noise``.
    A "student" network can then be fit to it, and the true function is known exactly.

    Returns
    -------
    X : ndarray of shape (n, d_in)
    y : ndarray of shape (n, d_out)
    teacher : list of Layer
        The teacher's two layers (so the noiseless target is ``W2 tanh(W1 x + b1) + b2``).
    """
    rng = check_rng(rng, "teacher_student")
    n = check_positive_int(n, "n", "teacher_student")
    d_in = check_positive_int(d_in, "d_in", "teacher_student")
    width = check_positive_int(width, "width", "teacher_student")
    d_out = check_positive_int(d_out, "d_out", "teacher_student")
    check_positive(noise, "noise", "teacher_student", allow_zero=True)
    teacher = [
        Layer(rng.normal(0.0, 1.0 / math.sqrt(d_in), (width, d_in)), rng.normal(0.0, 0.1, width)),
        Layer(rng.normal(0.0, 1.0 / math.sqrt(width), (d_out, width)), np.zeros(d_out)),
    ]
    X = rng.normal(size=(n, d_in))
    y = np.tanh(X @ teacher[0].W.T + teacher[0].b) @ teacher[1].W.T + teacher[1].b
    return X, y + rng.normal(0.0, noise, y.shape), teacher
