"""Tests of helpers.generalization (section 9)."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from helpers import forward as F
from helpers import generalization as G


def test_relu_interpolant_hits_knots_and_is_linear_between():
    f = lambda x: np.cos(3 * x) + x ** 2
    knots = np.array([-1.0, -0.3, 0.2, 0.25, 1.5])
    layers = G.relu_interpolant(f, knots)
    assert layers[0].W.shape == (4, 1) and layers[1].W.shape == (1, 4)
    out, _ = F.mlp_forward(knots[:, None], layers)
    np.testing.assert_allclose(out[:, 0], f(knots), rtol=1e-12, atol=1e-12)
    x = np.linspace(-1, 1.5, 301)
    out, _ = F.mlp_forward(x[:, None], layers)
    np.testing.assert_allclose(out[:, 0], np.interp(x, knots, f(knots)), rtol=1e-12, atol=1e-12)


def test_interpolation_error_falls_like_h_squared():
    """Doubling the units quarters the error of a smooth function (bound h^2 max|f''| / 8)."""
    f = lambda x: np.sin(3 * x)
    errs = np.array([G.interpolation_error(f, n) for n in (8, 16, 32, 64)])
    np.testing.assert_allclose(errs[:-1] / errs[1:], 4.0, rtol=0.05)
    assert errs[0] <= 9 / 8 / 8 ** 2 * (1 + 1e-12)


@pytest.mark.parametrize("L", [1, 2, 3, 5, 7])
def test_sawtooth_network_has_2_to_the_L_pieces(L):
    layers = G.sawtooth_layers(L)
    assert sum(l.W.shape[0] for l in layers[:-1]) == 2 * L
    x = np.linspace(0, 1, 2 ** L * 8 + 1)
    out, _ = F.mlp_forward(x[:, None], layers)
    np.testing.assert_allclose(out[:, 0], G.sawtooth(x, L), atol=1e-12)
    assert G.count_linear_pieces(x, out[:, 0]) == 2 ** L
    assert G.shallow_units_needed(2 ** L) == 2 ** L - 1


def test_count_linear_pieces_with_kinks_between_grid_points():
    x = np.linspace(0, 1, 997)  # kinks of the sawtooth fall inside grid intervals
    assert G.count_linear_pieces(x, G.sawtooth(x, 4)) == 16
    assert G.count_linear_pieces(x, 3 * x + 1) == 1
    assert G.count_linear_pieces(x, np.abs(x - 0.5)) == 2
    with pytest.raises(ValueError, match="increasing"):
        G.count_linear_pieces(x[::-1], x)


@settings(max_examples=40, deadline=None)
@given(n=st.integers(2, 12), P=st.integers(1, 20), seed=st.integers(0, 10 ** 6))
def test_min_norm_fit_is_pinv_and_minimal(n, P, seed):
    rng = np.random.default_rng(seed)
    Phi = rng.normal(size=(n, P))
    y = rng.normal(size=n)
    w = G.min_norm_fit(Phi, y)
    np.testing.assert_allclose(w, np.linalg.pinv(Phi) @ y, rtol=1e-8, atol=1e-10)
    # optimality: the residual is orthogonal to the columns; minimality: w is in the row space
    np.testing.assert_allclose(Phi.T @ (Phi @ w - y), 0.0, atol=1e-9 * (1 + np.abs(Phi).sum() * np.abs(y).sum()))
    if P > n:
        np.testing.assert_allclose(Phi @ w, y, atol=1e-9)
        N = rng.normal(size=P)
        N -= np.linalg.pinv(Phi) @ (Phi @ N)  # a null-space direction: w + N also interpolates
        assert np.linalg.norm(w + N) >= np.linalg.norm(w)


def test_ridge_tends_to_min_norm_and_shrinks():
    rng = np.random.default_rng(0)
    for n, P in [(10, 4), (6, 15)]:
        Phi, y = rng.normal(size=(n, P)), rng.normal(size=n)
        np.testing.assert_allclose(G.ridge_fit(Phi, y, 1e-10), G.min_norm_fit(Phi, y), rtol=1e-6, atol=1e-8)
        assert np.linalg.norm(G.ridge_fit(Phi, y, 10.0)) < np.linalg.norm(G.min_norm_fit(Phi, y))


def test_double_descent_peaks_at_interpolation_threshold():
    Ps = [5, 10, 20, 30, 40, 50, 80, 200, 600]
    dd = G.double_descent(Ps, n_train=40, seeds=(0, 1, 2))
    m = np.exp(np.log(dd.test_mse).mean(axis=0))
    assert Ps[int(np.argmax(m))] in (40, 50)
    assert m[Ps.index(40)] > 5 * m[Ps.index(10)] and m[Ps.index(40)] > 5 * m[-1]
    assert np.all(dd.train_mse[:, np.array(Ps) > 40] < 1e-16 + 1e-12)  # interpolation beyond P = n
    ridge = G.double_descent(Ps, n_train=40, seeds=(0, 1, 2), lam=1e-1)
    assert ridge.test_mse.mean(axis=0)[Ps.index(40)] < 0.2 * dd.test_mse.mean(axis=0)[Ps.index(40)]


def test_gd_from_zero_converges_to_min_norm_interpolant():
    rng = np.random.default_rng(1)
    Phi, y = rng.normal(size=(8, 30)), rng.normal(size=8)
    lr = 8 / np.linalg.norm(Phi, 2) ** 2  # n / sigma_max^2: well inside the stable range 2n / sigma_max^2
    path = G.gd_least_squares(Phi, y, lr, 3000)
    np.testing.assert_allclose(path.w, G.min_norm_fit(Phi, y), rtol=1e-8, atol=1e-10)
    assert path.loss[-1] < 1e-20 and np.all(np.diff(path.loss) <= 1e-15)
    w0 = rng.normal(size=30)
    other = G.gd_least_squares(Phi, y, lr, 3000, w0=w0)
    np.testing.assert_allclose(Phi @ other.w, y, atol=1e-9)
    null_part = w0 - np.linalg.pinv(Phi) @ (Phi @ w0)
    np.testing.assert_allclose(other.w, G.min_norm_fit(Phi, y) + null_part, rtol=1e-7, atol=1e-9)


def test_errors_name_arguments():
    with pytest.raises(ValueError, match="y"):
        G.min_norm_fit(np.ones((3, 2)), np.ones(4))
    with pytest.raises(ValueError, match="knots"):
        G.relu_interpolant(np.sin, [0.0, 0.0, 1.0])
    with pytest.raises(ValueError, match="w0"):
        G.gd_least_squares(np.ones((2, 3)), np.ones(2), 0.1, 5, w0=np.ones(2))
