"""Tests of helpers.init: the scale formulas, signal propagation through depth, symmetry breaking."""
import math

import numpy as np
import pytest

from helpers import init as I
from helpers.forward import Layer
from helpers.gradcheck import numerical_gradient, relative_error


# ---------------------------------------------------------------- formulas and validation

@pytest.mark.parametrize("fan_in,fan_out", [(1, 1), (3, 5), (784, 256), (4096, 11008)])
def test_xavier_and_he_formulas(fan_in, fan_out):
    assert I.xavier_std(fan_in, fan_out) == pytest.approx(math.sqrt(2.0 / (fan_in + fan_out)), rel=1e-15)
    assert I.he_std(fan_in) == pytest.approx(math.sqrt(2.0 / fan_in), rel=1e-15)
    # He's variance is Xavier's times (n_in + n_out) / n_in: equal to twice Xavier's for a square layer
    assert I.he_std(fan_in) ** 2 / I.xavier_std(fan_in, fan_in) ** 2 == pytest.approx(2.0, rel=1e-14)


def test_init_std_dispatch():
    assert I.init_std("xavier", 10, 30) == I.xavier_std(10, 30)
    assert I.init_std(I.InitScheme.HE, 10, 30) == I.he_std(10)
    assert I.init_std("normal", 10, 30, std=0.02) == 0.02
    with pytest.raises(ValueError, match="needs std"):
        I.init_std("normal", 10, 30)


@pytest.mark.parametrize("bad,err", [(0, ValueError), (-3, ValueError), (2.5, TypeError), ("4", TypeError),
                                     (True, TypeError), (None, TypeError)])
def test_bad_fan_in_names_the_argument(bad, err):
    with pytest.raises(err, match="fan_in"):
        I.he_std(bad)
    with pytest.raises(err, match="fan_in"):
        I.xavier_std(bad, 3)
    with pytest.raises(err, match="fan_out"):
        I.xavier_std(3, bad)


def test_init_weights_shape_and_reproducibility():
    W1 = I.init_weights(7, 3, np.random.default_rng(42), "he")
    W2 = I.init_weights(7, 3, np.random.default_rng(42), "he")
    assert W1.shape == (3, 7)  # (fan_out, fan_in): Z = X @ W.T
    np.testing.assert_array_equal(W1, W2)
    assert not np.array_equal(W1, I.init_weights(7, 3, np.random.default_rng(43), "he"))
    np.testing.assert_array_equal(I.init_weights(2, 3, np.random.default_rng(0), "constant", std=0.5),
                                  np.full((3, 2), 0.5))
    with pytest.raises(TypeError, match="rng"):
        I.init_weights(7, 3, 42)


def test_init_weights_has_the_scheme_std():
    W = I.init_weights(400, 600, np.random.default_rng(0), "xavier")
    # 240000 draws: the sample std is within 0.5% of the true one with overwhelming probability
    assert W.std() == pytest.approx(I.xavier_std(400, 600), rel=5e-3)
    assert abs(W.mean()) < 5 * I.xavier_std(400, 600) / math.sqrt(W.size)


def test_init_mlp_shapes():
    layers = I.init_mlp([4, 8, 3], np.random.default_rng(0))
    assert [L.W.shape for L in layers] == [(8, 4), (3, 8)]
    assert all(np.all(L.b == 0) for L in layers)
    with pytest.raises(ValueError, match="sizes"):
        I.init_mlp([4], np.random.default_rng(0))


# ---------------------------------------------------------------- variance propagation

def test_linear_layer_variance_rule():
    """One linear layer: Var(z) = n_in Var(w) Var(x)."""
    rng = np.random.default_rng(0)
    n, s = 200, 0.05
    X = rng.normal(0, 3.0, size=(500, n))
    v = I.activation_variances("normal", "identity", n, 1, rng, std=s, X=X)
    # 500 x 200 outputs, strongly correlated through the shared W: allow 10% (the std of the estimate is ~2%)
    assert v[1] == pytest.approx(n * s**2 * v[0], rel=0.1)


def test_he_keeps_relu_signal_and_xavier_lets_it_vanish():
    """He et al. (2015): 50 ReLU layers keep the scale with He init; Xavier halves it at each layer."""
    def run(scheme, seeds):
        return np.array([I.activation_variances(scheme, "relu", 256, 50, np.random.default_rng(s), batch=8,
                                                statistic="mean_square") for s in seeds])

    he, xavier = run("he", range(16)), run("xavier", range(4))
    # Per layer, E[h_l^2 | h_{l-1}] = n_in Var(w) E[h_{l-1}^2] / 2 exactly: gain 1 for He, 1/2 for Xavier.
    # 50 layers x 16 seeds of gains with relative std ~sqrt(5/256) each: the mean is within ~1% of its expectation.
    he_gain, xavier_gain = np.mean(he[:, 1:] / he[:, :-1]), np.mean(xavier[:, 1:] / xavier[:, :-1])
    assert he_gain == pytest.approx(1.0, rel=0.03), f"He: mean per-layer gain {he_gain:.3f}"
    assert xavier_gain == pytest.approx(0.5, rel=0.03), f"Xavier: mean per-layer gain {xavier_gain:.3f}"
    # End to end: a single run's ratio fluctuates (log std ~ sqrt(5 * 50 / 256) ~ 1), but its expectation
    # is exactly 1 for He, so the mean over 16 seeds (measured: 1.02) stays within a factor 2 of the input's.
    he_ratio = np.mean(he[:, -1] / he[:, 0])
    assert 0.5 < he_ratio < 2.0, f"He: final/input mean square {he_ratio:.3g}"
    assert np.all(xavier[:, -1] / xavier[:, 0] < 1e-10)  # 2^-50 ~ 1e-15: far below a factor 10
    # the variance statistic: after one He layer, Var(relu(z)) = Var(z) (1/2 - 1/(2 pi)) with Var(z) = 2
    v = I.activation_variances("he", "relu", 256, 3, np.random.default_rng(0), batch=64)
    assert v.shape == (4,) and v[1] == pytest.approx(2 * (0.5 - 0.5 / math.pi), rel=0.1)


def test_activation_variances_validation():
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match="depth"):
        I.activation_variances("he", "relu", 8, 0, rng)
    with pytest.raises(ValueError, match="X has shape"):
        I.activation_variances("he", "relu", 8, 2, rng, X=np.ones((3, 5)))
    with pytest.raises(ValueError, match="statistic"):
        I.activation_variances("he", "relu", 8, 2, rng, statistic="std")
    with pytest.raises(TypeError, match="rng"):
        I.activation_variances("he", "relu", 8, 2, 0)


# ---------------------------------------------------------------- Jacobian products

@pytest.mark.parametrize("activation", ["tanh", "relu", "gelu"])
def test_jacobian_products_match_finite_differences(activation):
    rng = np.random.default_rng(1)
    sizes = [5, 7, 6, 4]
    layers = I.init_mlp(sizes, rng, "xavier")
    layers = [Layer(L.W, rng.normal(0, 0.1, L.b.shape)) for L in layers]
    x = rng.normal(size=5)
    f = {"tanh": np.tanh, "relu": lambda z: np.maximum(z, 0),
         "gelu": lambda z: __import__("helpers").activations.gelu(z)}[activation]

    def forward(v, k):
        for W, b in layers[:k]:
            v = f(W @ v + b)
        return v

    if activation == "relu":  # keep every pre-activation away from the kink
        v = x
        for W, b in layers:
            z = W @ v + b
            assert np.min(np.abs(z)) > 1e-4
            v = f(z)
    products = I.jacobian_products(x, layers, activation)
    assert [P.shape for P in products] == [(7, 5), (6, 5), (4, 5)]
    # Each product P_k is checked through random projections: the gradient of sum(R * h_k(x)) with
    # respect to x is P_k^T R, an O(1) vector, so a relative error per entry is meaningful.
    for k, P in enumerate(products, start=1):
        for _ in range(3):
            R = rng.normal(size=P.shape[0])
            num = numerical_gradient(lambda v: float(R @ forward(v, k)), x.copy())
            assert relative_error(P.T @ R, num) < 1e-7


def test_jacobian_norms_vanish_and_explode_with_scale():
    x = np.random.default_rng(0).normal(size=64)
    final = {}
    for g in (0.7, 1.0, 1.4):
        layers = I.init_mlp([64] * 31, np.random.default_rng(1), "normal", g * I.he_std(64))
        norms = I.jacobian_norms(x, layers, "relu")
        assert norms.shape == (30,)
        final[g] = norms[-1]
    assert final[0.7] < 1e-3 < 1e3 < final[1.4]  # 0.7^30 ~ 2e-5, 1.4^30 ~ 2e4
    assert 0.1 < final[1.0] < 10


def test_jacobian_norm_kinds():
    rng = np.random.default_rng(2)
    layers = I.init_mlp([6, 6, 6], rng, "he")
    x = rng.normal(size=6)
    P = I.jacobian_products(x, layers)[-1]
    sv = np.linalg.svd(P, compute_uv=False)
    np.testing.assert_allclose(I.jacobian_norms(x, layers, kind="spectral")[-1], sv[0], rtol=1e-12)
    np.testing.assert_allclose(I.jacobian_norms(x, layers, kind="rms")[-1], np.sqrt(np.mean(sv**2)), rtol=1e-12)
    with pytest.raises(ValueError, match="kind"):
        I.jacobian_norms(x, layers, kind="nuclear")
    with pytest.raises(ValueError, match=r"layers\[1\].W has shape"):
        I.jacobian_products(x, [layers[0], Layer(np.ones((3, 4)), np.zeros(3))])


# ---------------------------------------------------------------- symmetry breaking

def _toy_data(rng):
    X = rng.normal(size=(40, 4))
    y = (X[:, 0] + X[:, 1] > 0).astype(int) + (X[:, 2] > 0.5)
    return X, y


@pytest.mark.parametrize("activation", ["tanh", "relu"])
def test_constant_init_keeps_hidden_units_identical(activation):
    rng = np.random.default_rng(0)
    X, y = _toy_data(rng)
    spread = I.symmetry_experiment(X, y, [4, 8, 6, 3], rng, "constant", std=0.3, lr=0.5, steps=25,
                                   activation=activation)
    assert spread.shape == (26,)
    assert np.all(spread < 1e-12), f"constant init: hidden units drifted apart by {spread.max():.2e}"


def test_random_init_breaks_symmetry_and_training_moves_the_weights():
    rng = np.random.default_rng(0)
    X, y = _toy_data(rng)
    spread = I.symmetry_experiment(X, y, [4, 8, 3], rng, "he", lr=0.5, steps=25)
    assert spread[0] > 0.1 and spread[-1] > 0.1
    assert not np.allclose(spread[0], spread[-1])  # the weights did move


def test_hidden_unit_spread_counts_incoming_bias_and_outgoing_weights():
    base = [Layer(np.ones((3, 2)), np.zeros(3)), Layer(np.ones((2, 3)), np.zeros(2))]
    assert I.hidden_unit_spread(base) == 0.0
    b = np.zeros(3)
    b[2] = 0.25
    assert I.hidden_unit_spread([base[0]._replace(b=b), base[1]]) == 0.25
    W2 = np.ones((2, 3))
    W2[0, 1] = 3.0  # unit 1's outgoing weight differs
    assert I.hidden_unit_spread([base[0], Layer(W2, np.zeros(2))]) == 2.0
    W2 = np.ones((2, 3))
    W2[1, :] = 5.0  # output units differ from each other: not a hidden-unit asymmetry
    assert I.hidden_unit_spread([base[0], Layer(W2, np.zeros(2))]) == 0.0
    with pytest.raises(ValueError, match="at least 2 layers"):
        I.hidden_unit_spread(base[:1])


def test_relu_log_gains_are_biased_downward_as_predicted():
    L, n = 10, 32
    g = I.relu_log_gains(n, L, 2000, np.random.default_rng(0))
    assert g.shape == (2000,) and np.all(np.isfinite(g))
    # first-order prediction (delta method): mean -5L/(2n) = -0.78, variance 5L/n = 1.56; at n = 32 the
    # higher-order terms make the measured values about 10% and 20% larger (-0.88, 1.86 here)
    assert abs(g.mean() + 5 * L / (2 * n)) < 0.25 * 5 * L / (2 * n)
    assert abs(g.var() - 5 * L / n) < 0.3 * 5 * L / n
    assert np.mean(g < 0) > 0.6                              # most networks shrink the signal
    # weights c times He's: the same draws scaled, so the log gain moves by exactly 2 L log c
    g12 = I.relu_log_gains(n, L, 2000, np.random.default_rng(0), c=1.2)
    np.testing.assert_allclose(g12 - g, 2 * L * np.log(1.2), rtol=1e-12)
    with pytest.raises(ValueError, match="width"):
        I.relu_log_gains(0, L, 5, np.random.default_rng(0))
