"""Tests of helpers.diagnostics (section 10): shape walk, statistics, ablations and diagnose on real runs."""
import numpy as np
import pytest

from helpers import backprop as BP
from helpers import diagnostics as D
from helpers import init as I
from helpers.forward import Layer


def test_layer_shapes_and_errors():
    rng = np.random.default_rng(0)
    layers = I.init_mlp([5, 7, 3], rng)
    X = rng.normal(size=(4, 5))
    assert D.layer_shapes(X, layers) == [(4, 5), (4, 7), (4, 3)]
    with pytest.raises(ValueError, match=r"layer 2: W has shape \(7, 3\).*\(B, d_1\).*\(d_2, 7\).*transposed"):
        D.layer_shapes(X, [layers[0], Layer(layers[1].W.T, layers[1].b)])
    with pytest.raises(ValueError, match=r"layer 1: b has shape \(5,\), expected \(d_1,\)"):
        D.layer_shapes(X, [Layer(layers[0].W, np.zeros(5)), layers[1]])
    with pytest.raises(ValueError, match="batch axis"):
        D.layer_shapes(X[0], layers)
    assert "layer 2" in D.format_shapes(D.layer_shapes(X, layers)) and "layer 0" not in D.format_shapes(D.layer_shapes(X, layers))


def test_activation_stats_and_gradient_norms():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(50, 4))
    y = rng.integers(0, 3, size=50)
    layers = I.init_mlp([4, 6, 6, 3], rng)
    b = layers[0].b.copy()
    b[:3] = -1e3  # three dead units of six
    layers[0] = Layer(layers[0].W, b)
    st = D.activation_stats(X, layers)
    assert st.mean.shape == (2,) and st.dead_frac[0] == 0.5
    loss, grads = BP.mlp_loss_and_grads(X, y, layers)
    g = D.gradient_norms(X, y, layers)
    np.testing.assert_allclose(g, [np.sqrt(np.sum(q.W ** 2) + np.sum(q.b ** 2)) for q in grads], rtol=1e-12)
    sat = D.activation_stats(X * 100, I.init_mlp([4, 6, 3], rng, "xavier"), "sigmoid").saturated_frac
    assert sat[0] > 0.5


def test_curve_helpers():
    v = np.array([1.0, 3.0, 5.0, 7.0])
    np.testing.assert_allclose(D.smooth(v, 2), [1.0, 2.0, 4.0, 6.0])
    assert D.tail_mean(v, 0.5) == 6.0 and D.tail_mean(v, 0.01) == 7.0
    assert D.best_step([3.0, 1.0, np.nan, 2.0]) == 1


def test_pathology_logs_are_deterministic_and_read_only():
    a = D.pathology_log("healthy", 0)
    D._pathology_log.cache_clear()
    b = D.pathology_log("healthy", 0)
    for u, v in zip(a, b):
        np.testing.assert_array_equal(u, v)
    with pytest.raises(ValueError):
        a.train_loss[0] = 0.0
    with pytest.raises(ValueError, match="unknown pathology"):
        D.pathology_log("sad")


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
@pytest.mark.parametrize("name", D.PATHOLOGIES)
def test_diagnose_names_each_pathology(name, seed):
    labels = D.diagnose(D.pathology_log(name, seed))
    required, allowed = D.EXPECTED[name]
    assert labels <= D.LABELS
    assert required <= labels <= allowed, (name, seed, labels)


def test_pathology_signals_have_margins():
    """Each run's decisive statistic sits well beyond its threshold, so other reasonable rules agree."""
    for seed in (0, 1):
        g = D.pathology_log("exploding_gradients", seed).grad_norm[0]
        assert g.max() > 5 * D.THRESHOLDS["exploding_grad_norm"]
        g = D.pathology_log("vanishing_gradients", seed).grad_norm[0]
        assert g[0] / g[-1] < 0.2 * D.THRESHOLDS["vanishing_ratio"]
        for ok in ("healthy", "overfitting", "underfitting", "lr_too_high"):
            g = D.pathology_log(ok, seed).grad_norm[0]
            assert g.max() < 0.5 * D.THRESHOLDS["exploding_grad_norm"] and g[0] / g[-1] > 20 * D.THRESHOLDS["vanishing_ratio"]
        h = D.pathology_log("healthy", seed)
        assert D.tail_mean(h.val_loss) < 0.1 and D.tail_mean(h.train_acc) > 0.95
        assert D.tail_mean(h.dead_frac.max(axis=1)) < 0.4
        o = D.pathology_log("overfitting", seed)
        assert D.tail_mean(o.val_loss) > 3 * np.min(o.val_loss) and D.tail_mean(o.train_loss) < 0.05


def test_diagnose_on_synthetic_logs():
    h = D.pathology_log("healthy", 0)
    nan_loss = h._replace(train_loss=np.concatenate([h.train_loss[:10], [np.nan]]))
    assert "lr_too_high" in D.diagnose(nan_loss)
    assert D.diagnose(h) == {"healthy"}


def test_ablation_table():
    rows = D.run_ablation(variations={"width": [4], "norm": ["layer"]}, steps=60)
    assert [r.factor for r in rows] == ["baseline", "width", "norm"]
    assert rows[0].delta == 0.0 and rows[1].val_loss > rows[0].val_loss
    assert "delta L" in D.format_ablation(rows)
    with pytest.raises(ValueError, match="unknown factor"):
        D.run_ablation(variations={"colour": ["red"]})
    with pytest.raises(ValueError, match="unknown optimizer"):
        D.run_ablation(variations={"optimizer": ["rmsprop"]})
