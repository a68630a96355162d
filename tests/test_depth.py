"""Tests of helpers.depth (lab 14): BatchNorm's pieces at initialization, BatchNorm at test time, residual streams,
pre- and post-LN gradients, lesions.

Every gradient is checked against central finite differences in float64 (relative error below 1e-7, norm-wise, and
entrywise where the entries are not nearly zero by cancellation), on inputs drawn away from ReLU's kink.
"""
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers import depth as DP
from helpers import gradcheck, norm

SETTINGS = settings(max_examples=20, deadline=None, derandomize=True)
seeds = st.integers(0, 2**31 - 1)


def _assert_matches_fd(loss, theta, grad, eps=1e-6, tol=1e-7):
    """Central differences of ``loss`` over ``theta`` (perturbed in place) against ``grad``."""
    num = gradcheck.numerical_gradient(lambda _t: loss(), theta, eps)
    if np.linalg.norm(grad) < 1e-12:  # a gradient that is zero by construction (a bias before BatchNorm)
        assert np.abs(num).max() < 1e-8, f"the gradient is 0 but finite differences give {np.abs(num).max():.1e}"
        return
    normwise = np.linalg.norm(num - grad) / max(np.linalg.norm(grad), 1e-300)
    assert normwise < tol, f"norm-wise relative error {normwise:.2e}"
    big = np.abs(grad) > 1e-3 * np.abs(grad).max()
    if np.any(big):
        err = gradcheck.relative_error(num[big], grad[big])
        assert err < 100 * tol, f"entrywise relative error {err:.2e}"


# ----------------------------------------------------------------------------------------------- bn_random_chain

def _chain_by_hand(X, depth, width, rng, recenter, rescale, activation, eps=1e-5):
    """The layer rule written out with explicit loops over features (an independent reading of the docstring)."""
    H = np.array(X, dtype=float)
    for _ in range(depth):
        W = rng.standard_normal((width, H.shape[1])) / math.sqrt(H.shape[1])
        Z = np.einsum("bk,jk->bj", H, W)
        for j in range(width):
            col = Z[:, j]
            if recenter:
                col = col - col.sum() / len(col)
            if rescale:
                col = col / math.sqrt(np.sum(col ** 2) / len(col) + eps)
            Z[:, j] = col
        H = np.maximum(Z, 0) if activation == "relu" else Z
    return H


@SETTINGS
@given(seed=seeds, B=st.integers(2, 6), d=st.integers(1, 5), depth=st.integers(1, 4), width=st.integers(1, 6),
       rc=st.booleans(), rs=st.booleans(), act=st.sampled_from(["relu", "identity"]))
def test_bn_random_chain_matches_the_layer_rule(seed, B, d, depth, width, rc, rs, act):
    X = np.random.default_rng(seed).normal(size=(B, d))
    got = DP.bn_random_chain(X, depth, width, np.random.default_rng(seed + 1), rc, rs, act)
    want = _chain_by_hand(X, depth, width, np.random.default_rng(seed + 1), rc, rs, act)
    np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-12)


def test_bn_random_chain_one_linear_layer_normalizes_columns_and_uses_the_stream():
    rng = np.random.default_rng(0)
    X = rng.normal(3.0, 2.0, size=(16, 5))
    H = DP.bn_random_chain(X, 1, 7, rng, activation="identity")
    np.testing.assert_allclose(H.mean(axis=0), 0.0, atol=1e-12)
    v = H.var(axis=0)
    assert np.all((v < 1) & (v > 1 - 1e-4)), v  # var / (var + eps): eps inside the sqrt keeps it just below 1
    # RC only keeps the scale; the weights are rng.standard_normal((width, fan_in)) / sqrt(fan_in), in order
    r1, r2 = np.random.default_rng(7), np.random.default_rng(7)
    H2 = DP.bn_random_chain(X, 2, 3, r1, rescale=False, activation="identity")
    W1 = r2.standard_normal((3, 5)) / math.sqrt(5)
    W2 = r2.standard_normal((3, 3)) / math.sqrt(3)
    Z = X @ W1.T
    Z = Z - Z.mean(axis=0)
    Z = Z @ W2.T
    np.testing.assert_allclose(H2, Z - Z.mean(axis=0), rtol=1e-12, atol=1e-12)
    assert r1.bit_generator.state == r2.bit_generator.state, "one draw per layer, nothing else"


def test_bn_random_chain_leaves_input_alone_and_handles_a_batch_of_one():
    X = np.arange(6.0).reshape(2, 3)
    before = X.copy()
    DP.bn_random_chain(X, 3, 4, np.random.default_rng(1))
    np.testing.assert_array_equal(X, before)
    H = DP.bn_random_chain(np.ones((1, 3)), 2, 4, np.random.default_rng(1))  # RC zeroes a single row: no nan
    np.testing.assert_array_equal(H, np.zeros((1, 4)))


def test_bn_random_chain_bad_inputs_name_the_argument():
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match="X must be 2-D"):
        DP.bn_random_chain(np.ones(3), 1, 2, rng)
    with pytest.raises(ValueError, match=r"X has shape \(0, 3\)"):
        DP.bn_random_chain(np.ones((0, 3)), 1, 2, rng)
    with pytest.raises(ValueError, match="depth must be a positive integer"):
        DP.bn_random_chain(np.ones((2, 3)), 0, 2, rng)
    with pytest.raises(TypeError, match="width must be a positive integer"):
        DP.bn_random_chain(np.ones((2, 3)), 1, 2.0, rng)
    with pytest.raises(ValueError, match="activation must be one of"):
        DP.bn_random_chain(np.ones((2, 3)), 1, 2, rng, activation="tanh")
    with pytest.raises(TypeError, match="rng must be a numpy.random.Generator"):
        DP.bn_random_chain(np.ones((2, 3)), 1, 2, 0)


# ----------------------------------------------------------------------------------------------- geometry helpers

def test_pairwise_cosines_stable_rank_and_odd_point_on_constructed_batches():
    H = np.array([[1.0, 0.0], [0.0, 2.0], [-3.0, 0.0], [0.0, 0.0]])
    C = DP.pairwise_cosines(H)
    np.testing.assert_allclose(C[:3, :3], [[1, 0, -1], [0, 1, 0], [-1, 0, 1]], atol=1e-15)
    np.testing.assert_array_equal(C[3], 0.0)  # a zero row has cosine 0 with everything
    assert DP.stable_rank(np.outer([1.0, 2.0, 3.0], [1.0, -1.0])) == pytest.approx(1.0)
    assert DP.stable_rank(np.eye(4)) == pytest.approx(4.0)
    # the predicted configuration: one point along e_0 with norm B - 1, a cluster along e_1 with norm 1
    B = 6
    H = np.zeros((B, 3))
    H[2, 0] = B - 1
    H[np.arange(B) != 2, 1] = 1.0
    r = DP.odd_point_stats(H)
    assert r == (2, 0.0, 1.0, B - 1.0)
    with pytest.raises(ValueError, match="all zero"):
        DP.stable_rank(np.zeros((2, 2)))
    with pytest.raises(ValueError, match="need B >= 3"):
        DP.odd_point_stats(np.ones((2, 3)))


def test_relu_cosine_against_monte_carlo_and_fixed_point():
    assert DP.relu_cosine(1.0) == pytest.approx(1.0)
    assert DP.relu_cosine(-1.0) == pytest.approx(0.0, abs=1e-15)
    assert DP.relu_cosine(0.0) == pytest.approx(1 / math.pi)
    rng = np.random.default_rng(3)
    for rho in (-0.6, 0.3):
        u = rng.standard_normal(400_000)
        v = rho * u + math.sqrt(1 - rho * rho) * rng.standard_normal(400_000)
        a, b = np.maximum(u, 0), np.maximum(v, 0)
        mc = a @ b / math.sqrt((a @ a) * (b @ b))
        assert DP.relu_cosine(rho) == pytest.approx(mc, abs=5e-3)
    assert DP.bn_relu_fixed_point_cos(8) == pytest.approx(0.2501, abs=1e-4)
    with pytest.raises(ValueError, match="rho must lie in"):
        DP.relu_cosine(1.5)
    with pytest.raises(ValueError, match="B must be >= 2"):
        DP.bn_relu_fixed_point_cos(1)


# ----------------------------------------------------------------------------------------------- BN classifier

def test_bn_mlp_gradients_used_in_training_match_finite_differences():
    """train_bn_mlp steps along helpers.norm.deep_relu_loss_and_grads; check it on the BN classifier's layout."""
    rng = np.random.default_rng(5)
    params = DP.bn_mlp_init(4, 6, 3, rng)
    params = [p + 0.1 * rng.normal(size=p.shape) for p in params]  # gamma, beta away from 1, 0
    X, y = rng.normal(size=(7, 4)), rng.integers(0, 3, 7)
    _, grads = norm.deep_relu_loss_and_grads(params, X, y, batchnorm=True)
    for theta, g in zip(params, grads):
        _assert_matches_fd(lambda: norm.deep_relu_loss_and_grads(params, X, y, batchnorm=True)[0], theta, g)


def test_train_bn_mlp_running_stats_eval_mode_and_recalibration():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(120, 5))
    y = (X[:, 0] + X[:, 1] > 0).astype(int)
    params, state = DP.train_bn_mlp(X, y, np.random.default_rng(1), hidden=8, steps=200, batch_size=30)
    again = DP.train_bn_mlp(X, y, np.random.default_rng(1), hidden=8, steps=200, batch_size=30)
    np.testing.assert_array_equal(params[0], again[0][0])  # deterministic given the rng
    assert DP.accuracy(DP.bn_mlp_logits(X, params, state), y) > 0.9
    # eval mode is per example: a row's logits do not depend on the rest of the batch
    np.testing.assert_allclose(DP.bn_mlp_logits(X[:1], params, state), DP.bn_mlp_logits(X, params, state)[:1])
    # running statistics track the data's (momentum 0.1 over 200 steps)
    Z = X @ params[0].T + params[1]
    np.testing.assert_allclose(state.running_mean, Z.mean(axis=0), atol=0.15 * Z.std(axis=0).max())
    # recalibration undoes an affine input shift: x' = a x + b moves z to a z + W1 b, exactly but for eps = 1e-5
    # added to a variance scaled by a^2 = 1/4 (a relative change of about 4e-5 / var in z-hat)
    shifted = 0.5 * X + 0.5
    recal = DP.recalibrate(shifted, params)
    np.testing.assert_allclose(DP.bn_mlp_logits(shifted, params, recal),
                               DP.bn_mlp_logits(X, params, DP.recalibrate(X, params)), rtol=1e-3, atol=1e-3)
    assert DP.accuracy(DP.bn_mlp_logits(shifted, params, state), y) < 0.9  # without it the shift hurts
    # with train=True the batch statistics are used, which recalibration on the same batch reproduces up to eps
    np.testing.assert_allclose(DP.bn_mlp_logits(X, params, state, train=True),
                               DP.bn_mlp_logits(X, params, DP.recalibrate(X, params)), rtol=1e-9, atol=1e-9)


def test_bn_classifier_bad_inputs():
    rng = np.random.default_rng(0)
    params = DP.bn_mlp_init(3, 4, 2, rng)
    state = norm.batchnorm_init(4)
    with pytest.raises(ValueError, match=r"X has shape \(2, 5\), expected \(B, 3\)"):
        DP.bn_mlp_logits(np.ones((2, 5)), params, state)
    with pytest.raises(ValueError, match="params must be"):
        DP.bn_mlp_logits(np.ones((2, 3)), params[:4], state)
    with pytest.raises(ValueError, match="expected \\(n, 3\\)"):
        DP.recalibrate(np.ones((0, 3)), params)
    with pytest.raises(TypeError, match="y must hold integer class labels"):
        DP.train_bn_mlp(np.ones((4, 3)), np.full(4, 0.5), rng)
    with pytest.raises(ValueError, match=r"y has shape \(3,\), expected \(B,\) = \(2,\)"):
        DP.accuracy(np.ones((2, 3)), np.zeros(3, dtype=int))


# ----------------------------------------------------------------------------------------------- residual streams

def test_residual_weights_and_variance_formula():
    rng = np.random.default_rng(0)
    W1s, W2s = DP.residual_weights(3, 256, rng)
    assert W1s.shape == W2s.shape == (3, 256, 256)
    assert W1s.var() == pytest.approx(2 / 256, rel=0.01) and W2s.var() == pytest.approx(1 / 256, rel=0.01)
    h0 = rng.standard_normal((64, 256))
    v = DP.residual_stream_variances(h0, W1s, W2s)
    assert v.shape == (4,) and v[0] == pytest.approx(h0.var())
    np.testing.assert_allclose(np.diff(v), 1.0, atol=0.25)  # each pre-LN block adds alpha^2 = 1
    v0 = DP.residual_stream_variances(h0, W1s, W2s, alpha=0.0)
    np.testing.assert_allclose(v0, h0.var())  # alpha = 0: the identity
    vn = DP.residual_stream_variances(h0, W1s, W2s, layer_norm=False)
    np.testing.assert_allclose(vn[1:] / vn[:-1], 2.0, rtol=0.2)  # without LN: x (1 + alpha^2) per block
    big = DP.residual_stream_variances(1e300 * np.ones((2, 4)), *DP.residual_weights(2, 4, rng), layer_norm=False)
    assert big[-1] == math.inf
    with pytest.raises(ValueError, match=r"W2s has shape \(3, 256, 256\), expected \(L, n, n\) = \(3, 8, 8\)"):
        DP.residual_stream_variances(np.ones((2, 8)), np.ones((3, 8, 8)), W2s)


@pytest.mark.parametrize("post", [True, False])
def test_ln_stack_gradients_match_finite_differences(post):
    rng = np.random.default_rng(11 if post else 12)
    B, n, k, L = 5, 4, 3, 3
    X, Y = rng.normal(size=(B, n)), rng.normal(size=(B, k))
    W1s, W2s = DP.residual_weights(L, n, rng)
    Wout = rng.normal(size=(k, n))
    loss = lambda: DP.ln_stack_loss_and_grads(X, Y, W1s, W2s, Wout, post)[0]  # noqa: E731
    _, dW1s, dW2s, dWout = DP.ln_stack_loss_and_grads(X, Y, W1s, W2s, Wout, post)
    for theta, g in ((W1s, dW1s), (W2s, dW2s), (Wout, dWout)):
        _assert_matches_fd(loss, theta, g)


def test_ln_stack_bad_shapes_and_profiles_shape():
    rng = np.random.default_rng(0)
    W1s, W2s = DP.residual_weights(2, 4, rng)
    with pytest.raises(ValueError, match="Wout"):
        DP.ln_stack_loss_and_grads(np.ones((3, 4)), np.ones((3, 2)), W1s, W2s, np.ones((3, 4)), True)
    post, pre = DP.gradient_profiles(4, 8, rng, rows=6, outputs=2, inits=2)
    assert post.shape == pre.shape == (4,) and np.all(post > 0) and np.all(pre > 0)


# ----------------------------------------------------------------------------------------------- lesions

@pytest.mark.parametrize("residual", [True, False])
def test_lesion_net_gradients_match_finite_differences(residual):
    rng = np.random.default_rng(3)
    net = DP.lesion_net_init(4, 5, 3, 3, rng, residual=residual)
    net = net._replace(b_in=rng.normal(size=5) * 0.3, b1=rng.normal(size=(3, 5)) * 0.3)
    X, y = rng.normal(size=(6, 4)), rng.integers(0, 3, 6)
    _, grads = DP.lesion_net_loss_and_grads(X, y, net)
    for theta, g in zip(net[:7], grads):
        _assert_matches_fd(lambda: DP.lesion_net_loss_and_grads(X, y, net)[0], theta, g)


def test_lesioning_a_block_removes_exactly_its_branch():
    rng = np.random.default_rng(4)
    net = DP.lesion_net_init(3, 4, 2, 2, rng, residual=True)
    X = rng.normal(size=(5, 3))
    h = X @ net.W_in.T + net.b_in
    h = h + net.alpha * np.maximum(h @ net.W1[0].T + net.b1[0], 0) @ net.W2[0].T  # block 1 removed
    np.testing.assert_allclose(DP.lesion_net_logits(X, net, skip=1), h @ net.W_out.T + net.b_out, rtol=1e-12)
    plain = net._replace(residual=False, alpha=1.0)
    h = X @ plain.W_in.T + plain.b_in
    h = np.maximum(h @ plain.W1[1].T + plain.b1[1], 0) @ plain.W2[1].T  # block 0 removed: its input goes on
    np.testing.assert_allclose(DP.lesion_net_logits(X, plain, skip=0), h @ plain.W_out.T + plain.b_out, rtol=1e-12)
    with pytest.raises(ValueError, match="skip must be None or a block index in \\[0, 1\\]"):
        DP.lesion_net_logits(X, net, skip=2)
    with pytest.raises(TypeError, match="net must be a LesionNet"):
        DP.lesion_net_logits(X, tuple(net))
    with pytest.raises(ValueError, match=r"X has shape \(5, 4\)"):
        DP.lesion_net_logits(np.ones((5, 4)), net)


def test_train_lesion_net_learns_and_is_deterministic():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 6))
    y = (X[:, 0] > 0).astype(int) + (X[:, 1] > 0).astype(int)
    a = DP.train_lesion_net(X, y, np.random.default_rng(2), residual=True, blocks=2, width=8, steps=150, lr=1e-2)
    b = DP.train_lesion_net(X, y, np.random.default_rng(2), residual=True, blocks=2, width=8, steps=150, lr=1e-2)
    np.testing.assert_array_equal(a.W1, b.W1)
    base, lesioned = DP.lesion_accuracies(X, y, a)
    assert base > 0.85 and lesioned.shape == (2,)
    with pytest.raises(TypeError, match="y must hold integer class labels"):
        DP.train_lesion_net(X, y + 0.5, rng, residual=True)


# ----------------------------------------------------------------------------------------------- the experiments

def test_experiments_return_what_the_lab_reads():
    """Shapes and ranges only (the thresholds on seeds 0-4 are in tests/test_labs.py)."""
    c = DP.collapse_experiment(0, batch=4, width=16, depth=5)
    assert all(np.isfinite(c)) and 1 <= c.bn_stable_rank <= 4
    o = DP.odd_point_experiment(0, batch=6, width=8, depth=5)
    assert 0 <= o.index < 6
    r = DP.residual_variance_experiment(0, depths=(2, 4), width=8, rows=4)
    assert r.ratio_alpha1.shape == r.ratio_scaled.shape == (2,)
    p = DP.ln_profile_experiment(0, depth=4, short=2, width=8)
    assert p.post.shape == p.pre.shape == (4,)
