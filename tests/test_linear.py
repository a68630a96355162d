"""Tests of helpers.linear (section 1): feature maps, the linear head, composition, collapse, representations."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from helpers import forward as F
from helpers import linear as Lin
from helpers.data import make_moons
from helpers.gradcheck import numerical_gradient, relative_error
from helpers.losses import softmax_cross_entropy

SETTINGS = settings(max_examples=40, deadline=None)
seeds = st.integers(0, 2**32 - 1)
dims = st.integers(1, 6)


# --------------------------------------------------------------------------- 1.1 feature maps

def test_polynomial_features_values_and_shapes():
    x = np.array([2.0, -1.0, 0.5])
    expected = [[2.0, 4.0, 8.0], [-1.0, 1.0, -1.0], [0.5, 0.25, 0.125]]
    np.testing.assert_array_equal(Lin.polynomial_features(x, 3), expected)
    np.testing.assert_array_equal(Lin.polynomial_features(x[:, None], 3), expected)
    assert Lin.polynomial_features(x, 1).shape == (3, 1)


@pytest.mark.parametrize("x, degree, err, pattern", [
    (np.ones((3, 2)), 2, ValueError, r"polynomial_features: x has shape \(3, 2\), expected \(B,\) or \(B, 1\)"),
    (np.ones(3), 0, ValueError, r"degree must be a positive integer, got 0"),
    (np.ones(3), 2.5, TypeError, r"degree must be a positive integer"),
    (np.array(["a"]), 2, TypeError, r"x must hold real numbers"),
])
def test_polynomial_features_rejects_bad_input(x, degree, err, pattern):
    with pytest.raises(err, match=pattern):
        Lin.polynomial_features(x, degree)


def test_random_layer_shapes_scale_and_reproducibility():
    layer = Lin.random_layer(50, 400, np.random.default_rng(0), scale=2.0)
    assert layer.W.shape == (400, 50) and layer.b.shape == (400,)
    # std of W is scale / sqrt(d_in) = 2 / sqrt(50); 20000 samples give the std to about 0.5 %
    assert abs(layer.W.std() / (2.0 / np.sqrt(50)) - 1) < 0.03
    again = Lin.random_layer(50, 400, np.random.default_rng(0), scale=2.0)
    np.testing.assert_array_equal(layer.W, again.W)
    with pytest.raises(TypeError, match="rng must be a numpy.random.Generator"):
        Lin.random_layer(2, 3, 0)


@SETTINGS
@given(B=dims, d_in=dims, d_h=dims, seed=seeds)
def test_feature_map_is_activation_of_affine(B, d_in, d_h, seed):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(B, d_in))
    layer = Lin.random_layer(d_in, d_h, rng)
    np.testing.assert_allclose(Lin.feature_map(X, layer), np.maximum(X @ layer.W.T + layer.b, 0), rtol=1e-12,
                               atol=1e-12)
    np.testing.assert_allclose(Lin.feature_map(X, layer, "tanh"), np.tanh(X @ layer.W.T + layer.b), rtol=1e-12,
                               atol=1e-12)


def test_feature_map_names_the_bad_argument():
    with pytest.raises(ValueError, match=r"feature_map: W has shape \(4, 3\), expected \(d_out, d_in\) = \(4, 2\)"):
        Lin.feature_map(np.ones((5, 2)), F.Layer(np.ones((4, 3)), np.ones(4)))


# --------------------------------------------------------------------------- 1.2 linear head

def test_linear_head_hand_example_and_errors():
    H = np.array([[1.0, 2.0], [0.0, -1.0], [3.0, 0.0]])       # B = 3, d_h = 2
    W = np.array([[1.0, 1.0]])                                 # k = 1
    np.testing.assert_array_equal(Lin.linear_head(H, W, [0.5]), [[3.5], [-0.5], [3.5]])
    with pytest.raises(ValueError, match=r"linear_head: b has shape \(2,\), expected \(d_out,\) = \(1,\)"):
        Lin.linear_head(H, W, np.zeros(2))


@SETTINGS
@given(B=st.integers(8, 20), d=dims, k=st.integers(1, 3), seed=seeds)
def test_fit_linear_head_recovers_an_exact_linear_target(B, d, k, seed):
    rng = np.random.default_rng(seed)
    H = rng.normal(size=(B, d))
    W_true, b_true = rng.normal(size=(k, d)), rng.normal(size=k)
    W, b = Lin.fit_linear_head(H, H @ W_true.T + b_true)
    assert W.shape == (k, d) and b.shape == (k,)
    np.testing.assert_allclose(W, W_true, rtol=1e-8, atol=1e-8)
    np.testing.assert_allclose(b, b_true, rtol=1e-8, atol=1e-8)


def _ridge_objective_grad(H, Y, W, b, lam):
    R = H @ W.T + b - Y
    return 2 * R.T @ H + 2 * lam * W, 2 * R.sum(axis=0)


def test_fit_linear_head_is_a_stationary_point_of_the_ridge_objective():
    rng = np.random.default_rng(3)
    H, Y, lam = rng.normal(size=(30, 4)), rng.normal(size=(30, 2)), 0.7

    def objective(W, b):
        return float(np.sum((H @ W.T + b - Y) ** 2) + lam * np.sum(W * W))

    # 1. the analytic gradient used below agrees with central differences at a random point
    W0, b0 = rng.normal(size=(2, 4)), rng.normal(size=2)
    gW, gb = _ridge_objective_grad(H, Y, W0, b0, lam)
    assert relative_error(numerical_gradient(lambda w: objective(w, b0), W0), gW) < 1e-7
    assert relative_error(numerical_gradient(lambda c: objective(W0, c), b0), gb) < 1e-7
    # 2. at the fitted head that gradient vanishes (relative to its size at a random point)
    W, b = Lin.fit_linear_head(H, Y, ridge=lam)
    gW, gb = _ridge_objective_grad(H, Y, W, b, lam)
    scale = np.linalg.norm(np.concatenate([_ridge_objective_grad(H, Y, W0, b0, lam)[0].ravel()]))
    assert np.linalg.norm(gW) < 1e-10 * scale and np.linalg.norm(gb) < 1e-10 * scale
    # 3. the ridge shrinks the weights, never the bias term's job
    W_free, _ = Lin.fit_linear_head(H, Y)
    assert np.linalg.norm(W) < np.linalg.norm(W_free)


def test_fit_linear_head_accepts_1d_targets_and_rejects_wrong_rows():
    H = np.arange(10.0)[:, None]
    W, b = Lin.fit_linear_head(H, 3 * H[:, 0] - 1)
    np.testing.assert_allclose([W[0, 0], b[0]], [3.0, -1.0], rtol=1e-10)
    with pytest.raises(ValueError, match=r"fit_linear_head: Y has shape \(9,\), expected \(B,\) or \(B, k\) with B = 10"):
        Lin.fit_linear_head(H, np.ones(9))
    with pytest.raises(ValueError, match=r"ridge must be >= 0, got -1"):
        Lin.fit_linear_head(H, np.ones(10), ridge=-1.0)


# --------------------------------------------------------------------------- 1.3 composition

def test_compose_applies_the_last_function_first():
    def add1(x):
        return x + 1

    def double(x):
        return 2 * x

    assert Lin.compose(double, add1)(3) == 8          # double(add1(3))
    assert Lin.compose(add1, double)(3) == 7          # add1(double(3))
    assert Lin.compose()(5) == 5                      # the empty composition is the identity
    with pytest.raises(TypeError, match="compose: argument 1 must be callable, got int"):
        Lin.compose(add1, 3)


@SETTINGS
@given(B=dims, sizes=st.lists(dims, min_size=2, max_size=5), seed=seeds)
def test_compose_of_layers_is_the_mlp_forward_pass(B, sizes, seed):
    rng = np.random.default_rng(seed)
    layers = [F.Layer(rng.normal(size=(o, i)), rng.normal(size=o)) for i, o in zip(sizes[:-1], sizes[1:])]
    X = rng.normal(size=(B, sizes[0]))
    steps = []
    for l, layer in enumerate(layers):
        steps.append(lambda H, layer=layer: F.affine_forward(H, layer.W, layer.b))
        if l < len(layers) - 1:
            steps.append(np.tanh)
    f = Lin.compose(*reversed(steps))
    np.testing.assert_allclose(f(X), F.mlp_forward(X, layers, "tanh")[0], rtol=1e-12, atol=1e-12)


# --------------------------------------------------------------------------- 1.4 collapse without activation

def test_collapse_affine_hand_example():
    W1, b1 = np.array([[1.0, 2.0], [0.0, 1.0], [1.0, -1.0]]), np.array([1.0, 0.0, -1.0])   # 2 -> 3
    W2, b2 = np.array([[1.0, 0.0, 2.0]]), np.array([0.5])                                  # 3 -> 1
    W, b = Lin.collapse_affine(W1, b1, W2, b2)
    np.testing.assert_array_equal(W, [[3.0, 0.0]])       # row (1, 2) + 2 * row (1, -1)
    np.testing.assert_array_equal(b, [-0.5])             # 1 + 2 * (-1) + 0.5


@SETTINGS
@given(B=dims, d0=dims, d1=dims, d2=dims, seed=seeds)
def test_collapse_affine_equals_the_stack_on_random_inputs(B, d0, d1, d2, seed):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(B, d0))
    W1, b1, W2, b2 = rng.normal(size=(d1, d0)), rng.normal(size=d1), rng.normal(size=(d2, d1)), rng.normal(size=d2)
    W, b = Lin.collapse_affine(W1, b1, W2, b2)
    assert W.shape == (d2, d0) and b.shape == (d2,)
    stacked = (X @ W1.T + b1) @ W2.T + b2
    np.testing.assert_allclose(X @ W.T + b, stacked, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("shapes, pattern", [
    (((3, 2), (3,), (1, 4), (1,)), r"collapse_affine: W2 has shape \(1, 4\), expected \(d_2, d_1\) = \(1, 3\)"),
    (((3, 2), (2,), (1, 3), (1,)), r"collapse_affine: b1 has shape \(2,\), expected \(d_1,\) = \(3,\)"),
    (((3, 2), (3,), (1, 3), (3,)), r"collapse_affine: b2 has shape \(3,\), expected \(d_2,\) = \(1,\)"),
    (((3,), (3,), (1, 3), (1,)), r"collapse_affine: W1 must be 2-D, got shape \(3,\)"),
])
def test_collapse_affine_names_the_bad_argument(shapes, pattern):
    with pytest.raises(ValueError, match=pattern):
        Lin.collapse_affine(*[np.ones(s) for s in shapes])


@SETTINGS
@given(B=dims, sizes=st.lists(dims, min_size=2, max_size=6), seed=seeds)
def test_collapse_layers_equals_the_linear_stack_and_its_rank_is_bounded(B, sizes, seed):
    rng = np.random.default_rng(seed)
    layers = [F.Layer(rng.normal(size=(o, i)), rng.normal(size=o)) for i, o in zip(sizes[:-1], sizes[1:])]
    X = rng.normal(size=(B, sizes[0]))
    W, b = Lin.collapse_layers(layers)
    out, _ = F.mlp_forward(X, layers, "identity")
    np.testing.assert_allclose(X @ W.T + b, out, rtol=1e-9, atol=1e-9 * (1 + np.abs(out).max()))
    assert np.linalg.matrix_rank(W) <= min(sizes)


def test_collapse_layers_errors():
    with pytest.raises(ValueError, match="layers is empty"):
        Lin.collapse_layers([])
    bad = [F.Layer(np.ones((3, 2)), np.ones(3)), F.Layer(np.ones((1, 4)), np.ones(1))]
    with pytest.raises(ValueError, match=r"collapse_layers: layer 1: .*W2 has shape \(1, 4\)"):
        Lin.collapse_layers(bad)


def test_relu_collapse_gap_hand_example():
    # one hidden unit: z = x - 1. For x = 0 the ReLU clips z = -1 to 0; the collapsed map gives 2 * (-1) = -2
    # where the ReLU net gives 0, a gap of 2. For x = 3, z = 2 > 0 and both agree.
    W1, b1, W2, b2 = np.array([[1.0]]), np.array([-1.0]), np.array([[2.0]]), np.array([0.0])
    assert Lin.relu_collapse_gap(np.array([[3.0]]), W1, b1, W2, b2) == 0.0
    assert Lin.relu_collapse_gap(np.array([[0.0], [3.0]]), W1, b1, W2, b2) == 2.0


@SETTINGS
@given(B=dims, d0=dims, d1=dims, d2=dims, seed=seeds)
def test_relu_collapse_gap_properties(B, d0, d1, d2, seed):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(B, d0))
    W1, W2, b2 = rng.normal(size=(d1, d0)), rng.normal(size=(d2, d1)), rng.normal(size=d2)
    # a bias so large that every pre-activation is positive: the ReLU is the identity, nothing to break
    b_pos = np.abs(X @ W1.T).max(axis=0) + 1.0
    assert Lin.relu_collapse_gap(X, W1, b_pos, W2, b2) < 1e-9 * (1 + np.abs(b_pos).max() * np.abs(W2).sum())
    # in general it is the max difference between the ReLU net and the collapsed map
    b1 = rng.normal(size=d1)
    W, b = Lin.collapse_affine(W1, b1, W2, b2)
    expected = np.max(np.abs(np.maximum(X @ W1.T + b1, 0) @ W2.T + b2 - (X @ W.T + b)))
    assert Lin.relu_collapse_gap(X, W1, b1, W2, b2) == pytest.approx(expected, rel=1e-12, abs=1e-12)


def test_relu_collapse_gap_checks_x_against_w1():
    with pytest.raises(ValueError, match=r"relu_collapse_gap: W1 has shape \(3, 2\), expected \(d_1, d_0\) = \(3, 4\)"):
        Lin.relu_collapse_gap(np.ones((5, 4)), np.ones((3, 2)), np.ones(3), np.ones((1, 3)), np.ones(1))


# --------------------------------------------------------------------------- 1.5 representation learning

def test_training_learns_linearly_separable_hidden_coordinates():
    X, y = make_moons(200, 0.1, np.random.default_rng(0))
    raw = Lin.linear_probe_accuracy(X, y)
    assert raw < 0.95                                   # the moons are not linearly separable in x
    result = Lin.train_classifier(X, y, [8, 2], np.random.default_rng(1), steps=300, lr=0.05)
    assert result.losses.shape == (300,) and result.losses[-1] < 0.1 * result.losses[0]
    H1, H2 = Lin.hidden_representations(X, result.layers, result.activation)
    assert H1.shape == (200, 8) and H2.shape == (200, 2)
    assert Lin.linear_probe_accuracy(H2, y) == 1.0      # ... but they are in the learned 2-D coordinates
    again = Lin.train_classifier(X, y, [8, 2], np.random.default_rng(1), steps=300, lr=0.05)
    np.testing.assert_array_equal(again.losses, result.losses)   # deterministic given the rng


def test_train_classifier_with_zero_steps_returns_the_initial_network():
    X, y = make_moons(50, 0.1, np.random.default_rng(0))
    start = Lin.train_classifier(X, y, [4], np.random.default_rng(5), steps=0)
    trained = Lin.train_classifier(X, y, [4], np.random.default_rng(5), steps=5)
    assert start.losses.shape == (0,)
    assert trained.losses.shape == (5,)
    # the first loss of the trained run is the loss of the initial network (same init from the same seed)
    logits, _ = F.mlp_forward(X, start.layers, start.activation)
    assert trained.losses[0] == pytest.approx(softmax_cross_entropy(logits, y), rel=1e-12)
    assert not np.array_equal(start.layers[0].W, trained.layers[0].W)
    for bad in (-1, 2.5, True):
        with pytest.raises(ValueError, match="steps must be a non-negative integer"):
            Lin.train_classifier(X, y, [4], np.random.default_rng(5), steps=bad)


def test_train_classifier_without_hidden_layers_is_logistic_regression():
    X, y = make_moons(100, 0.1, np.random.default_rng(0))
    result = Lin.train_classifier(X, y, [], np.random.default_rng(0), steps=50)
    assert len(result.layers) == 1 and Lin.hidden_representations(X, result.layers) == []


def test_linear_probe_accuracy_on_separable_and_xor_data():
    X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    assert Lin.linear_probe_accuracy(X, np.array([0, 0, 1, 1])) == 1.0     # split by x_1
    xor = np.array([0, 1, 1, 0])
    assert Lin.linear_probe_accuracy(X, xor) <= 0.75                       # XOR: no line does it
    assert Lin.linear_probe_accuracy(np.column_stack([X, X[:, 0] * X[:, 1]]), xor) == 1.0   # the product feature
    with pytest.raises(ValueError, match=r"linear_probe_accuracy: y has shape \(3,\), expected \(B,\) = \(4,\)"):
        Lin.linear_probe_accuracy(X, np.array([0, 1, 1]))
