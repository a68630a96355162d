r"""Section 9: expressivity and generalization.

* Universal approximation (9.1): a one-hidden-layer ReLU network with one unit per knot equals
  the piecewise-linear interpolant of a function, so its error falls like :math:`h^2` with the
  knot spacing :math:`h`.
* Depth efficiency (9.2): composing the tent map :math:`L` times gives a sawtooth with
  :math:`2^L` linear pieces from :math:`2L` ReLU units; one hidden layer needs :math:`2^L - 1`.
* Overparameterization and double descent (9.3, 9.4): random-features regression fitted by
  minimum-norm least squares, :math:`\hat w = \Phi^+ y`, as the number of features :math:`P`
  crosses the number of training points :math:`n`.
* Inductive bias (9.5): gradient descent from zero on an underdetermined least-squares problem
  never leaves the row space of :math:`\Phi`, so it converges to the minimum-norm interpolant.
"""
from __future__ import annotations

from typing import Callable, NamedTuple, Sequence

import numpy as np

from ._validate import as_float_array, check_positive, check_positive_int, check_rng
from .forward import Layer, mlp_forward

__all__ = ["relu_interpolant", "interpolation_error", "tent_layers", "sawtooth_layers", "sawtooth",
           "count_linear_pieces", "shallow_units_needed", "random_relu_features", "relu_features",
           "min_norm_fit", "ridge_fit", "DoubleDescent", "double_descent", "GDPath", "gd_least_squares"]


# ---------------------------------------------------------------------------------------------
# 9.1 universal approximation


def relu_interpolant(f: Callable[[np.ndarray], np.ndarray], knots) -> list[Layer]:
    r"""A one-hidden-layer ReLU network equal to the piecewise-linear interpolant of ``f`` at ``knots``.

    With knots :math:`k_0 < \dots < k_m` and slopes :math:`s_i = (f(k_{i+1}) - f(k_i))/(k_{i+1} - k_i)`,

    .. math::
        g(x) = f(k_0) + s_0\,\mathrm{relu}(x - k_0) + \sum_{i=1}^{m-1} (s_i - s_{i-1})\,\mathrm{relu}(x - k_i),

    one hidden unit per segment: each unit switches on at its knot and bends the line by the change
    of slope. On :math:`[k_0, k_m]`, :math:`g` interpolates ``f``.

    Parameters
    ----------
    f : callable
        Vectorized ``f(x) -> y`` on 1-D arrays.
    knots : ndarray of shape (m + 1,)
        Strictly increasing, at least two.

    Returns
    -------
    list of two Layer
        ``W1 (m, 1)``, ``b1 (m,)``, ``W2 (1, m)``, ``b2 (1,)``: use with
        :func:`helpers.forward.mlp_forward` (ReLU) on inputs of shape ``(B, 1)``.
    """
    k = as_float_array(knots, "knots", "relu_interpolant", ndim=1)
    if k.size < 2 or np.any(np.diff(k) <= 0):
        raise ValueError(f"relu_interpolant: knots must be strictly increasing with at least 2 entries, got {k.size} "
                         "entries" + ("" if k.size < 2 else " that are not increasing"))
    v = np.asarray(f(k), dtype=np.float64)
    if v.shape != k.shape:
        raise ValueError(f"relu_interpolant: f(knots) has shape {v.shape}, expected {k.shape}")
    s = np.diff(v) / np.diff(k)
    a = np.concatenate([[s[0]], np.diff(s)])  # (m,) output weights: slope, then slope changes
    W1 = np.ones((len(s), 1))
    b1 = -k[:-1]
    return [Layer(W1, b1), Layer(a[None, :], np.array([v[0]]))]


def interpolation_error(f: Callable, n_units: int, a: float = 0.0, b: float = 1.0, grid: int = 2001) -> float:
    r"""Max error on ``grid`` points of :func:`relu_interpolant` with ``n_units`` equally spaced segments on ``[a, b]``.

    For twice-differentiable ``f`` it is at most :math:`\tfrac18 h^2 \max|f''|` with :math:`h = (b-a)/n`.
    """
    n = check_positive_int(n_units, "n_units", "interpolation_error")
    layers = relu_interpolant(f, np.linspace(a, b, n + 1))
    x = np.linspace(a, b, grid)
    out, _ = mlp_forward(x[:, None], layers)
    return float(np.max(np.abs(out[:, 0] - f(x))))


# ---------------------------------------------------------------------------------------------
# 9.2 depth efficiency


def tent_layers() -> list[Layer]:
    r"""The tent map :math:`t(x) = 2\,\mathrm{relu}(x) - 4\,\mathrm{relu}(x - \tfrac12)` on [0, 1] as a 2-unit ReLU network."""
    return [Layer(np.array([[1.0], [1.0]]), np.array([0.0, -0.5])), Layer(np.array([[2.0, -4.0]]), np.zeros(1))]


def sawtooth_layers(L: int) -> list[Layer]:
    r"""The tent map composed ``L`` times, :math:`t^{\circ L}`, as a ReLU MLP with ``L`` hidden layers of 2 units.

    Layer ``l`` reads the previous tent's output :math:`u = 2a - 4b` directly from the two units
    :math:`a, b` of the layer before (the linear combination is folded into the next weights), so
    there are :math:`2L` hidden units and :math:`2^L` linear pieces on [0, 1].

    Returns
    -------
    list of L + 1 Layer
        Shapes ``(2, 1)``, then ``(2, 2)`` L-1 times, then ``(1, 2)``.
    """
    L = check_positive_int(L, "L", "sawtooth_layers")
    first = Layer(np.array([[1.0], [1.0]]), np.array([0.0, -0.5]))
    middle = Layer(np.array([[2.0, -4.0], [2.0, -4.0]]), np.array([0.0, -0.5]))
    last = Layer(np.array([[2.0, -4.0]]), np.zeros(1))
    return [first] + [middle] * (L - 1) + [last]


def sawtooth(x, L: int) -> np.ndarray:
    """:math:`t^{\\circ L}(x)` computed directly (no network): ``x`` of any shape in [0, 1], same shape out."""
    y = as_float_array(x, "x", "sawtooth")
    for _ in range(check_positive_int(L, "L", "sawtooth")):
        y = np.where(y < 0.5, 2.0 * y, 2.0 - 2.0 * y)
    return y


def count_linear_pieces(x, y, rtol: float = 1e-6) -> int:
    r"""Number of linear pieces of a piecewise-linear function sampled on a grid.

    Slopes of consecutive grid intervals are compared; a change larger than ``rtol`` times the
    largest slope starts a new piece. A kink that falls inside a grid interval gives that interval
    an in-between slope, i.e. two changes in a row: runs of consecutive changes count as one kink.
    Assumes every piece spans at least two grid intervals (use a fine grid).

    Parameters
    ----------
    x : ndarray of shape (N,)
        Strictly increasing.
    y : ndarray of shape (N,)

    Returns
    -------
    int
    """
    x = as_float_array(x, "x", "count_linear_pieces", ndim=1)
    y = as_float_array(y, "y", "count_linear_pieces", ndim=1)
    if x.shape != y.shape or x.size < 2:
        raise ValueError(f"count_linear_pieces: x and y must have the same shape (N,) with N >= 2, got {x.shape} and {y.shape}")
    if np.any(np.diff(x) <= 0):
        raise ValueError("count_linear_pieces: x must be strictly increasing")
    s = np.diff(y) / np.diff(x)
    scale = max(np.max(np.abs(s)), 1e-300)
    change = np.abs(np.diff(s)) > rtol * scale
    starts = change & ~np.concatenate([[False], change[:-1]])  # first change of each run
    return 1 + int(np.sum(starts))


def shallow_units_needed(pieces: int) -> int:
    r"""Fewest hidden units a one-hidden-layer ReLU network on :math:`\mathbb R` needs for ``pieces`` linear pieces.

    Each unit :math:`\mathrm{relu}(w x + b)` adds at most one kink, at :math:`x = -b/w`, so ``m`` units
    give at most :math:`m + 1` pieces: the answer is ``pieces - 1``.
    """
    return check_positive_int(pieces, "pieces", "shallow_units_needed") - 1


# ---------------------------------------------------------------------------------------------
# 9.3 - 9.4 random features, minimum-norm least squares, double descent


def random_relu_features(d: int, P: int, rng) -> Layer:
    r"""A frozen random first layer for random-features regression: ``W (P, d)`` with entries :math:`N(0, 1/d)`, ``b (P,)`` :math:`N(0, 1)`."""
    rng = check_rng(rng, "random_relu_features")
    d = check_positive_int(d, "d", "random_relu_features")
    P = check_positive_int(P, "P", "random_relu_features")
    return Layer(rng.normal(0.0, 1.0 / np.sqrt(d), size=(P, d)), rng.normal(0.0, 1.0, size=P))


def relu_features(X, layer: Layer) -> np.ndarray:
    r"""Feature matrix :math:`\Phi = \mathrm{relu}(X W^\top + b)`: ``X (n, d)`` to ``(n, P)``."""
    X = as_float_array(X, "X", "relu_features", ndim=2)
    if layer.W.shape[1] != X.shape[1]:
        raise ValueError(f"relu_features: X has shape {X.shape} but W has shape {layer.W.shape}; expected W (P, {X.shape[1]})")
    return np.maximum(X @ layer.W.T + layer.b, 0.0)


def _check_design(Phi, y, fn):
    Phi = as_float_array(Phi, "Phi", fn, ndim=2)
    y = as_float_array(y, "y", fn, ndim=1)
    if y.shape[0] != Phi.shape[0]:
        raise ValueError(f"{fn}: Phi has shape {Phi.shape} (n, P) but y has shape {y.shape}; expected y of shape ({Phi.shape[0]},)")
    return Phi, y


def min_norm_fit(Phi, y):
    r"""Minimum-norm least-squares weights :math:`\hat w = \Phi^+ y` (the reference of section 9's exercise).

    Among all ``w`` minimizing :math:`\lVert \Phi w - y\rVert^2`, the one with the smallest
    :math:`\lVert w\rVert`. For :math:`P < n` (full column rank) it is the ordinary least-squares
    solution; for :math:`P > n` (full row rank) it interpolates, :math:`\Phi \hat w = y`, and equals
    :math:`\Phi^\top (\Phi\Phi^\top)^{-1} y`.

    Parameters
    ----------
    Phi : ndarray of shape (n, P)
        Features, one row per training point.
    y : ndarray of shape (n,)

    Returns
    -------
    w : ndarray of shape (P,)

    Notes
    -----
    Computed with ``np.linalg.lstsq`` (an SVD that drops singular values below ``rcond``), which
    is well defined whether ``P < n``, ``P = n`` or ``P > n``; the normal equations
    :math:`(\Phi^\top\Phi)^{-1}\Phi^\top y` fail for :math:`P > n`, where :math:`\Phi^\top\Phi` is singular.
    """
    Phi, y = _check_design(Phi, y, "min_norm_fit")
    w, *_ = np.linalg.lstsq(Phi, y, rcond=None)
    return w


def ridge_fit(Phi, y, lam: float):
    r"""Ridge regression :math:`\hat w = \arg\min \lVert \Phi w - y\rVert^2 + \lambda\lVert w\rVert^2`, shape ``(P,)``.

    Solved as :math:`\Phi^\top(\Phi\Phi^\top + \lambda I)^{-1} y` when :math:`P > n`, else
    :math:`(\Phi^\top\Phi + \lambda I)^{-1}\Phi^\top y` (the same vector). As :math:`\lambda \to 0^+`
    it tends to :func:`min_norm_fit`.
    """
    Phi, y = _check_design(Phi, y, "ridge_fit")
    lam = check_positive(lam, "lam", "ridge_fit")
    n, P = Phi.shape
    if P > n:
        return Phi.T @ np.linalg.solve(Phi @ Phi.T + lam * np.eye(n), y)
    return np.linalg.solve(Phi.T @ Phi + lam * np.eye(P), Phi.T @ y)


class DoubleDescent(NamedTuple):
    """Result of :func:`double_descent`."""

    P: np.ndarray  #: (K,) numbers of features tried
    test_mse: np.ndarray  #: (S, K) test mean squared error, one row per seed
    train_mse: np.ndarray  #: (S, K) training mean squared error
    w_norm: np.ndarray  #: (S, K) norm of the fitted weights
    n_train: int


def _target(X):
    d = X.shape[1]
    return np.sin(2.0 * X[:, 0]) + X[:, 1:].sum(axis=1) / np.sqrt(d)


def double_descent(P_values: Sequence[int], *, n_train: int = 40, n_test: int = 500, d: int = 4,
                   noise: float = 0.2, seeds: Sequence[int] = (0, 1, 2, 3, 4), lam: float | None = None) -> DoubleDescent:
    r"""Test error of random-ReLU-features regression against the number of features :math:`P`.

    For each seed: ``n_train`` points :math:`x \sim N(0, I_d)`, targets
    :math:`y = \sin(2x_1) + \sum_{j>1} x_j/\sqrt d + \varepsilon` with :math:`\varepsilon \sim N(0, \mathrm{noise}^2)`;
    for each ``P``, features from :func:`random_relu_features` (nested: the first ``P`` of one big
    draw) and weights from :func:`min_norm_fit` (or :func:`ridge_fit` with ``lam``). The test error
    peaks near :math:`P = n`, where the fit must interpolate the noise with a single, badly
    conditioned solution, and falls again for :math:`P \gg n` (Belkin et al. 2019).

    Returns
    -------
    DoubleDescent
    """
    P_values = np.array([check_positive_int(int(p), "P_values[i]", "double_descent") for p in P_values])
    n_train = check_positive_int(n_train, "n_train", "double_descent")
    S = len(seeds)
    test, train, norm = (np.empty((S, len(P_values))) for _ in range(3))
    for i, seed in enumerate(seeds):
        rng = np.random.default_rng(seed)
        X = rng.normal(size=(n_train + n_test, d))
        y = _target(X) + noise * rng.normal(size=len(X))
        y[n_train:] = _target(X[n_train:])  # test against the clean function
        feats = relu_features(X, random_relu_features(d, int(P_values.max()), rng))
        for j, P in enumerate(P_values):
            Phi_tr, Phi_te = feats[:n_train, :P], feats[n_train:, :P]
            w = min_norm_fit(Phi_tr, y[:n_train]) if lam is None else ridge_fit(Phi_tr, y[:n_train], lam)
            train[i, j] = np.mean((Phi_tr @ w - y[:n_train]) ** 2)
            test[i, j] = np.mean((Phi_te @ w - y[n_train:]) ** 2)
            norm[i, j] = np.linalg.norm(w)
    return DoubleDescent(P_values, test, train, norm, n_train)


# ---------------------------------------------------------------------------------------------
# 9.5 inductive bias of gradient descent


class GDPath(NamedTuple):
    """Result of :func:`gd_least_squares`."""

    w: np.ndarray  #: (P,) final weights
    loss: np.ndarray  #: (steps + 1,) training loss 1/(2n) ||Phi w - y||^2 along the way
    w_norm: np.ndarray  #: (steps + 1,) ||w|| along the way


def gd_least_squares(Phi, y, lr: float, steps: int, w0=None) -> GDPath:
    r"""Full-batch gradient descent on :math:`\frac1{2n}\lVert \Phi w - y\rVert^2` from ``w0`` (default zero).

    Every gradient :math:`\frac1n \Phi^\top(\Phi w - y)` lies in the row space of :math:`\Phi`, so
    :math:`w_t - w_0` does too. Started from zero, GD converges (for ``lr`` below
    :math:`2n/\sigma_{max}(\Phi)^2`) to the only interpolant in the row space: the minimum-norm one,
    :math:`\Phi^+ y`. From another start it converges to :math:`\Phi^+ y` plus the part of
    ``w0`` orthogonal to the row space.

    Returns
    -------
    GDPath
    """
    Phi, y = _check_design(Phi, y, "gd_least_squares")
    lr = check_positive(lr, "lr", "gd_least_squares")
    steps = check_positive_int(steps, "steps", "gd_least_squares")
    n, P = Phi.shape
    w = np.zeros(P) if w0 is None else as_float_array(w0, "w0", "gd_least_squares", ndim=1).copy()
    if w.shape != (P,):
        raise ValueError(f"gd_least_squares: w0 has shape {w.shape}, expected ({P},)")
    loss, norms = np.empty(steps + 1), np.empty(steps + 1)
    for t in range(steps + 1):
        r = Phi @ w - y
        loss[t], norms[t] = 0.5 * np.mean(r * r), np.linalg.norm(w)
        if t < steps:
            w = w - lr * (Phi.T @ r) / n
    return GDPath(w, loss, norms)
