"""Tests of helpers.feature_learning (lab 13).

The input gradients and the AGOP are checked against central differences of the network's output, the RFM's
kernel-predictor gradients against central differences of the predictor (including at training points, where
the symmetric difference of a point's own term is 0, the convention the helpers use), and the matrix tools
against hand values and invariances. The reproductions (seeds 0 to 4) are in tests/test_labs.py.
"""
import math

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from helpers import feature_learning as FL
from helpers import gradcheck as GC
from helpers import kernels as K

SETTINGS = settings(max_examples=25, deadline=None, derandomize=True)
seeds = st.integers(0, 2**32 - 1)


def _away_from_kink(rng, B, d, N):
    while True:
        X, W, a = rng.normal(size=(B, d)), rng.normal(size=(N, d)), rng.normal(size=N)
        if np.min(np.abs(X @ W.T / math.sqrt(d))) > 0.05:
            return X, W, a


@pytest.mark.parametrize("scale", [None, 0.3])
def test_input_gradients_match_finite_differences(scale):
    rng = np.random.default_rng(0)
    X, W, a = _away_from_kink(rng, 5, 4, 6)
    J = FL.input_gradients(X, W, a, scale)
    s = 1 / 6 if scale is None else scale
    for i in range(5):
        num = GC.numerical_gradient(lambda x: K.two_layer_output(x[None, :], W, a, s)[0], X[i].copy())
        assert GC.relative_error(J[i], num) < 1e-7


@SETTINGS
@given(seed=seeds, B=st.integers(1, 6), d=st.integers(1, 5), N=st.integers(1, 6))
def test_agop_is_the_mean_outer_product_and_psd(seed, B, d, N):
    rng = np.random.default_rng(seed)
    X, W, a = _away_from_kink(rng, B, d, N)
    G = FL.agop(X, W, a)
    J = np.array([GC.numerical_gradient(lambda x: K.two_layer_output(x[None, :], W, a, 1.0 / N)[0], X[i].copy())
                  for i in range(B)])
    np.testing.assert_allclose(G, J.T @ J / B, rtol=1e-6, atol=1e-12 + 1e-7 * np.abs(G).max())
    np.testing.assert_allclose(G, G.T, atol=1e-15)
    assert np.linalg.eigvalsh(G).min() > -1e-12 * max(1e-30, np.abs(G).max())
    assert np.linalg.matrix_rank(G, tol=1e-10 * max(1e-30, np.abs(G).max())) <= min(B, N)


def test_agop_worked_example():
    """d = 2, N = 1, W = (2, 0), a = 1: the gradient is (sqrt 2, 0) where x_1 > 0 and 0 elsewhere."""
    G = FL.agop(np.array([[1.0, 1.0], [-1.0, 1.0]]), np.array([[2.0, 0.0]]), np.array([1.0]))
    np.testing.assert_allclose(G, [[1.0, 0.0], [0.0, 0.0]], atol=1e-15)


def test_agop_of_the_product_target_is_diagonal():
    """For f = x_1 x_2 the gradient is (x_2, x_1, 0, ...): G = diag(1, 1, 0, ...) in expectation."""
    rng = np.random.default_rng(1)
    X = rng.normal(size=(20000, 4))
    grads = np.column_stack([X[:, 1], X[:, 0], np.zeros(20000), np.zeros(20000)])
    np.testing.assert_allclose(grads.T @ grads / 20000, np.diag([1.0, 1.0, 0, 0]), atol=0.03)
    np.testing.assert_allclose(FL.product_target(X[:2]), X[:2, 0] * X[:2, 1])


def test_traceless_cosine_properties():
    rng = np.random.default_rng(2)
    A = rng.normal(size=(5, 5))
    A = A @ A.T
    B = rng.normal(size=(5, 5))
    B = B + B.T
    assert FL.traceless_cosine(A, A) == pytest.approx(1.0)
    assert FL.traceless_cosine(A, 3 * A + 7 * np.eye(5)) == pytest.approx(1.0)
    assert FL.traceless_cosine(A, -A) == pytest.approx(-1.0)
    assert FL.traceless_cosine(A, B) == pytest.approx(FL.traceless_cosine(B, A))
    assert FL.traceless_cosine(np.eye(5), A) == 0.0
    # two unrelated near-isotropic matrices: raw correlation high, traceless cosine small
    F = 100 * np.eye(5) + rng.normal(size=(5, 5))
    F = F + F.T
    G = 100 * np.eye(5) + rng.normal(size=(5, 5))
    G = G + G.T
    assert np.corrcoef(F.ravel(), G.ravel())[0, 1] > 0.9
    assert abs(FL.traceless_cosine(F, G)) < 0.9
    with pytest.raises(ValueError, match=r"B has shape \(4, 4\), expected \(5, 5\)"):
        FL.traceless_cosine(A, np.eye(4))
    with pytest.raises(ValueError, match="square"):
        FL.traceless_cosine(np.ones((2, 3)), np.eye(2))


def test_psd_power_and_alignment():
    rng = np.random.default_rng(3)
    A = rng.normal(size=(4, 4))
    G = A @ A.T
    S = FL.psd_power(G, 0.5)
    np.testing.assert_allclose(S @ S, G, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(FL.psd_power(np.diag([4.0, -1e-17]), 0.5), np.diag([2.0, 0.0]), atol=1e-15)
    D = np.diag([5.0, 3.0, 1.0, 0.5])
    assert FL.top_alignment(D, np.eye(4)[:2]) == pytest.approx(1.0)
    assert FL.top_alignment(D, np.eye(4)[3]) == pytest.approx(0.0, abs=1e-15)
    u = np.array([1.0, 1.0, 0, 0]) / math.sqrt(2)
    assert FL.top_alignment(D, u) == pytest.approx(0.5)
    with pytest.raises(ValueError, match="U has shape"):
        FL.top_alignment(D, np.ones((2, 3)))


def test_nmse_and_targets():
    y = np.array([1.0, -1.0, 2.0, 0.0])
    assert FL.nmse(np.full(4, y.mean()), y) == pytest.approx(1.0)
    assert FL.nmse(y, y) == 0.0
    u = np.array([0.6, 0.8])
    np.testing.assert_allclose(FL.single_index_target(np.array([[1.0, 1.0]]), u), [1.4 - math.sqrt(2 / math.pi)])
    with pytest.raises(ValueError, match=r"u has shape \(3,\), expected \(d,\) = \(2,\)"):
        FL.single_index_target(np.ones((1, 2)), np.ones(3))
    with pytest.raises(ValueError, match="at least 2 columns"):
        FL.product_target(np.ones((3, 1)))
    with pytest.raises(ValueError, match="must match"):
        FL.nmse(np.ones(2), np.ones(3))


# ---------------------------------------------------------------------------------------------
# the recursive feature machine


def test_mahalanobis_distances_and_kernel():
    rng = np.random.default_rng(4)
    X1, X2 = rng.normal(size=(3, 4)), rng.normal(size=(5, 4))
    A = rng.normal(size=(4, 4))
    M = A @ A.T
    D = FL.mahalanobis_distances(X1, X2, M)
    expected = np.array([[math.sqrt((x - z) @ M @ (x - z)) for z in X2] for x in X1])
    np.testing.assert_allclose(D, expected, rtol=1e-10)
    np.testing.assert_allclose(FL.mahalanobis_distances(X1, X1, np.eye(4)).diagonal(), 0.0, atol=1e-7)
    np.testing.assert_allclose(FL.laplace_kernel(X1, X2, M, 2.0), np.exp(-expected / 2.0), rtol=1e-10)
    # only the symmetric part of M counts
    np.testing.assert_allclose(FL.mahalanobis_distances(X1, X2, M + np.triu(np.ones((4, 4)), 1)
                                                        - np.tril(np.ones((4, 4)), -1)), D, rtol=1e-10)


@pytest.mark.parametrize("identity", [True, False])
def test_kernel_predictor_gradients_match_finite_differences(identity):
    rng = np.random.default_rng(5)
    X, X_eval = rng.normal(size=(6, 3)), rng.normal(size=(4, 3))
    A = rng.normal(size=(3, 3))
    M = np.eye(3) if identity else A @ A.T + 0.1 * np.eye(3)
    alpha = rng.normal(size=6)
    L = 1.7
    def f_hat(x):  # the predictor with distances from difference vectors (no cancellation near x = x_i)
        diff = x[None, :] - X
        return float(alpha @ np.exp(-np.sqrt(np.einsum("ij,jk,ik->i", diff, M, diff)) / L))

    for pts in (X_eval, X):  # at the training points the own term's symmetric difference is 0
        J = FL.kernel_predictor_gradients(pts, X, alpha, M, L)
        for i in range(len(pts)):
            assert f_hat(pts[i]) == pytest.approx(FL.rfm_predict(pts[i:i + 1], X, alpha, M, L)[0], rel=1e-10)
            num = GC.numerical_gradient(f_hat, pts[i].copy(), eps=1e-6)
            assert GC.relative_error(J[i], num) < 1e-7


@SETTINGS
@given(seed=seeds, n=st.integers(2, 8), d=st.integers(1, 4))
def test_rfm_step_fits_krr_and_returns_the_agop(seed, n, d):
    rng = np.random.default_rng(seed)
    X, y = rng.normal(size=(n, d)), rng.normal(size=n)
    A = rng.normal(size=(d, d))
    M = A @ A.T + 0.5 * np.eye(d)
    L, ridge = float(rng.uniform(0.5, 3.0)), float(rng.uniform(1e-3, 1.0))
    M_new, alpha = FL.rfm_step(X, y, M, L, ridge)
    Kx = FL.laplace_kernel(X, X, M, L)
    np.testing.assert_allclose((Kx + ridge * np.eye(n)) @ alpha, y, rtol=1e-8, atol=1e-10)
    J = FL.kernel_predictor_gradients(X, X, alpha, M, L)
    np.testing.assert_allclose(M_new, J.T @ J / n, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(M_new, M_new.T, atol=1e-14)
    assert np.linalg.eigvalsh(M_new).min() > -1e-12 * max(1e-30, np.abs(M_new).max())


def test_rfm_step_with_duplicate_points_is_finite():
    rng = np.random.default_rng(6)
    X = rng.normal(size=(5, 3))
    X[3] = X[1]
    M_new, alpha = FL.rfm_step(X, rng.normal(size=5), np.eye(3), 2.0, 0.1)
    assert np.all(np.isfinite(M_new)) and np.all(np.isfinite(alpha))


def test_experiments_small():
    kv = FL.kernel_vs_network(0, d=5, n=60, N=16, steps=30, n_test=100, ridges=(0.1,))
    assert 0 <= kv.mf_alignment <= 1 + 1e-12 and kv.W_mf.shape == (16, 5) and kv.krr_train_nmse < kv.krr_nmse
    mv = FL.mf_vs_ntk_experiment(0, widths=(16, 256), d=5, n=40, steps=10)
    assert mv.ntk_slope < mv.mf_slope
    nf = FL.nfa_experiment(0, d=5, n=60, N=16, steps=30, n_test=100)
    assert nf.F.shape == nf.G.shape == (5, 5) and -1 <= nf.tcos_init <= 1
    rf = FL.rfm_experiment(0, d=5, n=60, iters=2, n_test=100)
    assert rf.test_nmse.shape == (3,) and len(rf.Ms) == 3 and rf.test_nmse[-1] < rf.test_nmse[0]


def test_bad_input_messages():
    X = np.ones((3, 2))
    with pytest.raises(ValueError, match=r"input_gradients: W has shape \(4, 3\) but X has shape \(3, 2\)"):
        FL.agop(X, np.ones((4, 3)), np.ones(4))
    with pytest.raises(ValueError, match=r"rfm_step: M has shape \(3, 3\), expected \(2, 2\)"):
        FL.rfm_step(X, np.ones(3), np.eye(3), 1.0, 0.1)
    with pytest.raises(ValueError, match=r"rfm_step: y has shape \(2,\), expected \(n,\) = \(3,\)"):
        FL.rfm_step(X, np.ones(2), np.eye(2), 1.0, 0.1)
    with pytest.raises(ValueError, match="bandwidth must be > 0"):
        FL.rfm_step(X, np.ones(3), np.eye(2), 0.0, 0.1)
    with pytest.raises(ValueError, match="ridge must be >= 0"):
        FL.rfm_step(X, np.ones(3), np.eye(2), 1.0, -0.1)
    with pytest.raises(ValueError, match="need the same number of columns d"):
        FL.mahalanobis_distances(X, np.ones((2, 3)), np.eye(2))
    with pytest.raises(ValueError, match=r"alpha has shape \(2,\), expected \(n,\) = \(3,\)"):
        FL.kernel_predictor_gradients(X, X, np.ones(2), np.eye(2), 1.0)
    with pytest.raises(ValueError, match=r"rfm_predict: alpha has shape \(2,\)"):
        FL.rfm_predict(X, X, np.ones(2), np.eye(2), 1.0)
    with pytest.raises(ValueError, match="scale must be > 0"):
        FL.input_gradients(X, np.ones((4, 2)), np.ones(4), scale=0.0)
    with pytest.raises(ValueError, match="iters must be a positive integer"):
        FL.rfm_experiment(0, iters=0)
