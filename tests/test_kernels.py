"""Tests of helpers.kernels (labs 11 and 12).

Every gradient is checked against central differences in float64 (the network's Jacobian, the loss gradients),
every kernel against an independent oracle (an explicit Jacobian product, a Monte Carlo average, Gauss-Hermite
quadrature) or a value worked out by hand, and every function's bad input against its error message. The
reproductions themselves (seeds 0 to 4) are in tests/test_labs.py; here they run once in small
configurations.
"""
import math

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from helpers import gradcheck as GC
from helpers import kernels as K

SETTINGS = settings(max_examples=25, deadline=None, derandomize=True)
seeds = st.integers(0, 2**32 - 1)


def _net(rng, B=5, d=3, N=7):
    return rng.normal(size=(B, d)), rng.normal(size=(N, d)), rng.normal(size=N)


def _away_from_kink(rng, B, d, N):
    """Inputs and weights whose pre-activations stay at least 0.05 from ReLU's kink (finite differences of
    size 1e-6 never cross it)."""
    while True:
        X, W, a = _net(rng, B, d, N)
        if np.min(np.abs(X @ W.T / math.sqrt(d))) > 0.05:
            return X, W, a


# ---------------------------------------------------------------------------------------------
# the network, its Jacobian and its loss gradients


@pytest.mark.parametrize("activation", ["relu", "tanh"])
@pytest.mark.parametrize("scale", [None, 0.1])
def test_ntk_jacobian_matches_finite_differences(activation, scale):
    rng = np.random.default_rng(1)
    X, W, a = _away_from_kink(rng, 4, 3, 5)
    J = K.ntk_jacobian(X, W, a, scale=scale, activation=activation)
    assert J.shape == (4, 5 * 3 + 5)
    for i in range(4):
        gW = GC.numerical_gradient(lambda t: K.two_layer_output(X[i:i + 1], t, a, scale, activation)[0], W.copy())
        ga = GC.numerical_gradient(lambda t: K.two_layer_output(X[i:i + 1], W, t, scale, activation)[0], a.copy())
        assert GC.relative_error(J[i], np.concatenate([gW.ravel(), ga])) < 1e-7


@pytest.mark.parametrize("activation", ["relu", "tanh"])
def test_loss_grads_match_finite_differences(activation):
    rng = np.random.default_rng(2)
    X, W, a = _away_from_kink(rng, 6, 4, 5)
    y = rng.normal(size=6)
    # eps = 1e-5 balances rounding (1e-16 |L| / eps) and truncation (eps^2 |L'''| / 6) for the smallest entries
    for alpha, scale in ((1.0, None), (3.0, 0.2)):
        loss, dW, da = K.two_layer_loss_grads(X, y, W, a, scale, activation, alpha)
        f = alpha * K.two_layer_output(X, W, a, scale, activation)
        assert loss == pytest.approx(0.5 * np.mean((f - y) ** 2), rel=1e-12)
        num_W = GC.numerical_gradient(lambda t: K.two_layer_loss_grads(X, y, t, a, scale, activation, alpha)[0],
                                      W.copy(), eps=1e-5)
        num_a = GC.numerical_gradient(lambda t: K.two_layer_loss_grads(X, y, W, t, scale, activation, alpha)[0],
                                      a.copy(), eps=1e-5)
        assert GC.relative_error(dW, num_W) < 1e-7
        assert GC.relative_error(da, num_a) < 1e-7


@pytest.mark.parametrize("activation", ["relu", "tanh"])
def test_train_two_layer_takes_gradient_steps_and_copies(activation):
    rng = np.random.default_rng(3)
    X, W, a = _net(rng, 8, 3, 6)
    y = rng.normal(size=8)
    W_in, a_in = W.copy(), a.copy()
    out = K.train_two_layer(X, y, W, a, lr=0.3, steps=2, scale=0.5, activation=activation, alpha=2.0)
    np.testing.assert_array_equal(W, W_in)
    np.testing.assert_array_equal(a, a_in)
    Wm, am = W.copy(), a.copy()
    for _ in range(2):
        loss, dW, da = K.two_layer_loss_grads(X, y, Wm, am, 0.5, activation, 2.0)
        Wm, am = Wm - 0.3 * dW, am - 0.3 * da
    np.testing.assert_allclose(out.W, Wm, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(out.a, am, rtol=1e-12, atol=1e-14)
    assert out.losses.shape == (3,)
    assert out.losses[-1] == pytest.approx(K.two_layer_loss_grads(X, y, Wm, am, 0.5, activation, 2.0)[0])
    assert K.train_two_layer(X, y, W, a, 0.1, 0).losses.shape == (1,)


def test_training_decreases_the_loss():
    rng = np.random.default_rng(4)
    X = K.sphere_points(10, 4, rng)
    W, a = K.init_two_layer(4, 64, rng)
    losses = K.train_two_layer(X, np.tanh(X[:, 0]), W, a, 1.0, 50).losses
    assert losses[-1] < 0.3 * losses[0]
    assert np.all(np.diff(losses) <= 1e-12)


def test_symmetric_init_starts_at_zero_and_has_a_kernel():
    rng = np.random.default_rng(5)
    W, a = K.init_two_layer(3, 10, rng, symmetric=True)
    X = rng.normal(size=(4, 3))
    np.testing.assert_allclose(K.two_layer_output(X, W, a), 0.0, atol=1e-15)
    np.testing.assert_array_equal(W[:5], W[5:])
    np.testing.assert_array_equal(a[:5], -a[5:])
    assert np.all(np.linalg.eigvalsh(K.empirical_ntk(X, X, W, a)) > 0)
    with pytest.raises(ValueError, match="even width"):
        K.init_two_layer(3, 7, rng, symmetric=True)


# ---------------------------------------------------------------------------------------------
# the NTK


@SETTINGS
@given(seed=seeds, B1=st.integers(1, 5), B2=st.integers(1, 5), d=st.integers(1, 4), N=st.integers(1, 9),
       activation=st.sampled_from(["relu", "tanh"]))
def test_empirical_ntk_is_the_jacobian_product(seed, B1, B2, d, N, activation):
    rng = np.random.default_rng(seed)
    X1, X2 = rng.normal(size=(B1, d)), rng.normal(size=(B2, d))
    W, a = rng.normal(size=(N, d)), rng.normal(size=N)
    J1, J2 = K.ntk_jacobian(X1, W, a, activation=activation), K.ntk_jacobian(X2, W, a, activation=activation)
    np.testing.assert_allclose(K.empirical_ntk(X1, X2, W, a, activation=activation), J1 @ J2.T,
                               rtol=1e-10, atol=1e-12)
    S = K.empirical_ntk(X1, X1, W, a, scale=0.3, activation=activation)
    np.testing.assert_allclose(S, S.T, atol=1e-12)
    assert np.linalg.eigvalsh(S).min() > -1e-10 * max(1.0, np.abs(S).max())


def test_empirical_ntk_worked_example():
    """N = 2, d = 1, W = (1, -1), a = (1, 2), x = x' = 1: (1/2)(1 + 1) = 1; in mean-field scaling 1/2."""
    W, a, x = np.array([[1.0], [-1.0]]), np.array([1.0, 2.0]), np.array([[1.0]])
    assert K.empirical_ntk(x, x, W, a)[0, 0] == pytest.approx(1.0)
    assert K.empirical_ntk(x, x, W, a, scale=0.5)[0, 0] == pytest.approx(0.5)


def test_empirical_ntk_is_unchanged_by_duplicating_neurons():
    rng = np.random.default_rng(6)
    X, W, a = _net(rng, 4, 3, 5)
    np.testing.assert_allclose(K.empirical_ntk(X, X, np.vstack([W, W]), np.concatenate([a, a])),
                               K.empirical_ntk(X, X, W, a), rtol=1e-12)


def test_arccos_kernels_worked_values_and_monte_carlo():
    X = math.sqrt(2.0) * np.eye(2)  # ||x||^2 / d = 1, orthogonal
    k1, k0 = K.arccos_kernel(X, X, 1), K.arccos_kernel(X, X, 0)
    np.testing.assert_allclose(k1, [[0.5, 1 / (2 * np.pi)], [1 / (2 * np.pi), 0.5]], rtol=1e-12)
    np.testing.assert_allclose(k0, [[0.5, 0.25], [0.25, 0.5]], rtol=1e-12)
    Theta = K.ntk_relu_infinite(X, X)
    np.testing.assert_allclose(Theta, [[1.0, 1 / (2 * np.pi)], [1 / (2 * np.pi), 1.0]], rtol=1e-12)
    # against Monte Carlo over w ~ N(0, I): 200000 draws give about 3e-3 absolute accuracy
    rng = np.random.default_rng(7)
    Y = rng.normal(size=(4, 3))
    Z = Y @ rng.normal(size=(3, 200_000)) / math.sqrt(3)
    np.testing.assert_allclose(K.arccos_kernel(Y, Y, 1), np.maximum(Z, 0) @ np.maximum(Z, 0).T / Z.shape[1],
                               atol=0.02 * np.abs(K.arccos_kernel(Y, Y, 1)).max())
    np.testing.assert_allclose(K.arccos_kernel(Y, Y, 0), (Z > 0) * 1.0 @ (Z > 0).T / Z.shape[1], atol=0.01)


def test_arccos_kernel_is_finite_for_equal_and_zero_rows():
    rng = np.random.default_rng(8)
    x = rng.normal(size=(1, 7)) * 1e3
    X = np.vstack([x, x * (1 + 1e-16), np.zeros((1, 7))])
    for deg in (0, 1):
        k = K.arccos_kernel(X, X, deg)
        assert np.all(np.isfinite(k))
        assert np.all(k[2] == 0) and np.all(k[:, 2] == 0)
    assert K.arccos_kernel(X, X, 1)[0, 1] == pytest.approx(np.sum(x ** 2) / 7 / 2, rel=1e-12)


def test_wide_network_ntk_approaches_the_limit():
    rng = np.random.default_rng(9)
    X = K.sphere_points(4, 5, rng)
    W, a = K.init_two_layer(5, 40_000, rng)
    emp, lim = K.empirical_ntk(X, X, W, a), K.ntk_relu_infinite(X, X)
    # fluctuations are O(N^-1/2) = 0.005 relative; 0.03 leaves room
    np.testing.assert_allclose(emp, lim, atol=0.03)


# ---------------------------------------------------------------------------------------------
# function-space gradient descent and kernel ridge regression


def test_kernel_gd_worked_example():
    """n = 1, Theta = 5, eta = 0.1, y = 1: f_t = 1 - 0.5^t; a test point with kernel 2.5 gets half of it."""
    for t in range(6):
        g = K.kernel_gd_predict([[5.0]], [[5.0], [2.5]], [1.0], 0.1, t)
        np.testing.assert_allclose(g, [1 - 0.5 ** t, 0.5 * (1 - 0.5 ** t)], rtol=1e-12, atol=1e-15)


@SETTINGS
@given(seed=seeds, n=st.integers(1, 8), p=st.integers(1, 8), B=st.integers(1, 5), steps=st.integers(0, 30))
def test_kernel_gd_is_gradient_descent_on_a_linear_model(seed, n, p, B, steps):
    rng = np.random.default_rng(seed)
    Phi, Phi_test, y = rng.normal(size=(n, p)), rng.normal(size=(B, p)), rng.normal(size=n)
    lr = 0.5 * n / np.linalg.norm(Phi, 2) ** 2
    w = np.zeros(p)
    for _ in range(steps):
        w = w - lr * Phi.T @ (Phi @ w - y) / n
    np.testing.assert_allclose(K.kernel_gd_predict(Phi @ Phi.T, Phi_test @ Phi.T, y, lr, steps), Phi_test @ w,
                               rtol=1e-9, atol=1e-12)


def test_kernel_gd_tends_to_kernel_regression():
    rng = np.random.default_rng(10)
    X, X_test = K.sphere_points(6, 4, rng), K.sphere_points(3, 4, rng)
    Kt, Ks = K.ntk_relu_infinite(X, X), K.ntk_relu_infinite(X_test, X)
    y = rng.normal(size=6)
    lr = 1.0 * 6 / np.linalg.eigvalsh(Kt).max()
    np.testing.assert_allclose(K.kernel_gd_predict(Kt, Ks, y, lr, 20_000), K.kernel_ridge_predict(Kt, Ks, y, 0.0),
                               rtol=1e-6, atol=1e-8)
    lam = 0.3
    ridge = K.kernel_ridge_predict(Kt, Ks, y, lam)
    np.testing.assert_allclose(ridge, Ks @ np.linalg.inv(Kt + lam * np.eye(6)) @ y, rtol=1e-10)


def test_kernel_gd_with_a_singular_kernel_is_finite():
    Phi = np.array([[1.0], [2.0], [3.0]])
    g = K.kernel_gd_predict(Phi @ Phi.T, np.array([[4.0, 8.0, 12.0]]), [1.0, 2.0, 3.0], 0.1, 200)
    np.testing.assert_allclose(g, [4.0], rtol=1e-8)


# ---------------------------------------------------------------------------------------------
# measurement tools and lab-11 experiments in small configurations


def test_measurement_tools():
    assert K.loglog_slope([1, 10, 100], [3, 0.3, 0.03]) == pytest.approx(-1.0)
    assert K.relative_rms([1.0, 1.0], [1.0, 2.0]) == pytest.approx(math.sqrt(0.5 / 2.5))
    rng = np.random.default_rng(11)
    np.testing.assert_allclose(np.sum(K.sphere_points(5, 7, rng) ** 2, axis=1), 7.0, rtol=1e-12)
    np.testing.assert_allclose(np.sum(K.circle_inputs(np.linspace(0, 6, 5)) ** 2, axis=1), 3.0, rtol=1e-12)
    with pytest.raises(ValueError, match="positive"):
        K.loglog_slope([1, 2], [1, -1])
    with pytest.raises(ValueError, match="at least 2"):
        K.loglog_slope([1], [1])
    with pytest.raises(ValueError, match="must match"):
        K.relative_rms([1.0], [1.0, 2.0])


def test_lab11_experiments_small():
    m = K.movement_experiment(0, widths=(32, 128), inits=1, steps=10)
    assert m.weight_change.shape == (2,) and m.weight_change[1] < m.weight_change[0]
    assert m.ntk_slope < m.weight_slope < 0
    lin = K.linearization_experiment(0, widths=(64, 1024), steps=50, n_test=20)
    assert lin.err_linearized[1024] < lin.err_linearized[64]
    assert set(lin.net) == {64, 1024} and lin.kernel_gd.shape == (20,)
    lr = K.lazy_rich_experiment(0, alphas=(1.0, 100.0), N=16, n=40, steps=50, n_test=100)
    assert lr.movement[1] < lr.movement[0]
    assert lr.W[1.0].shape == (16, 10) and np.all((0 <= lr.alignment) & (lr.alignment <= 1 + 1e-12))


# ---------------------------------------------------------------------------------------------
# lab 12


def test_el_karoui_linearization_beats_the_naive_one():
    rng = np.random.default_rng(12)
    X = K.sphere_points(300, 300, rng)
    Kx = np.exp(X @ X.T / 300)
    den = np.linalg.norm(Kx - 1.0, 2)
    good = np.linalg.norm(Kx - K.el_karoui_kernel(X, 1.0, 1.0, 1.0, math.e), 2) / den
    bad = np.linalg.norm(Kx - K.el_karoui_kernel(X, 1.0, 1.0, 1.0, math.e, identity=False), 2) / den
    assert good < 0.03 < 0.15 < bad
    np.testing.assert_allclose(np.diag(K.el_karoui_kernel(X, 1.0, 1.0, 1.0, math.e)), math.e + 1 / 600, rtol=1e-12)
    res = K.el_karoui_experiment(0, dims=(20, 80))
    assert res.error[1] < res.error[0] and res.slope < 0


def test_hermite_recursion_and_orthonormality():
    z = np.array([-1.5, 0.0, 2.0])
    np.testing.assert_allclose(K.hermite(z, 0), 1.0)
    np.testing.assert_allclose(K.hermite(z, 2, normalized=False), z ** 2 - 1)
    np.testing.assert_allclose(K.hermite(z, 3, normalized=False), z ** 3 - 3 * z)
    np.testing.assert_allclose(K.hermite(z, 4, normalized=False), z ** 4 - 6 * z ** 2 + 3)
    nodes, weights = np.polynomial.hermite_e.hermegauss(12)
    weights = weights / weights.sum()
    gram = np.array([[np.sum(weights * K.hermite(nodes, j) * K.hermite(nodes, k)) for k in range(5)]
                     for j in range(5)])
    np.testing.assert_allclose(gram, np.eye(5), atol=1e-12)
    with pytest.raises(ValueError, match="non-negative integer"):
        K.hermite(z, -1)


def test_hermite_coefficients_recover_a_known_mixture():
    rng = np.random.default_rng(13)
    U = np.linalg.qr(rng.normal(size=(6, 3)))[0].T
    X = rng.normal(size=(500, 6))
    Z = X @ U.T
    f = 0.3 * K.hermite(Z[:, 0], 1) - 0.7 * K.hermite(Z[:, 1], 2) + 0.1 + 0.0 * Z[:, 2]
    np.testing.assert_allclose(K.hermite_coefficients(f, X, U), [0.3, -0.7, 0.0], atol=1e-12)
    y = K.staircase_target(X, U)
    np.testing.assert_allclose(K.hermite_coefficients(y, X, U), [1.0, 1.0, 1.0], rtol=1e-12)
    with pytest.raises(ValueError, match="U has shape"):
        K.staircase_target(X, U[:, :5])


def test_staircase_small():
    res = K.staircase_experiment(0, ns=(40, 400), d=10, n_test=500)
    assert res.coefficients.shape == (2, 3)
    assert res.coefficients[1, 1] > res.coefficients[0, 1]


@SETTINGS
@given(seed=seeds, n=st.integers(1, 9), N=st.integers(1, 12), d=st.integers(1, 4), B=st.integers(1, 4))
def test_random_features_ridge_is_krr_with_the_feature_kernel(seed, n, N, d, B):
    rng = np.random.default_rng(seed)
    X, X_test, y, W = rng.normal(size=(n, d)), rng.normal(size=(B, d)), rng.normal(size=n), rng.normal(size=(N, d))
    lam = float(rng.uniform(0.05, 2.0))
    P, P_test = K.relu_random_features(X, W), K.relu_random_features(X_test, W)
    expected = K.kernel_ridge_predict(P @ P.T, P_test @ P.T, y, lam)
    np.testing.assert_allclose(K.random_features_ridge(X, y, X_test, W, lam), expected, rtol=1e-8, atol=1e-10)


def test_random_features_converge_to_the_arccos_kernel():
    rng = np.random.default_rng(14)
    X = rng.normal(size=(5, 4))
    P = K.relu_random_features(X, rng.normal(size=(100_000, 4)))
    np.testing.assert_allclose(P @ P.T, K.arccos_kernel(X, X, 1), atol=0.02 * np.abs(K.arccos_kernel(X, X)).max())


def test_rf_vs_krr_small():
    res = K.rf_vs_krr_experiment(0, widths=(20, 400), d=8, n=200, n_test=300)
    assert res.distance[1] < res.distance[0]
    assert res.coefficients.shape == (2, 3) and res.krr_coefficients.shape == (3,)


def test_nngp_worked_values():
    X = math.sqrt(2.0) * np.eye(2)  # layer 1: 2 I
    np.testing.assert_allclose(K.nngp_relu(X, 1), 2 * np.eye(2))
    K2 = K.nngp_relu(X, 2)
    np.testing.assert_allclose(K2, [[2.0, 2 / np.pi], [2 / np.pi, 2.0]], rtol=1e-12)
    corr = [K.nngp_relu(X, L)[0, 1] / 2 for L in (2, 50)]
    assert corr[0] == pytest.approx(1 / np.pi) and round(corr[1], 3) == 0.987
    Kb = K.nngp_relu(X, 2, 1.0, 0.1)  # layer 1: [[1.1, 0.1], [0.1, 1.1]]
    th = np.arccos(0.1 / 1.1)
    off = 1.1 * (np.sin(th) + (np.pi - th) * 0.1 / 1.1) / (2 * np.pi) + 0.1
    np.testing.assert_allclose(Kb, [[0.65, off], [off, 0.65]], rtol=1e-12)


def test_nngp_properties():
    rng = np.random.default_rng(15)
    X = rng.normal(size=(5, 3))
    X[1] = X[0] * (1 + 1e-15)
    Ks = [K.nngp_relu(X, L) for L in (1, 2, 4, 8)]
    for Kl in Ks:
        assert np.all(np.isfinite(Kl))
        np.testing.assert_allclose(np.diag(Kl), np.diag(Ks[0]), rtol=1e-12)  # He init keeps the diagonal
    corr = [Kl / np.sqrt(np.outer(np.diag(Kl), np.diag(Kl))) for Kl in Ks]
    for lo, hi in zip(corr, corr[1:]):
        assert np.all(hi >= lo - 1e-12)


def test_nngp_monte_carlo_agrees_with_the_recursion():
    rng = np.random.default_rng(16)
    X = rng.normal(size=(3, 4))
    E = K.nngp_monte_carlo(X, 3, 2000, 30, rng, 2.0, 0.1)
    assert E.shape == (30, 3, 3)
    Kr = K.nngp_relu(X, 3, 2.0, 0.1)
    # the mean of 30 networks of width 2000: fluctuations about 0.07 / sqrt(30) relative
    np.testing.assert_allclose(E.mean(axis=0), Kr, atol=0.05 * np.abs(Kr).max())
    with pytest.raises(ValueError, match="at least the number of inputs"):
        K.nngp_monte_carlo(X, 2, 2, 1, rng)
    res = K.nngp_experiment(0, widths=(16, 256), n_nets=10, depth=3)
    assert res.rms[1] < res.rms[0] and res.K.shape == (5, 5)


def test_log_norm_law():
    rng = np.random.default_rng(17)
    s = K.log_norm_samples(64, 16, 4000, rng)
    assert s.shape == (4000,)
    assert np.var(s) == pytest.approx(5 * 16 / 64, rel=0.15)
    assert abs(np.mean(s)) < 0.2 * 16  # E log of a mean-one factor is about -Var/2 per layer
    res = K.depth_width_experiment(0, configs=((32, 4),), n_nets=500)
    assert res.ratio.shape == (1,) and res.samples[(32, 4)].shape == (500,)
    # the layer factor (2/N) chi^2_k, k ~ Binomial(N, 1/2), has the law of (2/N) sum relu(g)^2: mean 1, variance 5/N
    logs = K.log_norm_samples(8, 1, 200_000, np.random.default_rng(19))
    g = np.random.default_rng(20).normal(size=(200_000, 8))
    direct = 2 / 8 * np.sum(np.maximum(g, 0) ** 2, axis=1)
    np.testing.assert_allclose([np.exp(logs).mean(), np.exp(logs).var()], [1.0, 5 / 8], rtol=0.02)
    np.testing.assert_allclose(np.quantile(np.exp(logs), [0.1, 0.5, 0.9]), np.quantile(direct, [0.1, 0.5, 0.9]),
                               rtol=0.02)


# ---------------------------------------------------------------------------------------------
# bad input


def test_bad_input_messages():
    rng = np.random.default_rng(18)
    X, W, a = _net(rng, 3, 2, 4)
    with pytest.raises(ValueError, match=r"empirical_ntk: W has shape \(4, 2\) but X1 has shape \(3, 5\)"):
        K.empirical_ntk(np.ones((3, 5)), X, W, a)
    with pytest.raises(ValueError, match=r"a has shape \(3,\), expected \(N,\) = \(4,\)"):
        K.two_layer_output(X, W, a[:3])
    with pytest.raises(ValueError, match="X2 has shape"):
        K.empirical_ntk(X, np.ones((2, 3)), W, a)
    with pytest.raises(ValueError, match="activation must be one of"):
        K.two_layer_output(X, W, a, activation="gelu")
    with pytest.raises(ValueError, match=r"y has shape \(2,\), expected \(n,\) = \(3,\)"):
        K.train_two_layer(X, np.ones(2), W, a, 0.1, 1)
    with pytest.raises(ValueError, match="lr must be > 0"):
        K.train_two_layer(X, np.ones(3), W, a, 0.0, 1)
    with pytest.raises(ValueError, match="steps must be >= 0"):
        K.kernel_gd_predict(np.eye(2), np.eye(2), np.ones(2), 0.1, -1)
    with pytest.raises(TypeError, match="steps must be a non-negative integer"):
        K.kernel_gd_predict(np.eye(2), np.eye(2), np.ones(2), 0.1, 2.5)
    with pytest.raises(ValueError, match=r"K_train has shape \(2, 3\), expected \(n, n\) = \(2, 2\)"):
        K.kernel_gd_predict(np.ones((2, 3)), np.eye(2), np.ones(2), 0.1, 1)
    with pytest.raises(ValueError, match=r"K_test has shape \(4, 3\), expected \(B_test, n\) = \(\?, 2\)"):
        K.kernel_ridge_predict(np.eye(2), np.ones((4, 3)), np.ones(2), 0.1)
    with pytest.raises(ValueError, match="ridge must be >= 0"):
        K.kernel_ridge_predict(np.eye(2), np.eye(2), np.ones(2), -1.0)
    with pytest.raises(ValueError, match="degree must be 0 or 1"):
        K.arccos_kernel(X, X, 2)
    with pytest.raises(ValueError, match="same number of columns"):
        K.arccos_kernel(X, np.ones((2, 3)))
    with pytest.raises(ValueError, match="same number of columns"):
        K.ntk_relu_infinite(X, np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"relu_random_features: W has shape \(4, 2\) but X has shape \(3, 3\)"):
        K.relu_random_features(np.ones((3, 3)), W)
    with pytest.raises(ValueError, match="random_features_ridge: X_test has shape"):
        K.random_features_ridge(X, np.ones(3), np.ones((2, 3)), W, 0.1)
    with pytest.raises(ValueError, match="lam must be > 0"):
        K.random_features_ridge(X, np.ones(3), X, W, 0.0)
    with pytest.raises(ValueError, match="depth must be a positive integer"):
        K.nngp_relu(X, 0)
    with pytest.raises(ValueError, match="sigma_b2 must be >= 0"):
        K.nngp_relu(X, 2, 2.0, -0.1)
    with pytest.raises(ValueError, match=r"nngp_relu: X must be 2-D, got shape \(3,\)"):
        K.nngp_relu(np.ones(3), 2)
    with pytest.raises(ValueError, match="scale must be > 0"):
        K.empirical_ntk(X, X, W, a, scale=-1.0)
    with pytest.raises(TypeError, match="rng must be a numpy.random.Generator"):
        K.init_two_layer(2, 4, 0)
