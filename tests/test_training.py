"""Tests of helpers.training: the logged training loop and its LayerNorm path."""
import numpy as np
import pytest

from helpers import backprop as BP
from helpers import forward as F
from helpers import gradcheck as GC
from helpers import init as I
from helpers import optim as O
from helpers import training as T
from helpers.forward import Layer


def _task(seed=0, n=60, d=3, C=3):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    y = (X[:, 0] > 0).astype(int) + (X[:, 1] > 0.5).astype(int)
    return X, y % C, rng


def test_fast_forward_backward_match_reference():
    """The unvalidated inner pass equals helpers.forward/backprop for every fast-path activation."""
    X, y, rng = _task()
    layers = I.init_mlp([3, 7, 5, 3], rng, "xavier")
    for act in ["relu", "tanh", "sigmoid", "gelu"]:
        f, fg = T._fast_activation(F.Activation(act))
        out, cache = T._forward(X, layers, F.Activation(act), f, False)
        ref, rcache = F.mlp_forward(X, layers, act)
        np.testing.assert_allclose(out, ref, rtol=1e-13, atol=1e-13)
        d = rng.normal(size=out.shape)
        grads, dX = T._backward(d, cache, layers, fg, False)
        rgrads, rdX = BP.mlp_backward(d, rcache, layers)
        for g, r in zip(grads, rgrads):
            np.testing.assert_allclose(g.W, r.W, rtol=1e-12, atol=1e-13)
            np.testing.assert_allclose(g.b, r.b, rtol=1e-12, atol=1e-13)
        np.testing.assert_allclose(dX, rdX, rtol=1e-12, atol=1e-13)


def test_normed_forward_is_section_8_layer_norm():
    """The loop's inlined LayerNorm is helpers.norm.layer_norm with gamma = 1 and beta = 0."""
    from helpers import norm

    rng = np.random.default_rng(1)
    layers = [Layer(rng.normal(size=(7, 5)), rng.normal(size=7)), Layer(rng.normal(size=(3, 7)), np.zeros(3))]
    X = rng.normal(3.0, 5.0, size=(6, 5))
    _, cache = T.mlp_forward_normed(X, layers, "tanh")
    Z = X @ layers[0].W.T + layers[0].b
    np.testing.assert_allclose(cache.pre[0], norm.layer_norm(Z, np.ones(7), np.zeros(7)), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("act", ["tanh", "relu"])
def test_normed_mlp_gradcheck(act):
    """The LayerNorm MLP's backward agrees with finite differences (ReLU inputs kept away from 0)."""
    # seed 7: every gradient entry is >= 0.04 in size, so the ~1e-10 absolute rounding error of the
    # central difference stays far below the 1e-7 relative tolerance
    rng = np.random.default_rng(7)
    X = rng.normal(size=(5, 3))
    layers = [Layer(rng.normal(size=(4, 3)), rng.normal(size=4)), Layer(rng.normal(size=(4, 4)), rng.normal(size=4)),
              Layer(rng.normal(size=(2, 4)), rng.normal(size=2))]
    out, cache = T.mlp_forward_normed(X, layers, act)
    if act == "relu":
        assert min(np.abs(p).min() for p in cache.pre[:-1]) > 1e-2
    R = rng.normal(size=out.shape)
    grads, _ = T.mlp_backward_normed(R, cache, layers)

    def loss():
        return float(np.sum(R * T.mlp_forward_normed(X, layers, act)[0]))

    params = {f"W{l}": L.W for l, L in enumerate(layers)} | {f"b{l}": L.b for l, L in enumerate(layers)}
    gr = {f"W{l}": g.W for l, g in enumerate(grads)} | {f"b{l}": g.b for l, g in enumerate(grads)}
    rep = GC.check_gradients(loss, params, gr)
    assert rep.max_error < 1e-7, str(rep)


def test_train_log_shapes_and_determinism():
    X, y, rng = _task()
    layers = I.init_mlp([3, 8, 6, 3], rng)
    a_layers, a = T.train_mlp(X, y, layers, O.Adam(0.01), steps=25, batch_size=16, rng=np.random.default_rng(5),
                              X_val=X[:10], y_val=y[:10])
    _, b = T.train_mlp(X, y, layers, O.Adam(0.01), steps=25, batch_size=16, rng=np.random.default_rng(5),
                       X_val=X[:10], y_val=y[:10])
    assert a.grad_norm.shape == (25, 3) and a.update_ratio.shape == (25, 3)
    assert a.act_mean.shape == a.act_std.shape == a.dead_frac.shape == (25, 2)
    for u, v in zip(a, b):
        np.testing.assert_array_equal(u, v)
    assert np.all((a.dead_frac >= 0) & (a.dead_frac <= 1))
    assert np.all(np.isfinite(a.val_loss)) and np.all(np.isfinite(a.update_ratio))
    assert layers[0].W is not a_layers[0].W  # inputs untouched, new arrays returned


def test_training_reduces_loss_and_matches_one_manual_step():
    X, y, rng = _task(4)
    layers = I.init_mlp([3, 16, 3], rng)
    new, log = T.train_mlp(X, y, layers, O.SGD(0.5), steps=1, rng=np.random.default_rng(0))
    loss, grads = BP.mlp_loss_and_grads(X, y, layers)
    assert log.train_loss[0] == pytest.approx(loss, rel=1e-12)
    np.testing.assert_allclose(new[0].W, layers[0].W - 0.5 * grads[0].W, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(log.grad_norm[0, 1], np.sqrt(np.sum(grads[1].W ** 2) + np.sum(grads[1].b ** 2)), rtol=1e-12)
    np.testing.assert_allclose(log.update_ratio[0, 0], 0.5 * np.linalg.norm(grads[0].W) / np.linalg.norm(layers[0].W), rtol=1e-12)
    _, log = T.train_mlp(X, y, layers, O.Adam(0.02), steps=150, rng=np.random.default_rng(0))
    assert log.train_loss[-1] < 0.5 * log.train_loss[0]


def test_weight_decay_clip_schedule_epochs():
    X, y, rng = _task(6)
    layers = I.init_mlp([3, 5, 3], rng)
    new, log = T.train_mlp(X, y, layers, O.SGD(0.1), steps=1, rng=np.random.default_rng(0), weight_decay=0.1)
    _, grads = BP.mlp_loss_and_grads(X, y, layers, weight_decay=0.1)
    np.testing.assert_allclose(new[1].W, layers[1].W - 0.1 * grads[1].W, rtol=1e-12, atol=1e-14)
    new, log = T.train_mlp(X, y, layers, O.SGD(1.0), steps=1, rng=np.random.default_rng(0), clip=1e-3)
    step = np.sqrt(sum(np.sum((a - b) ** 2) for n, o in zip(new, layers) for a, b in zip(n, o)))
    assert step == pytest.approx(1e-3, rel=1e-9)
    _, log = T.train_mlp(X, y, layers, O.SGD(1.0), epochs=3, batch_size=25, rng=np.random.default_rng(0),
                         schedule=lambda t: 0.1 / (t + 1))
    assert len(log.step) == 9  # ceil(60 / 25) = 3 steps per epoch
    np.testing.assert_allclose(log.lr, 0.1 / np.arange(1, 10))


def test_dead_fraction_counts_units_that_never_fire():
    X, y, rng = _task(7)
    layers = I.init_mlp([3, 10, 3], rng)
    b = layers[0].b.copy()
    b[:4] = -100.0  # four units can never fire
    _, log = T.train_mlp(X, y, [Layer(layers[0].W, b), layers[1]], O.SGD(0.01), steps=3, rng=rng)
    np.testing.assert_allclose(log.dead_frac[:, 0], 0.4)


def test_divergence_stops_with_nonfinite_last_row():
    X, y, rng = _task(8)
    layers = I.init_mlp([3, 16, 16, 3], rng)
    # a deep linear network with a huge step: the weights grow geometrically until they overflow
    _, log = T.train_mlp(X, y, layers, O.SGD(100.0), steps=200, rng=rng, activation="identity")
    assert len(log.step) < 200 and not np.isfinite(log.train_loss[-1])
    assert np.all(np.isfinite(log.train_loss[:-1]))


def test_bad_arguments_name_the_argument():
    X, y, rng = _task()
    layers = I.init_mlp([3, 4, 3], rng)
    with pytest.raises(ValueError, match="steps and epochs"):
        T.train_mlp(X, y, layers, O.SGD(), rng=rng)
    with pytest.raises(ValueError, match="X has shape"):
        T.train_mlp(X[:, :2], y, layers, O.SGD(), steps=1, rng=rng)
    with pytest.raises(ValueError, match="y"):
        T.train_mlp(X, y[:5], layers, O.SGD(), steps=1, rng=rng)
    with pytest.raises(TypeError, match="rng"):
        T.train_mlp(X, y, layers, O.SGD(), steps=1, rng=0)
    with pytest.raises(ValueError, match="X_val"):
        T.train_mlp(X, y, layers, O.SGD(), steps=1, rng=rng, X_val=X)
    with pytest.raises(ValueError, match="norm"):
        T.train_mlp(X, y, layers, O.SGD(), steps=1, rng=rng, norm="batch")
