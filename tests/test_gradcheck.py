"""Tests of helpers.gradcheck: the central-difference checker every backward test relies on.

If this module were wrong, every gradient test in the repo would be vouching for nothing, so it is
tested against functions whose gradients are known in closed form, and on its failure modes.
"""
import math

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from helpers import gradcheck as G

SETTINGS = settings(max_examples=40, deadline=None, derandomize=True)


# ---------------------------------------------------------------- numerical_gradient

@SETTINGS
@given(seed=st.integers(0, 2**32 - 1), shape=st.lists(st.integers(1, 4), min_size=1, max_size=3))
def test_numerical_gradient_of_quadratic_form(seed, shape):
    """f(theta) = sum(A * theta**2) / 2 + sum(c * theta) has gradient A * theta + c exactly.

    The third derivative is 0, so the central difference has no truncation error; only rounding
    (about 1e-16 |f| / eps ~ 1e-9 here) remains, far below the 1e-7 relative error we ask of a backward.
    """
    rng = np.random.default_rng(seed)
    A = rng.uniform(0.5, 2.0, shape)
    c = rng.choice([-1.0, 1.0], shape) * rng.uniform(0.5, 1.5, shape)
    theta = rng.uniform(0.5, 1.5, shape) * rng.choice([-1.0, 1.0], shape)
    exact = A * theta + c
    num = G.numerical_gradient(lambda t: float(np.sum(A * t**2) / 2 + np.sum(c * t)), theta)
    assert num.shape == theta.shape
    assert G.relative_error(num, exact) < 1e-7


def test_numerical_gradient_is_central_not_one_sided():
    """For f = x**3 at x = 1, the forward difference is off by 3 eps (O(eps)), the central one by eps**2 only.

    With eps = 1e-3 the forward difference would give 3.003001 and the central one 3.000001.
    """
    theta = np.array([1.0])
    num = G.numerical_gradient(lambda t: float(t[0] ** 3), theta, eps=1e-3)
    assert abs(num[0] - 3.000001) < 1e-9, num


def test_numerical_gradient_uses_eps():
    """The step is the one passed in: on x**3 the truncation error is exactly eps**2."""
    for eps in (1e-2, 1e-3):
        num = G.numerical_gradient(lambda t: float(t[0] ** 3), np.array([1.0]), eps=eps)
        assert num[0] - 3.0 == pytest.approx(eps**2, rel=1e-6)


def test_numerical_gradient_restores_theta_exactly():
    rng = np.random.default_rng(0)
    theta = rng.normal(size=(3, 4))
    before = theta.copy()
    G.numerical_gradient(lambda t: float(np.sum(np.sin(t))), theta)
    assert np.array_equal(theta, before)  # bitwise: old value written back, not old + eps - eps


def test_numerical_gradient_restores_theta_when_f_raises():
    theta = np.array([[0.1, 0.2], [0.3, 0.4]])
    before = theta.copy()
    calls = []

    def f(t):
        calls.append(t.copy())
        if len(calls) == 3:  # fail in the middle of the second entry
            raise RuntimeError("boom")
        return float(t.sum())

    with pytest.raises(RuntimeError, match="boom"):
        G.numerical_gradient(f, theta)
    assert np.array_equal(theta, before)
    assert len(calls) == 3


def test_numerical_gradient_perturbs_one_entry_at_a_time():
    theta = np.zeros(3)
    seen = []
    G.numerical_gradient(lambda t: seen.append(t.copy()) or 0.0, theta, eps=0.5)
    assert [s.tolist() for s in seen] == [
        [0.5, 0, 0], [-0.5, 0, 0], [0, 0.5, 0], [0, -0.5, 0], [0, 0, 0.5], [0, 0, -0.5]]


def test_numerical_gradient_rejects_bad_input():
    with pytest.raises(TypeError, match="theta"):
        G.numerical_gradient(lambda t: 0.0, np.array([1, 2, 3]))  # int array cannot hold theta + eps
    with pytest.raises(TypeError, match="theta"):
        G.numerical_gradient(lambda t: 0.0, [1.0, 2.0])  # a list is not perturbed in place
    with pytest.raises(ValueError, match="eps"):
        G.numerical_gradient(lambda t: 0.0, np.array([1.0]), eps=0.0)


# ---------------------------------------------------------------- relative_error

@settings(max_examples=60, deadline=None, derandomize=True)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 20))
def test_relative_error_follows_the_formula(seed, n):
    """max_i |a_i - b_i| / max(1e-8, |a_i| + |b_i|), checked entry by entry in plain Python."""
    rng = np.random.default_rng(seed)
    scale = 10.0 ** rng.integers(-12, 3, n)  # include entries below the 1e-8 floor
    a = rng.normal(size=n) * scale
    b = a + rng.normal(size=n) * scale * 10.0 ** rng.integers(-9, 0, n)
    expected = max(abs(x - y) / max(1e-8, abs(x) + abs(y)) for x, y in zip(a.tolist(), b.tolist()))
    assert G.relative_error(a, b) == pytest.approx(expected, rel=1e-12)


def test_relative_error_hand_values():
    assert G.relative_error([1.0, 2.0], [1.0, 2.0]) == 0.0
    assert G.relative_error([1.0, 3.0], [1.0, 1.0]) == pytest.approx(0.5)  # |3-1| / (3+1)
    assert G.relative_error([0.0], [0.0]) == 0.0  # the floor avoids 0/0
    assert G.relative_error([0.0], [1e-9]) == pytest.approx(0.1)  # 1e-9 / max(1e-8, 1e-9)
    assert G.relative_error([1.0, -1.0], [-1.0, 1.0]) == pytest.approx(1.0)  # worst possible
    assert G.relative_error(np.zeros((0, 3)), np.zeros((0, 3))) == 0.0


def test_relative_error_is_max_not_mean():
    a = np.ones(100)
    b = a.copy()
    b[37] = 3.0
    assert G.relative_error(a, b) == pytest.approx(0.5)


def test_relative_error_is_symmetric_and_scale_free():
    rng = np.random.default_rng(1)
    a, b = rng.normal(size=10), rng.normal(size=10)
    assert G.relative_error(a, b) == G.relative_error(b, a)
    assert G.relative_error(1e3 * a, 1e3 * b) == pytest.approx(G.relative_error(a, b), rel=1e-12)


def test_relative_error_rejects_mismatched_shapes():
    with pytest.raises(ValueError, match=r"a has shape \(2,\) but b has shape \(3,\)"):
        G.relative_error(np.zeros(2), np.zeros(3))
    with pytest.raises(ValueError, match="shape"):
        G.relative_error(np.zeros((2, 3)), np.zeros((3, 2)))  # no silent broadcast or transpose


# ---------------------------------------------------------------- check_gradients

def _quadratic_problem(rng):
    params = {"W": rng.normal(size=(3, 4)), "b": rng.normal(size=3)}
    A = rng.uniform(0.5, 2.0, (3, 4))

    def loss():
        return float(np.sum(A * params["W"] ** 2) / 2 + np.sum(np.exp(params["b"])))

    grads = {"W": A * params["W"], "b": np.exp(params["b"])}
    return loss, params, grads


def test_check_gradients_passes_correct_gradients():
    loss, params, grads = _quadratic_problem(np.random.default_rng(2))
    before = {k: v.copy() for k, v in params.items()}
    report = G.check_gradients(loss, params, grads)
    assert report.passed(), str(report)
    assert report.max_error < 1e-7
    assert set(report.errors) == {"W", "b"}
    assert all(np.array_equal(params[k], before[k]) for k in params)


@pytest.mark.parametrize("name,index", [("W", (2, 1)), ("W", (0, 0)), ("b", (1,))])
def test_check_gradients_finds_a_planted_bug(name, index):
    loss, params, grads = _quadratic_problem(np.random.default_rng(3))
    grads[name][index] *= 1.01  # a 1% error in one entry
    report = G.check_gradients(loss, params, grads)
    assert not report.passed()
    assert report.worst_param == name
    assert report.worst_index == index
    assert report.max_error == pytest.approx(0.01 / 2.01, rel=1e-4)  # |1.01g - g| / (1.01|g| + |g|)
    other = "b" if name == "W" else "W"
    assert report.errors[other] < 1e-7
    assert name in str(report) and str(list(index)) in str(report)


def test_check_gradients_rejects_mismatched_names_and_shapes():
    loss, params, grads = _quadratic_problem(np.random.default_rng(4))
    with pytest.raises(ValueError, match="grads"):
        G.check_gradients(loss, params, {"W": grads["W"]})
    with pytest.raises(ValueError, match=r"grads\['W'\] has shape \(4, 3\)"):
        G.check_gradients(loss, params, {"W": grads["W"].T, "b": grads["b"]})


def test_central_difference_error_is_second_order():
    """Halving eps divides the central-difference error by about 4 (in the truncation regime)."""
    f = lambda t: float(np.exp(t[0]))  # noqa: E731
    errs = [abs(G.numerical_gradient(f, np.array([0.5]), eps=e)[0] - math.exp(0.5)) for e in (1e-2, 5e-3)]
    assert errs[0] / errs[1] == pytest.approx(4.0, rel=1e-2)
