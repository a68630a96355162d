"""Tests of helpers.backprop (and swiglu_backward): every backward agrees with central differences.

Each check differentiates a random projection ``sum(R * out)`` so every gradient entry is O(1), with
|R| in [0.5, 1.5], and draws pre-activations where phi' is bounded away from 0 (and ReLU inputs away
from its kink), so the per-entry relative error measures the backward, not rounding. The bar is the
spec's: relative error < 1e-7 in float64.
"""
import numpy as np
import pytest
from hypothesis import assume, given, settings, strategies as st

from helpers import activations as A
from helpers import backprop as BP
from helpers import forward as F
from helpers import gradcheck as G
from helpers import losses as L

SETTINGS = settings(max_examples=30, deadline=None, derandomize=True)
seeds = st.integers(0, 2**32 - 1)
dims = st.integers(1, 5)
TOL = 1e-7


def _projection(rng, shape):
    """Random weights with |R| in [0.5, 1.5], so no output is ignored by the test loss."""
    return rng.choice([-1.0, 1.0], shape) * rng.uniform(0.5, 1.5, shape)


# Intervals where |phi'(z)| >= ~0.03 (and, for ReLU, |z| >= 0.05 from the kink).
SAFE = {
    "relu": [(-3.0, -0.05), (0.05, 3.0)],
    "sigmoid": [(-3.0, 3.0)],
    "tanh": [(-2.0, 2.0)],
    "gelu": [(-2.5, -1.2), (-0.4, 3.0)],  # gelu' crosses 0 near z = -0.75
    "swish": [(-4.0, -1.8), (-0.8, 3.0)],  # swish' crosses 0 near z = -1.28
    "identity": [(-3.0, 3.0)],
}


def _safe_inputs(rng, shape, activation):
    intervals = SAFE[activation]
    pick = rng.integers(0, len(intervals), shape)
    lo = np.array([i[0] for i in intervals])[pick]
    hi = np.array([i[1] for i in intervals])[pick]
    return rng.uniform(lo, hi)


# ---------------------------------------------------------------- affine_backward

@SETTINGS
@given(seed=seeds, B=dims, d_in=dims, d_out=dims)
def test_affine_backward_matches_finite_differences(seed, B, d_in, d_out):
    rng = np.random.default_rng(seed)
    X, W, b = rng.normal(size=(B, d_in)), rng.normal(size=(d_out, d_in)), rng.normal(size=d_out)
    R = _projection(rng, (B, d_out))
    dX, dW, db = BP.affine_backward(R, X, W)
    assert dX.shape == X.shape and dW.shape == W.shape and db.shape == b.shape
    f = lambda _t: float(np.sum(R * F.affine_forward(X, W, b)))  # noqa: E731
    # f is linear in each of X, W, b, so the central difference has no truncation error at any eps;
    # a large eps shrinks rounding (~1e-16 |f| / eps), which matters because entries of dW and db are
    # sums over the batch that can nearly cancel, and the per-entry relative error is unforgiving there.
    for name, theta, grad in (("X", X, dX), ("W", W, dW), ("b", b, db)):
        err = G.relative_error(grad, G.numerical_gradient(f, theta, eps=1e-3))
        assert err < TOL, f"d{name}: relative error {err:.2e}"


def test_affine_backward_hand_example():
    """One example, d_in = 2, d_out = 1: dW = delta x^T, db = delta, dX = delta W."""
    dX, dW, db = BP.affine_backward(np.array([[2.0]]), np.array([[3.0, -1.0]]), np.array([[0.5, 4.0]]))
    np.testing.assert_array_equal(dW, [[6.0, -2.0]])
    np.testing.assert_array_equal(db, [2.0])
    np.testing.assert_array_equal(dX, [[1.0, 8.0]])


def test_affine_backward_rejects_bad_shapes():
    X, W, dZ = np.zeros((4, 3)), np.zeros((2, 3)), np.zeros((4, 2))
    with pytest.raises(ValueError, match=r"W has shape \(3, 2\)"):
        BP.affine_backward(dZ, X, W.T)
    with pytest.raises(ValueError, match=r"dZ has shape \(2, 4\), expected \(B, d_out\) = \(4, 2\)"):
        BP.affine_backward(dZ.T, X, W)
    with pytest.raises(ValueError, match="X"):
        BP.affine_backward(dZ, np.zeros(3), W)
    with pytest.raises(TypeError, match="dZ"):
        BP.affine_backward(np.array([["a"]]), X, W)


# ---------------------------------------------------------------- activation_backward

@SETTINGS
@given(seed=seeds, B=dims, d=dims, activation=st.sampled_from(sorted(SAFE)))
def test_activation_backward_matches_finite_differences(seed, B, d, activation):
    rng = np.random.default_rng(seed)
    Z = _safe_inputs(rng, (B, d), activation)
    R = _projection(rng, (B, d))
    f, _ = A.get_activation(activation)
    dZ = BP.activation_backward(R, Z, activation)
    num = G.numerical_gradient(lambda t: float(np.sum(R * f(t))), Z.copy())
    err = G.relative_error(dZ, num)
    assert err < TOL, f"{activation}: relative error {err:.2e}"


def test_activation_backward_gates_relu():
    dZ = BP.activation_backward(np.array([[5.0, 5.0, 5.0]]), np.array([[-1.0, 0.0, 2.0]]), "relu")
    np.testing.assert_array_equal(dZ, [[0.0, 0.0, 5.0]])  # derivative at 0 taken as 0


def test_activation_backward_rejects_bad_input():
    with pytest.raises(ValueError, match=r"dH has shape \(2, 3\) but Z has shape \(3, 2\)"):
        BP.activation_backward(np.zeros((2, 3)), np.zeros((3, 2)), "relu")
    with pytest.raises(ValueError, match="unknown activation 'softplus'"):
        BP.activation_backward(np.zeros(2), np.zeros(2), "softplus")
    with pytest.raises(TypeError, match="Z"):
        BP.activation_backward(np.zeros(1), np.array(["a"]), "relu")


# ---------------------------------------------------------------- mlp_backward and mlp_loss_and_grads

def _mlp(rng, widths):
    return [F.Layer(rng.normal(0, 1 / np.sqrt(a), (b, a)), rng.normal(0, 0.5, b)) for a, b in zip(widths, widths[1:])]


@SETTINGS
@given(seed=seeds, B=dims, widths=st.lists(dims, min_size=2, max_size=4),
       activation=st.sampled_from(["relu", "tanh", "sigmoid", "gelu"]))
def test_mlp_backward_matches_finite_differences(seed, B, widths, activation):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(B, widths[0]))
    layers = _mlp(rng, widths)
    logits, cache = F.mlp_forward(X, layers, activation)
    # ReLU: a step of 1e-6 in a weight moves a pre-activation by ~1e-6; stay 1e-3 from the kink.
    assume(activation != "relu" or all(np.min(np.abs(Z)) > 1e-3 for Z in cache.pre[:-1]))
    R = _projection(rng, logits.shape)
    grads, dX = BP.mlp_backward(R, cache, layers)
    assert dX.shape == X.shape
    f = lambda _t: float(np.sum(R * F.mlp_forward(X, layers, activation)[0]))  # noqa: E731
    params = {"X": X}
    analytic = {"X": dX}
    for l, (layer, g) in enumerate(zip(layers, grads)):
        assert g.W.shape == layer.W.shape and g.b.shape == layer.b.shape
        params[f"W{l}"], params[f"b{l}"] = layer.W, layer.b
        analytic[f"W{l}"], analytic[f"b{l}"] = g.W, g.b
    # Entries of dW and db are sums over the batch that can cancel to nearly 0, where the per-entry
    # ratio would measure the rounding of that cancellation rather than the backward; so each
    # parameter's error is taken relative to the scale of its whole gradient (normwise).
    for name, theta in params.items():
        num = G.numerical_gradient(f, theta)
        err = np.max(np.abs(num - analytic[name])) / max(1e-8, float(np.max(np.abs(num))))
        assert err < TOL, f"{name}: normwise relative error {err:.2e}"


@SETTINGS
@given(seed=seeds, B=dims, C=st.integers(2, 4), lam=st.sampled_from([0.0, 0.1]))
def test_mlp_loss_and_grads_matches_finite_differences(seed, B, C, lam):
    rng = np.random.default_rng(seed)
    layers = _mlp(rng, [3, 4, C])
    X = rng.normal(size=(B, 3))
    y = rng.integers(0, C, B)
    loss, grads = BP.mlp_loss_and_grads(X, y, layers, "tanh", weight_decay=lam)
    direct = L.softmax_cross_entropy(F.mlp_forward(X, layers, "tanh")[0], y) + lam * sum(
        float(np.sum(l.W ** 2)) for l in layers)
    assert loss == pytest.approx(direct, rel=1e-12)
    f = lambda _t: BP.mlp_loss_and_grads(X, y, layers, "tanh", weight_decay=lam)[0]  # noqa: E731
    for layer, g in zip(layers, grads):
        for theta, grad in ((layer.W, g.W), (layer.b, g.b)):
            num = G.numerical_gradient(f, theta, eps=1e-5)
            assert np.max(np.abs(num - grad)) / max(1e-8, float(np.max(np.abs(num)))) < TOL


# ---------------------------------------------------------------- two_layer_loss_and_grads (section exercise s04)

def _relu_away_from_kink(rng, X, W1, b1):
    """Shift b1 so that no hidden pre-activation lies within 0.05 of ReLU's kink (finite differences with
    eps = 1e-5 then never cross it)."""
    Z1 = X @ W1.T + b1
    near = np.abs(Z1) < 0.05
    while near.any():
        b1 = b1 + 0.1 * near.any(axis=0)
        Z1 = X @ W1.T + b1
        near = np.abs(Z1) < 0.05
    return b1


@SETTINGS
@given(seed=seeds, B=dims, d_in=dims, d_1=dims, C=st.integers(2, 4))
def test_two_layer_loss_and_grads_matches_finite_differences(seed, B, d_in, d_1, C):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(B, d_in))
    W1, W2 = rng.normal(size=(d_1, d_in)), rng.normal(size=(C, d_1))
    b1 = _relu_away_from_kink(rng, X, W1, rng.normal(size=d_1))
    b2 = rng.normal(size=C)
    y = rng.integers(0, C, B)
    params = {"W1": W1, "b1": b1, "W2": W2, "b2": b2}
    loss, grads = BP.two_layer_loss_and_grads(X, y, **params)
    assert isinstance(loss, float)
    assert loss == pytest.approx(L.softmax_cross_entropy(F.two_layer_forward(X, W1, b1, W2, b2), y), rel=1e-12)
    assert set(grads) == set(params)
    f = lambda _t: BP.two_layer_loss_and_grads(X, y, **params)[0]  # noqa: E731
    for name, theta in params.items():
        assert grads[name].shape == theta.shape, name
        num = G.numerical_gradient(f, theta, eps=1e-5)
        # relative to the largest entry (as for mlp_loss_and_grads): entries of dead units are exactly 0
        # in the backward pass and ~1e-11 in the central difference, which a per-entry ratio would magnify
        assert np.max(np.abs(num - grads[name])) / max(1e-8, float(np.max(np.abs(num)))) < TOL, name


def test_two_layer_loss_and_grads_agrees_with_mlp_loss_and_grads():
    rng = np.random.default_rng(11)
    layers = _mlp(rng, [4, 6, 3])
    X, y = rng.normal(size=(7, 4)), rng.integers(0, 3, 7)
    loss, grads = BP.mlp_loss_and_grads(X, y, layers, "relu")
    loss2, g2 = BP.two_layer_loss_and_grads(X, y, layers[0].W, layers[0].b, layers[1].W, layers[1].b)
    assert loss2 == pytest.approx(loss, rel=1e-14)
    for name, ref in (("W1", grads[0].W), ("b1", grads[0].b), ("W2", grads[1].W), ("b2", grads[1].b)):
        np.testing.assert_allclose(g2[name], ref, rtol=1e-12, atol=1e-15)


def test_two_layer_loss_and_grads_rejects_bad_input():
    rng = np.random.default_rng(0)
    X, W1, b1, W2, b2 = (rng.normal(size=s) for s in ((3, 4), (5, 4), (5,), (2, 5), (2,)))
    y = np.array([0, 1, 1])
    with pytest.raises(ValueError, match=r"W1 has shape \(5, 3\)"):
        BP.two_layer_loss_and_grads(X, y, W1[:, :3], b1, W2, b2)
    with pytest.raises(ValueError, match=r"y has shape \(2,\)"):
        BP.two_layer_loss_and_grads(X, y[:2], W1, b1, W2, b2)
    with pytest.raises(ValueError, match=r"labels in \[0, 2\]"):
        BP.two_layer_loss_and_grads(X, np.array([0, 2, 1]), W1, b1, W2, b2)


def test_mlp_backward_rejects_mismatched_cache():
    rng = np.random.default_rng(0)
    layers = _mlp(rng, [2, 3, 2])
    _, cache = F.mlp_forward(rng.normal(size=(4, 2)), layers)
    with pytest.raises(ValueError, match="dlogits has shape"):
        BP.mlp_backward(np.zeros((4, 3)), cache, layers)
    with pytest.raises(ValueError, match="1 layers but the cache holds 2"):
        BP.mlp_backward(np.zeros((4, 2)), cache, layers[:1])
    swapped = [layers[0], F.Layer(np.zeros((2, 4)), np.zeros(2))]
    with pytest.raises(ValueError, match=r"layers\[1\]\.W has shape \(2, 4\), expected \(2, 3\)"):
        BP.mlp_backward(np.zeros((4, 2)), cache, swapped)


@settings(max_examples=20, deadline=None, derandomize=True)
@given(seed=seeds, B=dims, widths=st.lists(st.integers(1, 6), min_size=2, max_size=5))
def test_lean_relu_cache_gives_the_same_logits_and_gradients(seed, B, widths):
    """keep_pre=False overwrites each hidden Z with relu(Z); backprop must not notice (gate 1[h > 0] = 1[z > 0])."""
    rng = np.random.default_rng(seed)
    layers = _mlp(rng, widths)
    X = rng.normal(size=(B, widths[0]))
    X[0, 0] = 0.0  # a unit sitting exactly on the kink somewhere is allowed: both gates give 0 there
    full_out, full = F.mlp_forward(X, layers)
    lean_out, lean = F.mlp_forward(X, layers, keep_pre=False)
    np.testing.assert_array_equal(lean_out, full_out)
    assert all(p is None for p in lean.pre[:-1]) and lean.pre[-1] is not None
    for a, b in zip(lean.inputs, full.inputs):
        np.testing.assert_array_equal(a, b)
    R = rng.normal(size=full_out.shape)
    g_full, dX_full = BP.mlp_backward(R, full, layers)
    g_lean, dX_lean = BP.mlp_backward(R, lean, layers)
    np.testing.assert_array_equal(dX_lean, dX_full)
    for a, b in zip(g_lean, g_full):
        np.testing.assert_array_equal(a.W, b.W)
        np.testing.assert_array_equal(a.b, b.b)


def test_keep_pre_false_keeps_z_for_activations_that_need_it():
    rng = np.random.default_rng(1)
    layers = _mlp(rng, [3, 4, 2])
    _, cache = F.mlp_forward(rng.normal(size=(5, 3)), layers, "tanh", keep_pre=False)
    assert all(p is not None for p in cache.pre)


def test_training_step_skips_nothing_it_needs():
    """mlp_loss_and_grads (lean cache, fused loss) equals the long way round: forward, loss, grad, backward."""
    rng = np.random.default_rng(2)
    layers = _mlp(rng, [6, 8, 8, 3])
    X, y = rng.normal(size=(10, 6)), rng.integers(0, 3, 10)
    loss, grads = BP.mlp_loss_and_grads(X, y, layers)
    logits, cache = F.mlp_forward(X, layers)
    assert loss == pytest.approx(L.softmax_cross_entropy(logits, y), rel=1e-13)
    ref, _ = BP.mlp_backward(L.softmax_cross_entropy_grad(logits, y), cache, layers)
    for a, b in zip(grads, ref):
        np.testing.assert_allclose(a.W, b.W, rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(a.b, b.b, rtol=1e-12, atol=1e-15)


# ---------------------------------------------------------------- swiglu_backward

@SETTINGS
@given(seed=seeds, B=dims, d_in=dims, d_ff=dims)
def test_swiglu_backward_matches_finite_differences(seed, B, d_in, d_ff):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(B, d_in))
    W1, W2 = rng.normal(size=(d_ff, d_in)), rng.normal(size=(d_ff, d_in))
    out, cache = A.swiglu(X, W1, W2)
    R = _projection(rng, out.shape)
    dX, dW1, dW2 = A.swiglu_backward(R, cache, W1, W2)
    f = lambda _t: float(np.sum(R * A.swiglu(X, W1, W2)[0]))  # noqa: E731
    for name, theta, grad in (("X", X, dX), ("W1", W1, dW1), ("W2", W2, dW2)):
        num = G.numerical_gradient(f, theta)
        # sums over B and d_ff can cancel, so compare with the scale of the whole gradient
        err = np.max(np.abs(num - grad)) / max(1e-8, float(np.max(np.abs(num))))
        assert err < TOL, f"d{name}: {err:.2e}"


def test_swiglu_backward_rejects_bad_shapes():
    rng = np.random.default_rng(0)
    X, W = rng.normal(size=(2, 3)), rng.normal(size=(4, 3))
    out, cache = A.swiglu(X, W, W)
    with pytest.raises(ValueError, match="dOut has shape"):
        A.swiglu_backward(out.T, cache, W, W)
    with pytest.raises(ValueError, match="W2"):
        A.swiglu_backward(out, cache, W, W[:2])
