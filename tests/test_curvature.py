"""Tests of helpers.curvature (lab 15): Hessian-vector products, power iteration, the tanh network, sharpness under
gradient descent, SP and muP, and the AdamW equilibrium.

Every gradient is checked against central finite differences of the loss, and every Hessian-vector product
against an exact Hessian (functions whose Hessian is known in closed form) or against second differences of the
loss itself, an oracle independent of the gradient code.
"""
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers import curvature as CV
from helpers import gradcheck

SETTINGS = settings(max_examples=20, deadline=None, derandomize=True)
seeds = st.integers(0, 2**31 - 1)


def _cubic(rng, P):
    """L = 1/2 theta^T A theta + 1/2 sum c theta^3: gradient A theta + 3/2 c theta^2, Hessian A + diag(3 c theta)."""
    M = rng.normal(size=(P, P))
    A = (M + M.T) / 2
    c = rng.uniform(-1, 1, P)
    return A, c, (lambda t: A @ t + 1.5 * c * t * t)


# ----------------------------------------------------------------------------------------------- hvp_fd

@SETTINGS
@given(seed=seeds, P=st.integers(1, 8), scale=st.sampled_from([0.01, 1.0, 30.0]))
def test_hvp_fd_is_exact_on_a_gradient_quadratic_in_theta(seed, P, scale):
    rng = np.random.default_rng(seed)
    A, c, grad = _cubic(rng, P)
    theta, v = rng.normal(size=P), scale * rng.normal(size=P)
    before = theta.copy()
    got = CV.hvp_fd(grad, theta, v)
    exact = (A + np.diag(3 * c * theta)) @ v
    np.testing.assert_allclose(got, exact, rtol=1e-6, atol=1e-9 * np.abs(exact).max() + 1e-12)
    np.testing.assert_array_equal(theta, before)


def test_hvp_fd_error_is_second_order_and_uses_eps():
    """L = sum theta^4 / 4: the central difference is 3 theta^2 v + eps^2 v^3, exactly."""
    grad = lambda t: t ** 3  # noqa: E731
    theta, v = np.array([1.0, -0.5, 2.0]), np.array([1.0, 2.0, -1.0])
    for eps in (1e-1, 1e-2):
        np.testing.assert_allclose(CV.hvp_fd(grad, theta, v, eps), 3 * theta ** 2 * v + eps ** 2 * v ** 3, rtol=1e-12)
    # the worked example of the lab: L = theta^3 / 3 at theta = 1, eps = 1e-3
    central = CV.hvp_fd(lambda t: t ** 2, np.array([1.0]), np.array([1.0]), 1e-3)
    assert central[0] == pytest.approx(2.0, abs=1e-12)


def test_hvp_fd_bad_inputs():
    grad = lambda t: t  # noqa: E731
    with pytest.raises(ValueError, match=r"v has shape \(2,\) but theta has shape \(3,\)"):
        CV.hvp_fd(grad, np.ones(3), np.ones(2))
    with pytest.raises(ValueError, match="eps must be > 0"):
        CV.hvp_fd(grad, np.ones(3), np.ones(3), eps=0.0)
    with pytest.raises(ValueError, match="grad_fn returned shape"):
        CV.hvp_fd(lambda t: t[:2], np.ones(3), np.ones(3))
    with pytest.raises(ValueError, match="theta must be 1-D"):
        CV.hvp_fd(grad, np.ones((2, 2)), np.ones((2, 2)))


# ----------------------------------------------------------------------------------------------- power iteration

def _planted(rng, P, top, rest):
    """A symmetric matrix with eigenvalue ``top`` on a random unit vector u and the others drawn in ``rest``."""
    Q, _ = np.linalg.qr(rng.normal(size=(P, P)))
    ev = np.concatenate([[top], rng.uniform(*rest, P - 1)])
    return (Q * ev) @ Q.T, Q[:, 0]


@SETTINGS
@given(seed=seeds, P=st.integers(2, 12), sign=st.sampled_from([1.0, -1.0]))
def test_top_eigenpair_finds_the_planted_pair_with_its_sign(seed, P, sign):
    rng = np.random.default_rng(seed)
    H, u = _planted(rng, P, 5.0 * sign, (-2.5, 2.5))
    calls = []
    lam, v = CV.top_eigenpair(lambda x: calls.append(1) or H @ x, P, np.random.default_rng(seed), iters=80)
    assert lam == pytest.approx(5.0 * sign, rel=1e-9)
    assert abs(v @ u) > 1 - 1e-9 and np.linalg.norm(v) == pytest.approx(1.0)
    assert len(calls) == 80


def test_top_eigenpair_start_warm_start_and_errors():
    rng = np.random.default_rng(0)
    H, u = _planted(rng, 6, 3.0, (-1.0, 1.0))
    r1, r2 = np.random.default_rng(5), np.random.default_rng(5)
    CV.top_eigenpair(lambda x: H @ x, 6, r1, iters=3)
    r2.standard_normal(6)
    assert r1.bit_generator.state == r2.bit_generator.state  # one draw of the starting vector
    lam, v = CV.top_eigenpair(lambda x: H @ x, 6, None, iters=1, v0=u * 7.0)  # an eigenvector is a fixed point
    assert lam == pytest.approx(3.0) and abs(v @ u) == pytest.approx(1.0)
    assert CV.top_eigenpair(lambda x: 0 * x, 3, rng, iters=5)[0] == 0.0
    with pytest.raises(ValueError, match="v0 has shape"):
        CV.top_eigenpair(lambda x: x, 3, rng, v0=np.ones(2))
    with pytest.raises(ValueError, match="starting vector is zero"):
        CV.top_eigenpair(lambda x: x, 3, rng, v0=np.zeros(3))
    with pytest.raises(ValueError, match="hvp_fn returned shape"):
        CV.top_eigenpair(lambda x: x[:2], 3, rng)
    with pytest.raises(ValueError, match="iters must be a positive integer"):
        CV.top_eigenpair(lambda x: x, 3, rng, iters=0)


def test_hessian_from_hvp_and_masked_blocks():
    rng = np.random.default_rng(1)
    A, c, grad = _cubic(rng, 5)
    theta = rng.normal(size=5)
    H = CV.hessian_from_hvp(lambda v: CV.hvp_fd(grad, theta, v), 5)
    np.testing.assert_allclose(H, A + np.diag(3 * c * theta), rtol=1e-7, atol=1e-9)
    mask = np.array([1, 1, 0, 0, 1])
    block = CV.masked_hvp(lambda v: H @ v, mask)
    x = rng.normal(size=5)
    np.testing.assert_allclose(block(x), mask * (H @ (mask * x)))
    lam_block = CV.top_eigenpair(block, 5, rng, iters=400)[0]
    sub = H[np.ix_(mask > 0, mask > 0)]
    ev = np.linalg.eigvalsh(sub)
    assert lam_block == pytest.approx(ev[np.argmax(np.abs(ev))], rel=1e-6)
    assert np.linalg.eigvalsh(sub).max() <= np.linalg.eigvalsh((H + H.T) / 2).max() + 1e-12  # interlacing
    with pytest.raises(ValueError, match="mask must be a 1-D array of 0/1"):
        CV.masked_hvp(lambda v: v, np.array([0.5, 1.0]))


# ----------------------------------------------------------------------------------------------- the tanh network

@SETTINGS
@given(seed=seeds, n=st.integers(1, 6), d=st.integers(1, 4), h=st.integers(1, 5))
def test_tanh_net_gradient_matches_finite_differences(seed, n, d, h):
    rng = np.random.default_rng(seed)
    X, y = rng.normal(size=(n, d)), rng.normal(size=n)
    theta = CV.tanh_net_init(d, h, rng)
    loss, g = CV.tanh_net_loss_grad(theta, X, y, h)
    num = gradcheck.numerical_gradient(lambda t: CV.tanh_net_loss_grad(t, X, y, h)[0], theta.copy())
    assert np.linalg.norm(num - g) <= 1e-7 * np.linalg.norm(g) + 1e-10


def test_tanh_net_hvp_against_second_differences_of_the_loss():
    """v^T H v from HVPs of the gradient against (L(t + e v) - 2 L(t) + L(t - e v)) / e^2, which uses the loss only."""
    rng = np.random.default_rng(2)
    X, y = rng.normal(size=(10, 3)), 0.5 * rng.normal(size=10)
    theta = CV.tanh_net_init(3, 4, rng)
    loss = lambda t: CV.tanh_net_loss_grad(t, X, y, 4)[0]  # noqa: E731
    grad = lambda t: CV.tanh_net_loss_grad(t, X, y, 4)[1]  # noqa: E731
    for _ in range(5):
        v = rng.normal(size=theta.size)
        quad = v @ CV.hvp_fd(grad, theta, v)
        e = 1e-4
        second = (loss(theta + e * v) - 2 * loss(theta) + loss(theta - e * v)) / e ** 2
        assert quad == pytest.approx(second, rel=1e-5)


def test_tanh_net_shapes_masks_and_errors():
    masks = CV.tanh_net_masks(3, 4)
    assert masks["W1"].sum() == 12 and masks["w2"].sum() == 4 and np.all(masks["W1"] + masks["w2"] == 1)
    with pytest.raises(ValueError, match=r"theta has shape \(5,\), expected \(hidden \* d \+ hidden,\) = \(16,\)"):
        CV.tanh_net_loss_grad(np.ones(5), np.ones((2, 3)), np.ones(2), 4)
    with pytest.raises(ValueError, match=r"y has shape \(3,\), expected \(n,\) = \(2,\)"):
        CV.tanh_net_loss_grad(np.ones(16), np.ones((2, 3)), np.ones(3), 4)


def test_gd_sharpness_records_and_matches_a_direct_eigenvalue():
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(16, 3)), 0.5 * rng.normal(size=16)
    run = CV.gd_sharpness(X, y, 5, 0.5, 20, np.random.default_rng(1), every=10, power_iters=30, init_iters=200)
    np.testing.assert_array_equal(run.steps, [0, 10, 20])
    assert run.loss.shape == (21,) and run.loss[-1] < run.loss[0]
    theta0 = CV.tanh_net_init(3, 5, np.random.default_rng(1))
    grad = lambda t: CV.tanh_net_loss_grad(t, X, y, 5)[1]  # noqa: E731
    H = CV.hessian_from_hvp(lambda v: CV.hvp_fd(grad, theta0, v), theta0.size)
    ev = np.linalg.eigvalsh((H + H.T) / 2)
    assert run.sharpness[0] == pytest.approx(ev[np.argmax(np.abs(ev))], rel=1e-4)


# ----------------------------------------------------------------------------------------------- SP and muP

def test_relu_net_init_parameterizations():
    rng = np.random.default_rng(0)
    sp, s_sp = CV.relu_net_init(64, 512, 10, np.random.default_rng(0), "sp")
    mup, s_mup = CV.relu_net_init(64, 512, 10, np.random.default_rng(0), "mup", base_width=32)
    np.testing.assert_array_equal(sp[0].W, mup[0].W)  # the hidden layer is the same
    assert sp[1].W.std() == pytest.approx(1 / math.sqrt(512), rel=0.05)
    assert mup[1].W.std() == pytest.approx(1 / 512, rel=0.05)
    assert s_sp == [1.0, 1.0, 1.0, 1.0] and s_mup == [1.0, 1.0, 32 / 512, 1.0]
    with pytest.raises(ValueError, match="param must be one of"):
        CV.relu_net_init(4, 4, 2, rng, "ntk")


def test_train_width_lr_learns_is_deterministic_and_reports_divergence():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(128, 6))
    y = (X[:, 0] > 0).astype(int)
    a = CV.train_width_lr(X, y, 16, 1e-2, np.random.default_rng(3), steps=60, batch_size=32)
    b = CV.train_width_lr(X, y, 16, 1e-2, np.random.default_rng(3), steps=60, batch_size=32)
    assert a == b and a < 0.4
    grid = CV.lr_width_sweep(X, y, (8, 16), (1e-3, 1e-2), 3, param="mup", steps=10, batch_size=32)
    assert grid.shape == (2, 2) and np.all(np.isfinite(grid))
    assert CV.train_width_lr(np.full_like(X, 1e308), y, 16, 1e3, np.random.default_rng(3), steps=5) == math.inf
    with pytest.raises(TypeError, match="y must hold integer class labels"):
        CV.train_width_lr(X, y + 0.5, 8, 1e-2, rng)


# ----------------------------------------------------------------------------------------------- AdamW equilibrium

def test_wd_equilibrium_value_and_errors():
    assert CV.wd_equilibrium(0.01, 0.5) == pytest.approx(0.02294, abs=1e-5)
    assert CV.wd_equilibrium(0.01, 0.5, beta1=0.0) == pytest.approx(math.sqrt(0.01))
    with pytest.raises(ValueError, match="wd must be > 0"):
        CV.wd_equilibrium(0.01, 0.0)


def test_adamw_relative_updates_settle_and_w1_is_scale_invariant():
    from helpers import forward as F, training as T

    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 8))
    y = rng.integers(0, 3, 200)
    rel = CV.adamw_relative_updates(X, y, 16, np.random.default_rng(1), steps=400, batch_size=50)
    assert rel.shape == (400,) and np.all(rel > 0)
    assert rel[-100:].mean() == pytest.approx(CV.wd_equilibrium(0.01, 0.5), rel=0.2)
    # the network does not change when W1 is scaled: the premise of the equilibrium
    W1, W2, b2 = 10 * rng.normal(size=(16, 8)), rng.normal(size=(3, 16)), rng.normal(size=3)
    out = lambda W: T.mlp_forward_normed(X, [F.Layer(W, np.zeros(16)), F.Layer(W2, b2)])[0]  # noqa: E731
    np.testing.assert_allclose(out(W1), out(7.0 * W1), rtol=1e-5, atol=1e-6)  # up to LayerNorm's eps
    with pytest.raises(ValueError, match=r"y has shape \(5,\), expected \(B,\)"):
        CV.adamw_relative_updates(X, y[:5], 4, rng)


def test_experiments_return_what_the_lab_reads():
    """Shapes only (the thresholds on seeds 0-4 are in tests/test_labs.py)."""
    h = CV.hessian_experiment(0, d=2, hidden=3, n=8, power_iters=20)
    assert h.hessian.shape == (9, 9) and set(h.block_max) == {"W1", "w2"}
    e = CV.eos_experiment(0, 2.0, steps=10, d=2, hidden=3, n=8, every=5)
    assert e.sharpness.shape == (3,)
    t = CV.transfer_experiment(0, widths=(4, 8), log2_lrs=(-6, -5), steps=3)
    assert t.sp.shape == t.mup.shape == (2, 2) and t.sp_best.shape == (2,)
    q = CV.equilibrium_experiment(0, widths=(4,), steps=120)
    assert q.relative_updates.shape == (1, 120) and q.ratio.shape == (1,)
