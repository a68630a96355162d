"""Tests of helpers.optim (section 7): SGD, momentum, Adam, schedules, gradient clipping."""
import math

import numpy as np
import pytest

from helpers import optim


def _params(rng):
    return [rng.normal(size=(3, 4)), rng.normal(size=(4,))]


def test_sgd_step():
    p, g = [np.array([1.0, -2.0])], [np.array([0.5, 4.0])]
    new, _ = optim.SGD(lr=0.1).step(p, g, ())
    np.testing.assert_allclose(new[0], [0.95, -2.4], rtol=1e-15)


def test_momentum_matches_the_notes_formula_by_hand():
    # v <- beta v + g; theta <- theta - eta v, with beta = 0.9, eta = 0.1, theta0 = 1
    # g1 = 2: v1 = 2,   theta1 = 1 - 0.2 = 0.8
    # g2 = 1: v2 = 0.9 * 2 + 1 = 2.8, theta2 = 0.8 - 0.28 = 0.52
    # g3 = 0: v3 = 2.52,  theta3 = 0.52 - 0.252 = 0.268 (keeps moving with zero gradient)
    opt = optim.Momentum(lr=0.1, beta=0.9)
    theta = [np.array([1.0])]
    state = opt.init(theta)
    expected = [(2.0, 0.8), (2.8, 0.52), (2.52, 0.268)]
    for g, (v_exp, theta_exp) in zip([2.0, 1.0, 0.0], expected):
        theta, state = opt.step(theta, [np.array([g])], state)
        assert state.velocity[0][0] == pytest.approx(v_exp, rel=1e-14)
        assert theta[0][0] == pytest.approx(theta_exp, rel=1e-14)


def test_momentum_velocity_tends_to_g_over_one_minus_beta():
    opt = optim.Momentum(lr=0.0, beta=0.9)
    p = [np.zeros(2)]
    state = opt.init(p)
    for _ in range(400):
        p, state = opt.step(p, [np.array([1.0, -3.0])], state)
    np.testing.assert_allclose(state.velocity[0], [10.0, -30.0], rtol=1e-12)


@pytest.mark.parametrize("scale", [1e-3, 1.0, 1e4])
def test_adam_first_step_moves_each_parameter_by_about_lr(scale):
    rng = np.random.default_rng(0)
    params = _params(rng)
    grads = [scale * rng.uniform(0.5, 2.0, p.shape) * rng.choice([-1.0, 1.0], p.shape) for p in params]
    opt = optim.Adam(lr=0.01)
    new, state = opt.step(params, grads, opt.init(params))
    for p, q, g in zip(params, new, grads):
        # m_hat = g and v_hat = g^2 on step 1, so the step is lr * g / (|g| + eps) = lr * sign(g)
        # up to a relative eps / |g| <= 1e-8 / 5e-4 = 2e-5, whatever the gradient's scale
        np.testing.assert_allclose(p - q, 0.01 * np.sign(g), rtol=1e-4)
    assert state.t == 1


def test_adam_bias_correction_on_step_two_by_hand():
    # g1 = 1, g2 = 3, beta1 = 0.9, beta2 = 0.999
    # m2 = 0.9 * 0.1 + 0.1 * 3 = 0.39;   m_hat = 0.39 / (1 - 0.81) = 2.0526...
    # v2 = 0.999 * 0.001 + 0.001 * 9 = 0.009999; v_hat = 0.009999 / (1 - 0.998001) = 5.0020...
    opt = optim.Adam(lr=0.1, eps=1e-8)
    p = [np.array([0.0])]
    state = opt.init(p)
    p, state = opt.step(p, [np.array([1.0])], state)
    p1 = p[0][0]
    p, state = opt.step(p, [np.array([3.0])], state)
    m_hat, v_hat = 0.39 / 0.19, 0.009999 / 0.001999
    assert state.m[0][0] == pytest.approx(0.39, rel=1e-14)
    assert state.v[0][0] == pytest.approx(0.009999, rel=1e-12)
    assert p1 - p[0][0] == pytest.approx(0.1 * m_hat / (math.sqrt(v_hat) + 1e-8), rel=1e-12)


@pytest.mark.parametrize("opt", [optim.SGD(0.1), optim.Momentum(0.1, 0.9), optim.Adam(0.1)])
def test_optimizers_do_not_mutate_inputs(opt):
    rng = np.random.default_rng(1)
    params = _params(rng)
    grads = [rng.normal(size=p.shape) for p in params]
    state = opt.init(params)
    copies = [a.copy() for a in params + grads]
    state_copies = [np.copy(a) for a in _flat_state(state)]
    for _ in range(2):
        new, new_state = opt.step(params, grads, state)
    for a, c in zip(params + grads, copies):
        np.testing.assert_array_equal(a, c)
    for a, c in zip(_flat_state(state), state_copies):
        np.testing.assert_array_equal(a, c)
    assert all(n is not p for n, p in zip(new, params))


def _flat_state(state):
    out = []
    for field in state:
        if isinstance(field, tuple):
            out.extend(field)
        elif isinstance(field, np.ndarray):
            out.append(field)
    return out


@pytest.mark.parametrize("opt", [optim.SGD(0.1), optim.Momentum(0.1, 0.9), optim.Adam(0.1)])
def test_mismatched_shapes_name_the_gradient(opt):
    params = [np.zeros((2, 3)), np.zeros(3)]
    state = opt.init(params)
    with pytest.raises(ValueError, match=r"grads\[1\]"):
        opt.step(params, [np.zeros((2, 3)), np.zeros(4)], state)
    with pytest.raises(ValueError, match="grads"):
        opt.step(params, [np.zeros((2, 3))], state)


def test_optimizers_minimize_a_quadratic():
    # f(theta) = 0.5 * theta^T A theta with condition number 10; all three reach the minimum at 0
    A = np.diag([1.0, 10.0])
    for opt, steps in [(optim.SGD(0.1), 300), (optim.Momentum(0.02, 0.9), 300), (optim.Adam(0.05), 1000)]:
        p = [np.array([3.0, -2.0])]
        state = opt.init(p)
        for _ in range(steps):
            p, state = opt.step(p, [A @ p[0]], state)
        assert np.linalg.norm(p[0]) < 1e-2, (type(opt).__name__, p[0])


def test_step_schedule():
    assert optim.step_schedule(0, 1.0, drop=0.5, every=10) == 1.0
    assert optim.step_schedule(9, 1.0, drop=0.5, every=10) == 1.0
    assert optim.step_schedule(10, 1.0, drop=0.5, every=10) == 0.5
    assert optim.step_schedule(25, 1.0, drop=0.5, every=10) == 0.25


def test_cosine_schedule():
    assert optim.cosine_schedule(0, 0.1, total=100, lr_min=0.001) == pytest.approx(0.1)
    assert optim.cosine_schedule(50, 0.1, total=100, lr_min=0.0) == pytest.approx(0.05)
    assert optim.cosine_schedule(100, 0.1, total=100, lr_min=0.001) == pytest.approx(0.001)
    assert optim.cosine_schedule(500, 0.1, total=100, lr_min=0.001) == pytest.approx(0.001)
    lrs = [optim.cosine_schedule(t, 0.1, 100) for t in range(101)]
    assert all(a >= b for a, b in zip(lrs, lrs[1:]))


def test_warmup_cosine_schedule():
    lr0, warmup, total = 3e-4, 10, 110
    assert optim.warmup_cosine_schedule(0, lr0, warmup, total) == pytest.approx(lr0 / warmup)
    assert optim.warmup_cosine_schedule(warmup - 1, lr0, warmup, total) == pytest.approx(lr0)
    assert optim.warmup_cosine_schedule(warmup, lr0, warmup, total) == pytest.approx(lr0)
    assert optim.warmup_cosine_schedule(total, lr0, warmup, total, lr_min=1e-5) == pytest.approx(1e-5)
    warm = [optim.warmup_cosine_schedule(t, lr0, warmup, total) for t in range(warmup)]
    assert all(b > a for a, b in zip(warm, warm[1:]))
    with pytest.raises(ValueError, match="warmup"):
        optim.warmup_cosine_schedule(0, lr0, 20, 10)


def test_clipping_caps_the_norm_and_keeps_the_direction():
    g = [np.array([3.0, 0.0]), np.array([[0.0, 4.0]])]  # global norm 5
    clipped, norm = optim.clip_by_global_norm(g, 1.0)
    assert norm == pytest.approx(5.0)
    np.testing.assert_allclose(clipped[0], [0.6, 0.0])
    np.testing.assert_allclose(clipped[1], [[0.0, 0.8]])
    assert optim.global_norm(clipped) == pytest.approx(1.0)
    rng = np.random.default_rng(3)
    g = [rng.normal(size=(5, 3)) * 10, rng.normal(size=(3,))]
    clipped, norm = optim.clip_by_global_norm(g, 2.0)
    flat, flat_c = np.concatenate([a.ravel() for a in g]), np.concatenate([a.ravel() for a in clipped])
    cos = flat @ flat_c / (np.linalg.norm(flat) * np.linalg.norm(flat_c))
    assert cos == pytest.approx(1.0, abs=1e-12)
    assert optim.global_norm(clipped) == pytest.approx(2.0, rel=1e-12)


def test_clipping_leaves_small_gradients_alone_and_does_not_mutate():
    g = [np.array([0.3, -0.4])]
    clipped, norm = optim.clip_by_global_norm(g, 1.0)
    np.testing.assert_array_equal(clipped[0], g[0])
    assert norm == pytest.approx(0.5)
    big = [np.array([30.0, -40.0])]
    optim.clip_by_global_norm(big, 1.0)
    np.testing.assert_array_equal(big[0], [30.0, -40.0])
    zero, n0 = optim.clip_by_global_norm([np.zeros(3)], 1.0)
    assert n0 == 0.0 and np.all(zero[0] == 0.0)
    with pytest.raises(ValueError, match="max_norm"):
        optim.clip_by_global_norm(g, -1.0)


def test_flatten_unflatten_roundtrip():
    from helpers.forward import Layer
    layers = [Layer(np.ones((2, 3)), np.zeros(2)), Layer(np.ones((1, 2)), np.zeros(1))]
    flat = optim.flatten_layers(layers)
    assert len(flat) == 4
    back = optim.unflatten_layers(flat)
    assert all(np.array_equal(a.W, b.W) and np.array_equal(a.b, b.b) for a, b in zip(layers, back))
    with pytest.raises(ValueError):
        optim.unflatten_layers(flat[:3])


def test_adam_step_matches_the_optimizer_and_is_pure():
    rng = np.random.default_rng(5)
    theta, g = rng.normal(size=(3, 2)), rng.normal(size=(3, 2))
    opt = optim.Adam(lr=0.05, beta1=0.8, beta2=0.99, eps=1e-6)
    state = opt.init([theta])
    (p1,), state = opt.step([theta], [g], state)
    (p2,), state = opt.step([p1], [2 * g], state)
    q1, m, v = optim.adam_step(theta, g, np.zeros_like(g), np.zeros_like(g), 1, 0.05, 0.8, 0.99, 1e-6)
    q2, m, v = optim.adam_step(q1, 2 * g, m, v, 2, 0.05, 0.8, 0.99, 1e-6)
    np.testing.assert_allclose(q2, p2, rtol=1e-15)
    np.testing.assert_allclose(m, 0.8 * 0.2 * g + 0.2 * 2 * g, rtol=1e-14)
    with pytest.raises(ValueError, match="t must"):
        optim.adam_step(theta, g, m, v, 0, 0.05)
    with pytest.raises(ValueError, match=r"\bm\b"):
        optim.adam_step(theta, g, m[:1], v, 1, 0.05)
