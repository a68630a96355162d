"""Tests of helpers.norm (section 8): BatchNorm, LayerNorm, dropout, weight decay, early stopping."""
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers import gradcheck, norm

SETTINGS = settings(max_examples=25, deadline=None, derandomize=True)  # deterministic CI


def _assert_gradients_match(loss, params, grads):
    """Central differences agree with the analytic gradients to a relative error below 1e-7.

    Entrywise (helpers.gradcheck) where every analytic entry is at least 1e-2: central differences in
    float64 carry an absolute error near 1e-10, so an entry that is nearly 0 by cancellation (BatchNorm's
    and LayerNorm's dX sum to zero along the normalized axis) cannot be measured relatively. For every
    example, also the norm-wise relative error ||num - grad|| / ||grad|| < 1e-7.
    """
    for name, theta in params.items():
        num = gradcheck.numerical_gradient(lambda _t: loss(), theta)
        g = grads[name]
        normwise = np.linalg.norm(num - g) / max(np.linalg.norm(g), 1e-300)
        assert normwise < 1e-7, f"{name}: norm-wise relative error {normwise:.2e}"
        if np.min(np.abs(g)) >= 1e-2:
            err = gradcheck.relative_error(num, g)
            assert err < 1e-7, f"{name}: entrywise relative error {err:.2e}"


def _bn_loss_and_grads(X, gamma, beta, state, train, R):
    """Loss sum(R * out) of BatchNorm and its analytic gradients."""
    out, cache, _ = norm.batchnorm_forward(X, gamma, beta, state, train)
    dX, dg, db = norm.batchnorm_backward(R, cache)
    return float(np.sum(R * out)), {"X": dX, "gamma": dg, "beta": db}


@SETTINGS
@given(B=st.integers(4, 8), d=st.integers(1, 5), seed=st.integers(0, 2**31 - 1), train=st.booleans())
def test_batchnorm_backward_matches_finite_differences(B, d, seed, train):
    # B >= 4: with B = 2 the output is +-1 whatever X, so dX is O(eps) and a relative error is meaningless;
    # dX lies in a (B - 2)-dimensional subspace, so B >= 4 and |gamma| >= 0.5 keep it away from 0 by chance
    rng = np.random.default_rng(seed)
    X = rng.normal(0, 1, (B, d)) + rng.normal(0, 1, d)  # O(1) values: rounding noise in the differences ~1e-10
    gamma, beta = rng.uniform(0.5, 2, d) * rng.choice([-1, 1], d), rng.normal(0, 1, d)
    state = norm.BatchNormState(rng.normal(0, 1, d), rng.uniform(0.5, 2, d))
    R = rng.normal(size=(B, d))  # random projection: O(1) gradients
    _, grads = _bn_loss_and_grads(X, gamma, beta, state, train, R)
    params = {"X": X, "gamma": gamma, "beta": beta}
    _assert_gradients_match(lambda: float(np.sum(R * norm.batchnorm_forward(X, gamma, beta, state, train)[0])),
                            params, grads)


@SETTINGS
@given(B=st.integers(4, 8), d=st.integers(1, 5), seed=st.integers(0, 2**31 - 1),
       eps=st.sampled_from([1e-5, 1e-3, 0.5]))
def test_batchnorm_train_backward_matches_finite_differences(B, d, seed, eps):
    # the section-8 exercise's reference: the statistics are recomputed from X, so the finite differences
    # move the mean and the variance with X (B >= 4 and |gamma| >= 0.5 for the reason given above)
    rng = np.random.default_rng(seed)
    X = rng.normal(0, 1, (B, d)) * rng.uniform(0.5, 2, d) + rng.normal(0, 1, d)
    gamma, beta = rng.uniform(0.5, 2, d) * rng.choice([-1, 1], d), rng.normal(0, 1, d)
    R = rng.normal(size=(B, d))
    dX, dg, db = norm.batchnorm_train_backward(R, X, gamma, eps=eps)

    def loss():
        mu, var = X.mean(axis=0), X.var(axis=0)
        return float(np.sum(R * (gamma * (X - mu) / np.sqrt(var + eps) + beta)))

    _assert_gradients_match(loss, {"X": X, "gamma": gamma, "beta": beta}, {"X": dX, "gamma": dg, "beta": db})
    np.testing.assert_allclose(dX.sum(axis=0), 0.0, atol=1e-12 * (1 + np.abs(dX).sum()))


def test_batchnorm_train_backward_agrees_with_the_cached_backward():
    rng = np.random.default_rng(7)
    X, dY = rng.normal(2, 3, (16, 5)), rng.normal(size=(16, 5))
    gamma, beta = rng.normal(size=5), rng.normal(size=5)
    _, cache, _ = norm.batchnorm_forward(X, gamma, beta, norm.batchnorm_init(5), True, eps=1e-3)
    for a, b in zip(norm.batchnorm_train_backward(dY, X, gamma, eps=1e-3), norm.batchnorm_backward(dY, cache)):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)


def test_batchnorm_train_backward_batch_of_one_and_inputs_unchanged():
    # B = 1: the output is beta whatever X, so dX = 0 exactly; dgamma = 0 (x_hat = 0), dbeta = dY
    X, dY, gamma = np.array([[5.0, -7.0]]), np.array([[0.3, 2.0]]), np.array([1.5, -2.0])
    copies = X.copy(), dY.copy(), gamma.copy()
    dX, dg, db = norm.batchnorm_train_backward(dY, X, gamma)
    np.testing.assert_array_equal(dX, 0.0)
    np.testing.assert_array_equal(dg, 0.0)
    np.testing.assert_array_equal(db, dY[0])
    for a, b in zip((X, dY, gamma), copies):
        np.testing.assert_array_equal(a, b)


def test_batchnorm_train_backward_bad_inputs_name_the_argument():
    ok = np.ones((4, 3))
    with pytest.raises(ValueError, match="dY"):
        norm.batchnorm_train_backward(np.ones((4, 2)), ok, np.ones(3))
    with pytest.raises(ValueError, match="X"):
        norm.batchnorm_train_backward(np.ones(3), np.ones(3), np.ones(3))
    with pytest.raises(ValueError, match="gamma"):
        norm.batchnorm_train_backward(ok, ok, np.ones(4))
    with pytest.raises(ValueError, match="eps"):
        norm.batchnorm_train_backward(ok, ok, np.ones(3), eps=0.0)
    with pytest.raises(ValueError, match="at least one example"):
        norm.batchnorm_train_backward(np.ones((0, 3)), np.ones((0, 3)), np.ones(3))


@SETTINGS
@given(lead=st.sampled_from([(), (1,), (4,), (2, 3)]), d=st.integers(4, 8), seed=st.integers(0, 2**31 - 1))
def test_layer_norm_backward_matches_finite_differences(lead, d, seed):
    rng = np.random.default_rng(seed)
    x = rng.normal(0, 1, lead + (d,)) + 0.5
    gamma, beta = rng.uniform(0.5, 2, d) * rng.choice([-1, 1], d), rng.normal(0, 1, d)
    R = rng.normal(size=x.shape)
    dx, dg, db = norm.layer_norm_backward(R, x, gamma)
    _assert_gradients_match(lambda: float(np.sum(R * norm.layer_norm(x, gamma, beta))),
                            {"x": x, "gamma": gamma, "beta": beta}, {"x": dx, "gamma": dg, "beta": db})


@SETTINGS
@given(B=st.integers(1, 6), d=st.integers(2, 8), seed=st.integers(0, 2**31 - 1),
       scale=st.floats(0.1, 100.0), shift=st.floats(-50, 50))
def test_layer_norm_rows_have_mean_zero_and_unit_variance(B, d, seed, scale, shift):
    rng = np.random.default_rng(seed)
    x = rng.normal(shift, scale, (B, d))
    out = norm.layer_norm(x, np.ones(d), np.zeros(d), eps=1e-12)
    np.testing.assert_allclose(out.mean(axis=1), 0.0, atol=1e-9)
    # the biased variance of a normalized row is var / (var + eps): 1 to within eps / var (plus rounding)
    tol = 1e-12 / x.var(axis=1) + 1e-10
    assert np.all(np.abs(out.var(axis=1) - 1.0) <= tol), (out.var(axis=1), tol)


def test_layer_norm_hand_example():
    # x = [1, 2, 3]: mean 2, biased variance 2/3, x_hat = [-1, 0, 1] * sqrt(3/2)
    out = norm.layer_norm(np.array([1.0, 2.0, 3.0]), np.array([2.0, 1.0, 1.0]), np.array([0.0, 0.5, 0.0]), eps=1e-5)
    s = 1 / math.sqrt(2 / 3 + 1e-5)
    np.testing.assert_allclose(out, [-2 * s, 0.5, s], rtol=1e-12)


def test_layer_norm_batch_agrees_with_single_examples_and_ignores_batch():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(5, 7))
    g, b = rng.normal(size=7), rng.normal(size=7)
    batch = norm.layer_norm(X, g, b)
    for i in range(5):
        np.testing.assert_allclose(norm.layer_norm(X[i], g, b), batch[i], rtol=1e-13, atol=1e-15)
    # changing another example does not change row 0
    X2 = X.copy()
    X2[1:] *= 10
    np.testing.assert_array_equal(norm.layer_norm(X2, g, b)[0], batch[0])


def test_layer_norm_constant_row_is_finite_and_equals_beta():
    out = norm.layer_norm(np.full(4, 3.0), np.ones(4), np.arange(4.0))
    np.testing.assert_array_equal(out, np.arange(4.0))


def test_layer_norm_bad_inputs_name_the_argument():
    with pytest.raises(ValueError, match="gamma"):
        norm.layer_norm(np.ones((2, 3)), np.ones(4), np.zeros(3))
    with pytest.raises(ValueError, match="beta"):
        norm.layer_norm(np.ones((2, 3)), np.ones(3), np.zeros(2))
    with pytest.raises(ValueError, match="eps"):
        norm.layer_norm(np.ones(3), np.ones(3), np.zeros(3), eps=-1.0)
    with pytest.raises(ValueError, match="dout"):
        norm.layer_norm_backward(np.ones((2, 2)), np.ones((2, 3)), np.ones(3))


def test_batchnorm_training_normalizes_columns_and_updates_running_stats():
    rng = np.random.default_rng(0)
    X = rng.normal(5.0, 3.0, (64, 4))
    state = norm.batchnorm_init(4)
    out, _, new = norm.batchnorm_forward(X, np.ones(4), np.zeros(4), state, train=True, momentum=0.1, eps=1e-12)
    np.testing.assert_allclose(out.mean(axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(out.var(axis=0), 1.0, rtol=1e-9)
    np.testing.assert_allclose(new.running_mean, 0.1 * X.mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(new.running_var, 0.9 + 0.1 * X.var(axis=0), rtol=1e-12)
    # the input state is not modified
    np.testing.assert_array_equal(state.running_mean, 0.0)
    np.testing.assert_array_equal(state.running_var, 1.0)


def test_batchnorm_eval_uses_running_stats_and_is_per_example():
    rng = np.random.default_rng(1)
    state = norm.BatchNormState(np.array([1.0, -2.0]), np.array([4.0, 0.25]))
    X = rng.normal(size=(6, 2))
    gamma, beta = np.array([2.0, 0.5]), np.array([0.1, -0.3])
    out, _, new = norm.batchnorm_forward(X, gamma, beta, state, train=False, eps=1e-5)
    expected = gamma * (X - state.running_mean) / np.sqrt(state.running_var + 1e-5) + beta
    np.testing.assert_allclose(out, expected, rtol=1e-13)
    np.testing.assert_array_equal(new.running_mean, state.running_mean)
    np.testing.assert_array_equal(new.running_var, state.running_var)
    one, _, _ = norm.batchnorm_forward(X[:1], gamma, beta, state, train=False)
    np.testing.assert_allclose(one[0], out[0], rtol=1e-13)


def test_batchnorm_train_mode_batch_of_one_collapses_to_beta():
    beta = np.array([0.3, -1.0, 2.0])
    out, _, _ = norm.batchnorm_forward(np.array([[5.0, -7.0, 11.0]]), np.ones(3), beta, norm.batchnorm_init(3), True)
    np.testing.assert_array_equal(out[0], beta)


def test_batchnorm_running_stats_converge_to_data_stats():
    rng = np.random.default_rng(2)
    state = norm.batchnorm_init(3)
    mean, std = np.array([2.0, -1.0, 0.0]), np.array([0.5, 3.0, 1.0])
    for _ in range(200):
        _, _, state = norm.batchnorm_forward(rng.normal(mean, std, (128, 3)), np.ones(3), np.zeros(3), state, True)
    # running averages of batch statistics: mean within ~5 standard errors of the batch mean
    np.testing.assert_allclose(state.running_mean, mean, atol=5 * 3.0 / math.sqrt(128 * 10))
    np.testing.assert_allclose(state.running_var, std**2 * 127 / 128, rtol=0.1)


def test_batchnorm_bad_inputs_name_the_argument():
    st0 = norm.batchnorm_init(3)
    with pytest.raises(ValueError, match="gamma"):
        norm.batchnorm_forward(np.ones((2, 3)), np.ones(2), np.zeros(3), st0, True)
    with pytest.raises(ValueError, match="X"):
        norm.batchnorm_forward(np.ones(3), np.ones(3), np.zeros(3), st0, True)
    with pytest.raises(ValueError, match="running_mean"):
        norm.batchnorm_forward(np.ones((2, 4)), np.ones(4), np.zeros(4), st0, True)
    with pytest.raises(TypeError, match="state"):
        norm.batchnorm_forward(np.ones((2, 3)), np.ones(3), np.zeros(3), {"mean": 0}, True)
    with pytest.raises(ValueError, match="momentum"):
        norm.batchnorm_forward(np.ones((2, 3)), np.ones(3), np.zeros(3), st0, True, momentum=1.5)


@pytest.mark.parametrize("p", [0.0, 0.1, 0.3, 0.75])
def test_dropout_properties(p):
    rng = np.random.default_rng(10)
    H = rng.normal(size=(200, 100))
    out, mask = norm.dropout(H, p, rng, train=True)
    assert out.shape == H.shape and mask.shape == H.shape
    assert set(np.unique(mask)) <= {0.0, 1.0}
    np.testing.assert_allclose(out, H * mask / (1 - p), rtol=1e-15)
    # keep fraction: binomial with n = 20000, sd = sqrt(p(1-p)/n); 5 sd fails about once in 3.5 million runs
    n = H.size
    assert abs(mask.mean() - (1 - p)) <= 5 * math.sqrt(p * (1 - p) / n) + 1e-12
    if p == 0.0:
        np.testing.assert_array_equal(out, H)


def test_dropout_keeps_the_expected_activation():
    # E[out] = H: average many independent draws on a constant input
    rng = np.random.default_rng(11)
    p = 0.3
    out, _ = norm.dropout(np.full(100_000, 2.0), p, rng)
    # each entry is 0 or 2/0.7, mean 2, sd 2 sqrt(p/(1-p)); the mean has sd about 0.0044
    assert abs(out.mean() - 2.0) < 5 * 2.0 * math.sqrt(p / (1 - p)) / math.sqrt(100_000)


def test_dropout_eval_is_identity_and_does_not_alias():
    H = np.arange(6.0).reshape(2, 3)
    out, mask = norm.dropout(H, 0.4, np.random.default_rng(0), train=False)
    np.testing.assert_array_equal(out, H)
    np.testing.assert_array_equal(mask, np.ones_like(H))
    out[0, 0] = 99.0
    assert H[0, 0] == 0.0
    out2, _ = norm.dropout(H, 0.4, None, train=False)  # no randomness needed in evaluation
    np.testing.assert_array_equal(out2, H)


@pytest.mark.parametrize("p", [1.0, -0.1, 1.5])
def test_dropout_invalid_p_names_p(p):
    with pytest.raises(ValueError, match=r"\bp\b"):
        norm.dropout(np.ones(3), p, np.random.default_rng(0))


def test_dropout_needs_a_generator_in_training():
    with pytest.raises(TypeError, match="rng"):
        norm.dropout(np.ones(3), 0.3, 42)


def test_weight_decay_penalty_and_gradient():
    W1, W2 = np.array([[1.0, -2.0]]), np.array([3.0])
    assert norm.weight_decay_penalty([W1, W2], 0.1) == pytest.approx(0.1 * 14.0, rel=1e-15)
    g = norm.weight_decay_grad([W1, W2], 0.1)
    np.testing.assert_allclose(g[0], [[0.2, -0.4]])
    np.testing.assert_allclose(g[1], [0.6])
    # the gradient is the derivative of the penalty
    rng = np.random.default_rng(0)
    W = rng.normal(size=(3, 4))
    num = gradcheck.numerical_gradient(lambda t: norm.weight_decay_penalty([t], 0.37), W)
    assert gradcheck.relative_error(num, norm.weight_decay_grad([W], 0.37)[0]) < 1e-7
    with pytest.raises(ValueError, match="lam"):
        norm.weight_decay_penalty([W], -1.0)


def test_decoupled_weight_decay_shrinks_by_a_constant_factor():
    W = np.array([1.0, -4.0])
    np.testing.assert_allclose(norm.decoupled_weight_decay([W], lr=0.1, wd=0.5)[0], W * 0.95)
    np.testing.assert_array_equal(W, [1.0, -4.0])


def test_early_stopping():
    losses = [1.0, 0.8, 0.7, 0.72, 0.71, 0.75, 0.6]
    assert norm.early_stopping(losses, patience=3) == (5, 2, True)
    assert norm.early_stopping(losses, patience=4) == (6, 6, False)
    assert norm.early_stopping([0.5], patience=1) == (0, 0, False)
    # min_delta: 0.69 is not an improvement of more than 0.05 over 0.7
    assert norm.early_stopping([0.7, 0.69, 0.68, 0.9], patience=2, min_delta=0.05) == (2, 0, True)
    with pytest.raises(ValueError, match="patience"):
        norm.early_stopping(losses, patience=0)
    with pytest.raises(ValueError, match="val_losses"):
        norm.early_stopping([], patience=2)


@pytest.mark.parametrize("batchnorm", [False, True])
def test_deep_relu_loss_and_grads_match_finite_differences(batchnorm):
    rng = np.random.default_rng(21)
    params = norm._deep_relu_params([3, 5, 4, 3], rng, batchnorm)
    params = [p + 0.1 * rng.normal(size=p.shape) for p in params]   # gamma != 1, beta != 0, biases != 0
    X, y = rng.normal(size=(6, 3)), rng.integers(0, 3, 6)
    loss, grads = norm.deep_relu_loss_and_grads(params, X, y, batchnorm)
    assert len(grads) == len(params) == (10 if batchnorm else 6)
    for p, g in zip(params, grads):
        assert g.shape == p.shape
        num = gradcheck.numerical_gradient(lambda _t: norm.deep_relu_loss_and_grads(params, X, y, batchnorm)[0], p)
        # a ReLU kink within 1e-6 of a pre-activation would spoil the difference; none is this close here
        assert np.linalg.norm(num - g) <= 1e-7 * max(np.linalg.norm(g), 1e-3), (p.shape, num, g)


def test_train_deep_relu_is_deterministic_learns_and_stops_at_nan():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 6))
    y = (X[:, 0] + X[:, 1] > 0).astype(int)
    for bn in (False, True):
        a = norm.train_deep_relu(X, y, 0.1, np.random.default_rng(1), batchnorm=bn, depth=3, width=8, steps=30)
        b = norm.train_deep_relu(X, y, 0.1, np.random.default_rng(1), batchnorm=bn, depth=3, width=8, steps=30)
        np.testing.assert_array_equal(a, b)
        assert a.shape == (30,) and np.all(np.isfinite(a)) and a[-5:].mean() < 0.8 * a[:5].mean()
    # inputs so large that the first update overflows: from the first non-finite loss on, every entry is nan
    huge = norm.train_deep_relu(X * 1e300, y, 0.1, np.random.default_rng(1), batchnorm=False, depth=3, width=8,
                                steps=5)
    first = int(np.argmax(~np.isfinite(huge)))
    assert 0 < first < 5 and np.all(np.isnan(huge[first:])) and np.all(np.isfinite(huge[:first]))
    with pytest.raises(ValueError, match="lr"):
        norm.train_deep_relu(X, y, 0.0, np.random.default_rng(1), batchnorm=True)
    with pytest.raises(ValueError, match="y"):
        norm.train_deep_relu(X, y[:-1], 0.1, np.random.default_rng(1), batchnorm=True)
