"""Tests of helpers.losses: values, numerical stability, gradients and input validation."""
import math

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from hypothesis.extra import numpy as hnp

from helpers import gradcheck as G
from helpers import losses as L

SETTINGS = settings(max_examples=50, deadline=None, derandomize=True)
seeds = st.integers(0, 2**32 - 1)
finite = st.floats(-100, 100, allow_nan=False, allow_infinity=False)
logit_matrices = hnp.arrays(np.float64, hnp.array_shapes(min_dims=2, max_dims=2, min_side=1, max_side=6),
                            elements=finite)

# Loss gradients are checked with eps = 1e-5 rather than 1e-6: the loss is O(1) while an entry of its
# gradient can be as small as ~1e-2 / B, so rounding (~1e-16 |L| / eps) must stay well below 1e-9;
# truncation (~eps**2 |L'''| ~ 1e-10) is still negligible.
LOSS_EPS = 1e-5


def _signs(rng, shape):
    return rng.choice([-1.0, 1.0], shape)


# ---------------------------------------------------------------- softmax and log_softmax

@SETTINGS
@given(Z=logit_matrices)
def test_softmax_rows_are_probability_vectors(Z):
    P = L.softmax(Z)
    assert P.shape == Z.shape
    assert np.all(P >= 0) and np.all(P <= 1)
    np.testing.assert_allclose(P.sum(axis=1), 1.0, rtol=0, atol=1e-12)


@SETTINGS
@given(Z=logit_matrices, data=st.data())
def test_softmax_is_shift_invariant_per_row(Z, data):
    c = data.draw(hnp.arrays(np.float64, (Z.shape[0], 1), elements=finite))
    # Z + c is rounded to ~1e-14 absolute, which moves exp by that much relatively.
    np.testing.assert_allclose(L.softmax(Z + c), L.softmax(Z), rtol=1e-12, atol=1e-14)


@SETTINGS
@given(Z=logit_matrices)
def test_log_softmax_is_log_of_softmax_where_finite(Z):
    P = L.softmax(Z)
    ok = P > 1e-300  # where log(softmax) is finite and not in the subnormal range
    with np.errstate(divide="ignore"):
        np.testing.assert_allclose(L.log_softmax(Z)[ok], np.log(P[ok]), rtol=1e-12, atol=1e-12)
    assert np.all(np.isfinite(L.log_softmax(Z)))


def test_softmax_hand_values_and_large_logits():
    np.testing.assert_allclose(L.softmax([[0.0, math.log(3.0)]]), [[0.25, 0.75]], rtol=1e-14)
    np.testing.assert_allclose(L.softmax([[1000.0, 1000.0]]), [[0.5, 0.5]])  # naive exp gives nan
    P = L.softmax([[1e4, 0.0, -1e4]])
    assert np.all(np.isfinite(P))
    np.testing.assert_array_equal(P, [[1.0, 0.0, 0.0]])
    np.testing.assert_allclose(L.log_softmax([[1e4, 0.0, -1e4]]), [[0.0, -1e4, -2e4]], rtol=1e-14)


def test_softmax_does_not_modify_its_input():
    Z = np.array([[1.0, 2.0, 3.0]])
    L.softmax(Z)
    L.log_softmax(Z)
    np.testing.assert_array_equal(Z, [[1.0, 2.0, 3.0]])


# ---------------------------------------------------------------- softmax cross-entropy

@SETTINGS
@given(seed=seeds, B=st.integers(1, 6), C=st.integers(2, 6), scale=st.sampled_from([1.0, 1e2, 1e4]))
def test_cross_entropy_matches_logsumexp_and_is_finite_for_huge_logits(seed, B, C, scale):
    """L = mean_i (logsumexp(z_i) - z_{i, y_i}), computed here with np.logaddexp.reduce as an independent oracle."""
    rng = np.random.default_rng(seed)
    Z = rng.normal(size=(B, C)) * scale
    y = rng.integers(0, C, B)
    loss = L.softmax_cross_entropy(Z, y)
    assert isinstance(loss, float) and math.isfinite(loss) and loss >= 0
    per = np.array([np.logaddexp.reduce(Z[i]) - Z[i, y[i]] for i in range(B)])
    np.testing.assert_allclose(L.cross_entropy_per_example(Z, y), per, rtol=1e-12, atol=1e-12 * scale)
    assert loss == pytest.approx(per.mean(), rel=1e-12, abs=1e-12 * scale)


def test_cross_entropy_hand_values():
    # uniform logits over C classes cost log C
    assert L.softmax_cross_entropy(np.zeros((4, 5)), [0, 1, 2, 4]) == pytest.approx(math.log(5))
    # p = (0.25, 0.75): -log 0.75 for label 1, -log 0.25 for label 0, mean of the two
    Z = np.array([[0.0, math.log(3.0)]] * 2)
    assert L.softmax_cross_entropy(Z, [1, 0]) == pytest.approx(-(math.log(0.75) + math.log(0.25)) / 2)
    # logits of magnitude 1e4: the right class costs 0, the wrong one 2e4 (not inf, not nan)
    Z = np.array([[1e4, 0.0, -1e4]] * 2)
    assert L.softmax_cross_entropy(Z, [0, 2]) == pytest.approx(1e4)


@SETTINGS
@given(seed=seeds, B=st.integers(1, 6), C=st.integers(2, 5))
def test_cross_entropy_grad_matches_finite_differences(seed, B, C):
    rng = np.random.default_rng(seed)
    Z = rng.uniform(-1, 1, (B, C))  # keeps every p_ij >= ~0.02, so no gradient entry is tiny
    y = rng.integers(0, C, B)
    g = L.softmax_cross_entropy_grad(Z, y)
    num = G.numerical_gradient(lambda t: L.softmax_cross_entropy(t, y), Z.copy(), eps=LOSS_EPS)
    assert G.relative_error(g, num) < 1e-7
    np.testing.assert_allclose(g.sum(axis=1), 0.0, atol=1e-15)  # softmax - onehot sums to 0 per row


# ---------------------------------------------------------------- binary cross-entropy

@SETTINGS
@given(seed=seeds, B=st.integers(1, 6), C=st.integers(2, 6), scale=st.sampled_from([1.0, 1e2, 1e4]))
def test_cross_entropy_with_grad_is_the_loss_and_the_grad_in_one_pass(seed, B, C, scale):
    rng = np.random.default_rng(seed)
    Z = scale * rng.normal(size=(B, C))
    y = rng.integers(0, C, B)
    loss, grad = L.softmax_cross_entropy_with_grad(Z, y)
    assert math.isfinite(loss)
    assert loss == pytest.approx(L.softmax_cross_entropy(Z, y), rel=1e-12, abs=1e-12)
    np.testing.assert_allclose(grad, L.softmax_cross_entropy_grad(Z, y), rtol=1e-12, atol=1e-15)
    with pytest.raises(ValueError, match="y has labels in"):
        L.softmax_cross_entropy_with_grad(Z, np.full(B, C))


@SETTINGS
@given(seed=seeds, n=st.integers(1, 8))
def test_bce_with_logits_matches_bce_from_probabilities(seed, n):
    rng = np.random.default_rng(seed)
    z = rng.uniform(-10, 10, n)  # sigma(z) and 1 - sigma(z) stay above 4e-5: the probability form is accurate
    y = rng.random(n)  # soft targets are allowed
    p = 1.0 / (1.0 + np.exp(-z))
    assert L.bce_with_logits(z, y) == pytest.approx(L.bce(p, y), rel=1e-9)


@SETTINGS
@given(seed=seeds, n=st.integers(1, 8))
def test_bce_with_logits_is_finite_and_exact_at_1e3(seed, n):
    rng = np.random.default_rng(seed)
    z = 1e3 * _signs(rng, n)
    y = rng.integers(0, 2, n).astype(float)
    # each term is max(z,0) - z*y + log1p(exp(-1000)) = 1000 if wrong, 0 if right
    expected = 1e3 * np.mean((z > 0) != (y == 1))
    loss = L.bce_with_logits(z, y)
    assert math.isfinite(loss)
    assert loss == pytest.approx(expected, abs=1e-12)
    assert np.all(np.isfinite(L.bce_with_logits_grad(z, y)))


def test_bce_hand_values():
    assert L.bce([0.5], [1.0]) == pytest.approx(math.log(2))
    assert L.bce([0.8, 0.1], [1.0, 0.0]) == pytest.approx(-(math.log(0.8) + math.log(0.9)) / 2)
    assert L.bce_with_logits([0.0], [0.0]) == pytest.approx(math.log(2))
    assert L.bce([1.0, 0.0], [1.0, 0.0]) == 0.0  # 0 * log 0 is taken as 0
    assert L.bce([0.0], [1.0]) == math.inf  # a confident wrong probability really costs inf


@SETTINGS
@given(seed=seeds, n=st.integers(1, 8))
def test_bce_with_logits_grad_matches_finite_differences(seed, n):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n).astype(float)
    z = (2 * y - 1) * -rng.uniform(0.2, 3, n)  # the wrong side: |sigma(z) - y| >= 0.55
    g = L.bce_with_logits_grad(z, y)
    num = G.numerical_gradient(lambda t: L.bce_with_logits(t, y), z.copy(), eps=LOSS_EPS)
    assert G.relative_error(g, num) < 1e-7


# ---------------------------------------------------------------- MSE

@SETTINGS
@given(seed=seeds, n=st.integers(1, 8), k=st.integers(0, 4))
def test_mse_value_and_grad(seed, n, k):
    rng = np.random.default_rng(seed)
    shape = (n,) if k == 0 else (n, k)
    y_hat = rng.normal(size=shape)
    y = y_hat + _signs(rng, shape) * rng.uniform(0.5, 1.5, shape)  # residuals away from 0
    direct = sum(float(np.sum((y_hat[i] - y[i]) ** 2)) for i in range(n)) / n
    assert L.mse(y_hat, y) == pytest.approx(direct, rel=1e-12)
    num = G.numerical_gradient(lambda t: L.mse(t, y), y_hat.copy(), eps=LOSS_EPS)
    assert G.relative_error(L.mse_grad(y_hat, y), num) < 1e-7


def test_mse_sums_over_outputs_and_averages_over_rows():
    # rows: errors (1, 2) and (0, 3) -> squared norms 5 and 9 -> mean 7
    assert L.mse([[1.0, 2.0], [0.0, 3.0]], [[0.0, 0.0], [0.0, 0.0]]) == pytest.approx(7.0)


# ---------------------------------------------------------------- regularized objective and empirical risk

@SETTINGS
@given(seed=seeds, lam=st.floats(0, 10), count=st.integers(0, 3))
def test_regularized_loss_is_loss_plus_lambda_squared_norm(seed, lam, count):
    rng = np.random.default_rng(seed)
    params = [rng.normal(size=tuple(rng.integers(1, 4, rng.integers(1, 3)))) for _ in range(count)]
    data_loss = float(rng.random())
    direct = data_loss + lam * sum(float(x) ** 2 for p in params for x in p.ravel())
    assert L.regularized_loss(data_loss, params, lam) == pytest.approx(direct, rel=1e-12, abs=1e-15)
    assert L.l2_penalty(params) == pytest.approx(sum(float(np.vdot(p, p)) for p in params), rel=1e-12)


def test_regularized_loss_rejects_negative_lambda():
    with pytest.raises(ValueError, match="lam"):
        L.regularized_loss(1.0, [np.ones(2)], -0.1)
    with pytest.raises(TypeError, match="lam"):
        L.regularized_loss(1.0, [np.ones(2)], "0.1")


@SETTINGS
@given(seed=seeds, n=st.integers(1, 10), d=st.integers(1, 4))
def test_empirical_risk_is_the_mean_per_example_loss(seed, n, d):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    w = rng.normal(size=d)
    y = rng.normal(size=n)
    model = lambda A: A @ w  # noqa: E731
    sq = lambda pred, t: (pred - t) ** 2  # noqa: E731
    direct = sum((float(X[i] @ w) - y[i]) ** 2 for i in range(n)) / n
    assert L.empirical_risk(sq, model, X, y) == pytest.approx(direct, rel=1e-12)
    # with the per-example cross-entropy it is the mean softmax cross-entropy
    W = rng.normal(size=(3, d))
    labels = rng.integers(0, 3, n)
    assert L.empirical_risk(L.cross_entropy_per_example, lambda A: A @ W.T, X, labels) == pytest.approx(
        L.softmax_cross_entropy(X @ W.T, labels), rel=1e-12)


def test_empirical_risk_rejects_a_loss_that_already_averages():
    X = np.zeros((4, 2))
    with pytest.raises(ValueError, match=r"loss_per_example returned shape \(\)"):
        L.empirical_risk(lambda p, t: np.mean((p - t) ** 2), lambda A: A.sum(axis=1), X, np.zeros(4))


def test_one_hot():
    np.testing.assert_array_equal(L.one_hot([2, 0], 3), [[0, 0, 1], [1, 0, 0]])
    with pytest.raises(ValueError, match="y"):
        L.one_hot([3], 3)


# ---------------------------------------------------------------- bad input

@pytest.mark.parametrize("fn", [L.softmax_cross_entropy, L.softmax_cross_entropy_grad, L.cross_entropy_per_example])
def test_cross_entropy_rejects_bad_labels_and_logits(fn):
    Z = np.zeros((3, 4))
    with pytest.raises(ValueError, match=r"y has labels in \[0, 4\], expected labels in \[0, 3\]"):
        fn(Z, [0, 1, 4])
    with pytest.raises(ValueError, match="y"):
        fn(Z, [0, -1, 2])
    with pytest.raises(ValueError, match=r"y has shape \(2,\), expected \(B,\) = \(3,\)"):
        fn(Z, [0, 1])
    with pytest.raises(ValueError, match="y"):
        fn(Z, [[0], [1], [2]])  # labels as a column
    with pytest.raises(TypeError, match="y"):
        fn(Z, [0.5, 1.0, 2.0])  # not class labels
    with pytest.raises(ValueError, match="logits"):
        fn(np.zeros(4), [0])  # logits must be (B, C)
    with pytest.raises(TypeError, match="logits"):
        fn(np.array([["a", "b"]]), [0])


@pytest.mark.parametrize("fn", [L.softmax, L.log_softmax])
def test_softmax_rejects_bad_input(fn):
    with pytest.raises(ValueError, match="Z"):
        fn(np.zeros(3))
    with pytest.raises(TypeError, match="Z"):
        fn(np.array([["x"]]))


@pytest.mark.parametrize("fn", [L.mse, L.mse_grad])
def test_mse_rejects_mismatched_shapes(fn):
    with pytest.raises(ValueError, match=r"y_hat has shape \(3, 1\) but y has shape \(3,\)"):
        fn(np.zeros((3, 1)), np.zeros(3))  # the classic silent (3, 3) broadcast
    with pytest.raises(TypeError, match="y_hat"):
        fn(np.array(["a"]), np.zeros(1))


@pytest.mark.parametrize("fn,first", [(L.bce, "p"), (L.bce_with_logits, "z"), (L.bce_with_logits_grad, "z")])
def test_bce_rejects_bad_input(fn, first):
    with pytest.raises(ValueError, match=f"{first} has shape \\(3,\\) but y has shape \\(2,\\)"):
        fn(np.full(3, 0.5), np.zeros(2))
    with pytest.raises(ValueError, match=first):
        fn(np.full((3, 1), 0.5), np.zeros((3, 1)))
    with pytest.raises(TypeError, match="y"):
        fn(np.full(2, 0.5), np.array(["a", "b"]))


def test_bce_rejects_values_outside_0_1():
    with pytest.raises(ValueError, match="p must hold probabilities"):
        L.bce([1.5], [1.0])
