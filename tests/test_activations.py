"""Tests of helpers.activations: values against independent oracles, derivatives against finite differences."""
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers import activations as A
from helpers.gradcheck import numerical_gradient, relative_error

RTOL_GRAD = 1e-7  # float64 central differences with eps=1e-6 are accurate to ~1e-9 here


def _elementwise_fd(f, Z, eps=1e-6):
    """Central-difference derivative of an elementwise f at every entry of Z (vectorized)."""
    return (f(Z + eps) - f(Z - eps)) / (2 * eps)


# ---------------------------------------------------------------- erf and GELU against math.erf

ERF_GRID = np.concatenate([np.linspace(-10, 10, 4001), [-10.0, -6.0, -5.999, 0.0, 5.999, 6.0, 10.0, 1e-300, -1e-8, 30.0]])


def test_erf_matches_math_erf_on_dense_grid():
    got = A.erf(ERF_GRID)
    want = np.array([math.erf(x) for x in ERF_GRID])
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-14, err_msg="erf differs from math.erf")
    assert A.erf(0.0) == 0.0


def test_erf_is_odd_and_bounded():
    x = np.linspace(0, 8, 801)
    np.testing.assert_array_equal(A.erf(-x), -A.erf(x))
    assert np.all(np.abs(A.erf(ERF_GRID)) <= 1.0)


def test_erf_nan_and_inf():
    out = A.erf(np.array([np.nan, np.inf, -np.inf]))
    assert np.isnan(out[0])
    assert out[1] == 1.0 and out[2] == -1.0


def test_gelu_exact_matches_math_erf_formula():
    x = np.linspace(-12, 12, 2401)
    want = np.array([v * 0.5 * (1 + math.erf(v / math.sqrt(2))) for v in x])
    # For x < 0 both sides compute 1 + erf(x / sqrt 2), which cancels: each carries an absolute
    # error of about |x| * 1e-15 where the true value is tiny, so a relative check needs an atol floor.
    np.testing.assert_allclose(A.gelu(x), want, rtol=1e-12, atol=1e-13)
    pos = x > 0.5  # no cancellation here: a purely relative check
    np.testing.assert_allclose(A.gelu(x[pos]), want[pos], rtol=1e-12, atol=0)


def test_gelu_tanh_approximation_is_close_but_different():
    x = np.linspace(-6, 6, 1201)
    diff = np.abs(A.gelu(x) - A.gelu(x, approximate=True))
    assert diff.max() < 1e-3  # the approximation's known error is about 5e-4
    assert diff.max() > 1e-6  # and it is an approximation, not the same function


# ---------------------------------------------------------------- derivatives against finite differences

DERIVATIVES = [
    ("sigmoid", A.sigmoid, A.sigmoid_grad),
    ("tanh", A.tanh, A.tanh_grad),
    ("gelu", A.gelu, A.gelu_grad),
    ("gelu-tanh", lambda z: A.gelu(z, approximate=True), lambda z: A.gelu_grad(z, approximate=True)),
    ("swish", A.swish, A.swish_grad),
    ("swish-beta", lambda z: A.swish(z, beta=1.7), lambda z: A.swish_grad(z, beta=1.7)),
    ("identity", A.identity, A.identity_grad),
]


@pytest.mark.parametrize("name,f,f_grad", DERIVATIVES, ids=[d[0] for d in DERIVATIVES])
def test_derivative_matches_central_differences(name, f, f_grad):
    # Relative error per entry on |z| <= 3, where every derivative here is at least ~1e-2: far out in
    # a saturated tail the derivative is tiny and the differences' rounding error (~1e-16 / eps) dominates.
    rng = np.random.default_rng(0)
    Z = np.concatenate([rng.uniform(-3, 3, 500), np.linspace(-3, 3, 61)])
    err = relative_error(f_grad(Z), _elementwise_fd(f, Z))
    assert err < RTOL_GRAD, f"{name}: relative error {err:.2e}"
    # In the tails, an absolute check: rounding of f near its asymptote limits the differences to ~1e-9.
    tails = np.concatenate([np.linspace(-20, -3, 50), np.linspace(3, 20, 50)])
    np.testing.assert_allclose(f_grad(tails), _elementwise_fd(f, tails), rtol=1e-6, atol=1e-8, err_msg=name)


def test_relu_grad_matches_finite_differences_away_from_zero():
    rng = np.random.default_rng(1)
    Z = rng.normal(0, 2, 1000)
    Z = Z[np.abs(Z) > 1e-3]  # the kink: finite differences straddling 0 are meaningless
    err = relative_error(A.relu_grad(Z), _elementwise_fd(A.relu, Z))
    assert err < RTOL_GRAD


def test_relu_grad_at_zero_is_zero_and_float():
    g = A.relu_grad(np.array([-1.0, 0.0, 2.0]))
    assert g.dtype == np.float64
    np.testing.assert_array_equal(g, [0.0, 0.0, 1.0])
    assert A.relu_grad(0.0) == 0.0


def test_relu_keeps_shape_and_does_not_modify_input():
    Z = np.array([[-1.0, 0.5], [2.0, -3.0]])
    before = Z.copy()
    out = A.relu(Z)
    np.testing.assert_array_equal(out, [[0.0, 0.5], [2.0, 0.0]])
    np.testing.assert_array_equal(Z, before)


def test_swiglu_backward_matches_finite_differences():
    rng = np.random.default_rng(2)
    B, d_in, d_ff = 4, 5, 6
    X, W1, W2 = rng.normal(size=(B, d_in)), rng.normal(size=(d_ff, d_in)), rng.normal(size=(d_ff, d_in))
    R = rng.normal(size=(B, d_ff))  # random projection: loss = sum(R * out), so dOut = R

    def loss():
        return float(np.sum(R * A.swiglu(X, W1, W2)[0]))

    _, cache = A.swiglu(X, W1, W2)
    dX, dW1, dW2 = A.swiglu_backward(R, cache, W1, W2)
    for name, theta, g in [("X", X, dX), ("W1", W1, dW1), ("W2", W2, dW2)]:
        err = relative_error(g, numerical_gradient(lambda _t: loss(), theta))
        assert err < RTOL_GRAD, f"swiglu d{name}: relative error {err:.2e}"


def test_swiglu_forward_formula():
    X = np.array([[1.0, -2.0]])
    W1 = np.array([[0.5, 0.25]])
    W2 = np.array([[1.0, 1.0]])
    out, _ = A.swiglu(X, W1, W2)
    u, g = 0.5 - 0.5, 1.0 - 2.0  # u = 0 makes the output exactly 0 whatever the gate
    assert out.shape == (1, 1) and out[0, 0] == u * g / (1 + math.exp(-g))
    out, _ = A.swiglu(X, np.array([[1.0, 0.0]]), W2)
    assert out[0, 0] == pytest.approx(1.0 * (-1.0) / (1 + math.exp(1.0)), rel=1e-15)


# ---------------------------------------------------------------- sigmoid stability and properties

def test_sigmoid_stable_at_large_magnitudes():
    with np.errstate(over="raise", invalid="raise", divide="raise"):  # no overflow (underflow to 0 is fine)
        s = A.sigmoid(np.array([-1e3, -800.0, 0.0, 800.0, 1e3]))
    assert np.all(np.isfinite(s)) and np.all((s >= 0) & (s <= 1))
    assert s[0] == 0.0 and s[-1] == 1.0 and s[2] == 0.5


@settings(max_examples=200, deadline=None)
@given(st.floats(min_value=-1e4, max_value=1e4, allow_nan=False))
def test_sigmoid_range_and_symmetry(z):
    s, s_neg = float(A.sigmoid(z)), float(A.sigmoid(-z))
    assert 0.0 <= s <= 1.0
    assert s_neg == pytest.approx(1.0 - s, abs=1e-15)


@settings(max_examples=100, deadline=None)
@given(st.floats(min_value=-50, max_value=50, allow_nan=False))
def test_sigmoid_grad_at_most_a_quarter(z):
    assert 0.0 <= float(A.sigmoid_grad(z)) <= 0.25


def test_tanh_grad_is_one_at_zero_and_tanh_is_rescaled_sigmoid():
    assert A.tanh_grad(0.0) == 1.0
    z = np.linspace(-5, 5, 101)
    np.testing.assert_allclose(A.tanh(z), 2 * A.sigmoid(2 * z) - 1, rtol=0, atol=1e-15)


# ---------------------------------------------------------------- bad input

BAD = [np.array(["a", "b"]), "1.0", np.array([1.0, None], dtype=object), np.array([1 + 2j])]


@pytest.mark.parametrize("fn", [A.sigmoid, A.sigmoid_grad, A.tanh, A.tanh_grad, A.relu, A.relu_grad, A.erf, A.gelu,
                                A.gelu_grad, A.swish, A.swish_grad, A.normal_pdf, A.normal_cdf],
                         ids=lambda f: f.__name__)
@pytest.mark.parametrize("bad", BAD, ids=["str-array", "str", "object", "complex"])
def test_bad_input_type_error(fn, bad):
    with pytest.raises(TypeError, match="real numbers"):
        fn(bad)


def test_swiglu_shape_errors_name_the_argument():
    rng = np.random.default_rng(3)
    X, W = rng.normal(size=(2, 3)), rng.normal(size=(4, 3))
    with pytest.raises(ValueError, match="W1"):
        A.swiglu(X, rng.normal(size=(4, 5)), W)
    with pytest.raises(ValueError, match="W2"):
        A.swiglu(X, W, rng.normal(size=(4, 5)))
    with pytest.raises(ValueError, match="W1 has shape .* W2 has shape"):
        A.swiglu(X, W, rng.normal(size=(5, 3)))
    with pytest.raises(ValueError, match="X must be 2-D"):
        A.swiglu(X[0], W, W)
    _, cache = A.swiglu(X, W, W)
    with pytest.raises(ValueError, match="dOut"):
        A.swiglu_backward(np.ones((2, 5)), cache, W, W)


def test_get_activation_names():
    f, g = A.get_activation("relu")
    assert f is A.relu and g is A.relu_grad
    with pytest.raises(ValueError, match="unknown activation 'softplus'"):
        A.get_activation("softplus")
