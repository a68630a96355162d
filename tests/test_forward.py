"""Tests of helpers.forward (section 2): the affine layer, activations, the MLP stack, batching, logits."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from helpers import forward as F
from helpers.activations import Activation

SETTINGS = settings(max_examples=40, deadline=None)


def _random_affine(rng, B, d_in, d_out):
    return rng.normal(size=(B, d_in)), rng.normal(size=(d_out, d_in)), rng.normal(size=d_out)


def test_affine_forward_hand_example():
    # z_1 = 2*1 + 0*2 + 1*(-1) + 0.5 = 1.5 ; z_2 = -1*1 + 1*2 + 3*(-1) - 1 = -3
    X = np.array([[1.0, 2.0, -1.0]])
    W = np.array([[2.0, 0.0, 1.0], [-1.0, 1.0, 3.0]])
    b = np.array([0.5, -1.0])
    np.testing.assert_array_equal(F.affine_forward(X, W, b), [[1.5, -3.0]])


@SETTINGS
@given(B=st.integers(1, 6), d_in=st.integers(1, 6), d_out=st.integers(1, 6), seed=st.integers(0, 2**32 - 1))
def test_affine_forward_matches_the_explicit_sum(B, d_in, d_out, seed):
    X, W, b = _random_affine(np.random.default_rng(seed), B, d_in, d_out)
    Z = F.affine_forward(X, W, b)
    assert Z.shape == (B, d_out) and Z.dtype == np.float64
    np.testing.assert_allclose(Z, F.affine_forward_loop(X, W, b), rtol=1e-12, atol=1e-12)


@SETTINGS
@given(B=st.integers(1, 8), seed=st.integers(0, 2**32 - 1))
def test_batching_does_not_change_any_row(B, seed):
    X, W, b = _random_affine(np.random.default_rng(seed), B, 5, 3)
    batched = F.affine_forward(X, W, b)
    for i in range(B):
        np.testing.assert_allclose(batched[i], W @ X[i] + b, rtol=1e-12, atol=1e-12)


def test_affine_forward_zero_weights_give_the_bias_in_every_row():
    b = np.array([1.0, -2.0, 3.0])
    np.testing.assert_array_equal(F.affine_forward(np.ones((4, 2)), np.zeros((3, 2)), b), np.tile(b, (4, 1)))


def test_affine_forward_accepts_integers_and_float32_and_returns_float64():
    Z = F.affine_forward(np.array([[1, 2]], dtype=np.int32), np.array([[1.0, 1.0]], dtype=np.float32), [0.5])
    assert Z.dtype == np.float64
    np.testing.assert_array_equal(Z, [[3.5]])


def test_affine_forward_does_not_modify_its_inputs():
    X, W, b = _random_affine(np.random.default_rng(0), 3, 4, 2)
    copies = [a.copy() for a in (X, W, b)]
    F.affine_forward(X, W, b)
    for a, c in zip((X, W, b), copies):
        np.testing.assert_array_equal(a, c)


@pytest.mark.parametrize("X, W, b, pattern", [
    (np.ones((4, 3)), np.ones((2, 4)), np.ones(2), r"W has shape \(2, 4\), expected \(d_out, d_in\) = \(2, 3\)"),
    (np.ones((4, 3)), np.ones((2, 3)), np.ones(3), r"b has shape \(3,\), expected \(d_out,\) = \(2,\)"),
    (np.ones((4, 3)), np.ones((2, 3)), np.ones((1, 2)), r"b must be 1-D, got shape \(1, 2\)"),
    (np.ones(3), np.ones((2, 3)), np.ones(2), r"X must be 2-D, got shape \(3,\)"),
])
def test_affine_forward_rejects_bad_shapes_naming_the_argument(X, W, b, pattern):
    for fn in (F.affine_forward, F.affine_forward_loop):
        with pytest.raises(ValueError, match=pattern):
            fn(X, W, b)


def test_apply_activation_by_name_and_enum():
    Z = np.array([[-2.0, 0.0, 3.0]])
    np.testing.assert_array_equal(F.apply_activation(Z, "relu"), [[0.0, 0.0, 3.0]])
    np.testing.assert_array_equal(F.apply_activation(Z, Activation.IDENTITY), Z)
    np.testing.assert_allclose(F.apply_activation(Z, "tanh"), np.tanh(Z), rtol=1e-15)
    with pytest.raises(ValueError, match="unknown activation 'rleu'"):
        F.apply_activation(Z, "rleu")


def test_mlp_forward_hand_example_and_cache():
    # z_0 = (1 - 2, 2 + 1 - 1) = (-1, 2); h_1 = (0, 2); output = (0 + 2 + 0.5, 0 + 1 + 0) = (2.5, 1)
    layers = [F.Layer(np.array([[1.0, -1.0], [2.0, 0.5]]), np.array([0.0, -1.0])),
              F.Layer(np.array([[1.0, 1.0], [-1.0, 0.5]]), np.array([0.5, 0.0]))]
    X = np.array([[1.0, 2.0]])
    out, cache = F.mlp_forward(X, layers)
    np.testing.assert_array_equal(out, [[2.5, 1.0]])
    np.testing.assert_array_equal(cache.inputs[0], X)
    np.testing.assert_array_equal(cache.pre[0], [[-1.0, 2.0]])
    np.testing.assert_array_equal(cache.inputs[1], [[0.0, 2.0]])
    np.testing.assert_array_equal(cache.pre[1], out)
    assert cache.activation is Activation.RELU


@SETTINGS
@given(B=st.integers(1, 5), sizes=st.lists(st.integers(1, 6), min_size=2, max_size=5),
       seed=st.integers(0, 2**32 - 1))
def test_mlp_forward_is_the_layer_by_layer_recursion(B, sizes, seed):
    rng = np.random.default_rng(seed)
    layers = [F.Layer(rng.normal(size=(o, i)), rng.normal(size=o)) for i, o in zip(sizes[:-1], sizes[1:])]
    X = rng.normal(size=(B, sizes[0]))
    out, cache = F.mlp_forward(X, layers, "tanh")
    H = X
    for l, (W, b) in enumerate(layers):
        Z = H @ W.T + b
        H = np.tanh(Z) if l < len(layers) - 1 else Z          # the last layer is linear
    assert out.shape == (B, sizes[-1])
    np.testing.assert_allclose(out, H, rtol=1e-12, atol=1e-12)
    assert len(cache.inputs) == len(cache.pre) == len(layers)
    for l in range(len(layers)):
        assert cache.inputs[l].shape == (B, sizes[l]) and cache.pre[l].shape == (B, sizes[l + 1])


def test_mlp_forward_last_layer_is_linear_so_logits_can_be_negative():
    layers = [F.Layer(np.eye(2), np.zeros(2)), F.Layer(-np.eye(2), np.zeros(2))]
    out, _ = F.mlp_forward(np.array([[1.0, 2.0]]), layers)
    np.testing.assert_array_equal(out, [[-1.0, -2.0]])


def test_mlp_forward_without_activation_collapses_to_one_affine_map():
    rng = np.random.default_rng(1)
    (W1, b1), (W2, b2) = [(rng.normal(size=(4, 3)), rng.normal(size=4)), (rng.normal(size=(2, 4)), rng.normal(size=2))]
    X = rng.normal(size=(6, 3))
    out, _ = F.mlp_forward(X, [F.Layer(W1, b1), F.Layer(W2, b2)], "identity")
    np.testing.assert_allclose(out, X @ (W2 @ W1).T + (W2 @ b1 + b2), rtol=1e-12, atol=1e-12)


@SETTINGS
@given(B=st.integers(1, 5), d_in=st.integers(1, 5), d_h=st.integers(1, 7), C=st.integers(1, 4),
       seed=st.integers(0, 2**32 - 1))
def test_two_layer_forward_equals_relu_hidden_linear_head(B, d_in, d_h, C, seed):
    rng = np.random.default_rng(seed)
    X, W1, b1 = _random_affine(rng, B, d_in, d_h)
    W2, b2 = rng.normal(size=(C, d_h)), rng.normal(size=C)
    expected = np.maximum(X @ W1.T + b1, 0.0) @ W2.T + b2
    np.testing.assert_allclose(F.two_layer_forward(X, W1, b1, W2, b2), expected, rtol=1e-12, atol=1e-12)
    out, _ = F.mlp_forward(X, [F.Layer(W1, b1), F.Layer(W2, b2)], "relu")
    np.testing.assert_allclose(F.two_layer_forward(X, W1, b1, W2, b2), out, rtol=1e-12, atol=1e-12)


def test_two_layer_forward_hand_example():
    # hidden H = [[1, 1, 0, 0], [0, 0, 0, 2], [2, 0, 4.5, 1]] worked out in the 02-forward-pass notebook
    X = np.array([[1.0, 2.0], [-1.0, 0.0], [2.0, -2.0]])
    W1 = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, -1.0], [-1.0, -1.0]])
    b1 = np.array([0.0, -1.0, 0.5, 1.0])
    W2 = np.array([[1.0, -1.0, 0.0, 2.0], [0.0, 1.0, -2.0, -1.0]])
    b2 = np.array([-1.0, 0.5])
    np.testing.assert_array_equal(F.two_layer_forward(X, W1, b1, W2, b2), [[-1.0, 1.5], [3.0, -1.5], [3.0, -9.5]])


def test_predict_is_the_row_argmax_and_is_shift_invariant():
    logits = np.array([[2.5, 1.0, -3.0], [-5.0, -1.0, -2.0]])
    np.testing.assert_array_equal(F.predict(logits), [0, 1])
    np.testing.assert_array_equal(F.predict(logits + 100.0), [0, 1])
    with pytest.raises(ValueError, match=r"logits must be 2-D"):
        F.predict(np.array([1.0, 2.0]))
