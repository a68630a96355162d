r"""Section 7: optimizers, learning-rate schedules and gradient clipping.

Every optimizer is a small frozen object with two pure methods::

    state = opt.init(params)
    params, state = opt.step(params, grads, state)      # optionally step(..., lr=schedule(t))

``params`` and ``grads`` are sequences of arrays (for an MLP: ``[W_0, b_0, W_1, b_1, ...]``, see
:func:`flatten_layers`). ``step`` never modifies its arguments: it returns new arrays and a new state.
"""
from __future__ import annotations

import math
from typing import NamedTuple, Sequence

import numpy as np

from ._validate import check_positive, check_positive_int, check_probability
from .forward import Layer

__all__ = ["SGD", "Momentum", "Adam", "MomentumState", "AdamState", "adam_step", "step_schedule", "cosine_schedule",
           "warmup_cosine_schedule", "global_norm", "clip_by_global_norm", "flatten_layers", "unflatten_layers"]


def _check_pair(params, grads, fn):
    if len(params) != len(grads):
        raise ValueError(f"{fn}: got {len(params)} params but {len(grads)} grads")
    out_p, out_g = [], []
    for i, (p, g) in enumerate(zip(params, grads)):
        p = np.asarray(p, dtype=np.float64)
        g = np.asarray(g, dtype=np.float64)
        if p.shape != g.shape:
            raise ValueError(f"{fn}: grads[{i}] has shape {g.shape} but params[{i}] has shape {p.shape}")
        out_p.append(p)
        out_g.append(g)
    return out_p, out_g


class SGD(NamedTuple):
    r"""Plain stochastic gradient descent :math:`\theta \leftarrow \theta - \eta g`."""

    lr: float = 0.1

    def init(self, params: Sequence[np.ndarray]) -> tuple:
        return ()

    def step(self, params, grads, state=(), lr: float | None = None):
        params, grads = _check_pair(params, grads, "SGD.step")
        eta = self.lr if lr is None else lr
        return [p - eta * g for p, g in zip(params, grads)], state


class MomentumState(NamedTuple):
    velocity: tuple  #: one array per parameter


class Momentum(NamedTuple):
    r"""Heavy-ball momentum as in the notes: :math:`v \leftarrow \beta v + g`, :math:`\theta \leftarrow \theta - \eta v`.

    With constant gradients the velocity grows to :math:`g/(1-\beta)`: ten times the gradient for
    :math:`\beta = 0.9`, so the effective step is ten times :math:`\eta`.
    """

    lr: float = 0.01
    beta: float = 0.9

    def init(self, params):
        check_probability(self.beta, "beta", "Momentum")
        return MomentumState(tuple(np.zeros_like(np.asarray(p, dtype=np.float64)) for p in params))

    def step(self, params, grads, state: MomentumState, lr: float | None = None):
        params, grads = _check_pair(params, grads, "Momentum.step")
        eta = self.lr if lr is None else lr
        v = tuple(self.beta * v + g for v, g in zip(state.velocity, grads))
        return [p - eta * vi for p, vi in zip(params, v)], MomentumState(v)


class AdamState(NamedTuple):
    t: int  #: number of steps taken
    m: tuple  #: first-moment estimates, one per parameter
    v: tuple  #: second-moment estimates


class Adam(NamedTuple):
    r"""Adam (Kingma and Ba 2015) with bias correction.

    .. math::
        m \leftarrow \beta_1 m + (1-\beta_1) g,\quad v \leftarrow \beta_2 v + (1-\beta_2) g^2,\quad
        \hat m = m/(1-\beta_1^t),\quad \hat v = v/(1-\beta_2^t),\quad
        \theta \leftarrow \theta - \eta\, \hat m/(\sqrt{\hat v} + \epsilon)

    On the first step :math:`\hat m = g` and :math:`\hat v = g^2`, so every parameter with a
    nonzero gradient moves by almost exactly :math:`\eta`, whatever the gradient's scale.
    """

    lr: float = 1e-3
    beta1: float = 0.9
    beta2: float = 0.999
    eps: float = 1e-8

    def init(self, params):
        check_probability(self.beta1, "beta1", "Adam")
        check_probability(self.beta2, "beta2", "Adam")
        zeros = tuple(np.zeros_like(np.asarray(p, dtype=np.float64)) for p in params)
        return AdamState(0, zeros, zeros)

    def step(self, params, grads, state: AdamState, lr: float | None = None):
        params, grads = _check_pair(params, grads, "Adam.step")
        eta = self.lr if lr is None else lr
        t = state.t + 1
        out = [adam_step(p, g, m, v, t, eta, self.beta1, self.beta2, self.eps)
               for p, g, m, v in zip(params, grads, state.m, state.v)]
        return [o[0] for o in out], AdamState(t, tuple(o[1] for o in out), tuple(o[2] for o in out))


def adam_step(theta, g, m, v, t: int, lr: float, beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8):
    r"""One Adam update of one parameter array (what :meth:`Adam.step` does for each array).

    .. math::
        m \leftarrow \beta_1 m + (1-\beta_1) g,\quad v \leftarrow \beta_2 v + (1-\beta_2) g^2,\quad
        \theta \leftarrow \theta - \eta\,\frac{m/(1-\beta_1^t)}{\sqrt{v/(1-\beta_2^t)} + \epsilon}

    Parameters
    ----------
    theta, g, m, v : ndarray, all of the same shape
        Parameter, its gradient, and the moment estimates after step ``t - 1`` (zeros before step 1).
    t : int >= 1
        The number of this step (1 for the first update), used in the bias corrections.
    lr, beta1, beta2, eps : float

    Returns
    -------
    theta, m, v : ndarray
        New arrays; the arguments are not modified.
    """
    fn = "adam_step"
    arrays = [np.asarray(a, dtype=np.float64) for a in (theta, g, m, v)]
    for name, a in zip(("g", "m", "v"), arrays[1:]):
        if a.shape != arrays[0].shape:
            raise ValueError(f"{fn}: {name} has shape {a.shape} but theta has shape {arrays[0].shape}")
    theta, g, m, v = arrays
    t = check_positive_int(t, "t", fn)
    m = beta1 * m + (1 - beta1) * g
    v = beta2 * v + (1 - beta2) * g * g
    m_hat = m / (1 - beta1**t)
    v_hat = v / (1 - beta2**t)
    return theta - lr * m_hat / (np.sqrt(v_hat) + eps), m, v


def step_schedule(t: int, lr0: float, drop: float = 0.1, every: int = 100) -> float:
    r"""Step decay :math:`\eta_t = \eta_0 \cdot \mathrm{drop}^{\lfloor t/\mathrm{every} \rfloor}`."""
    every = check_positive_int(every, "every", "step_schedule")
    return lr0 * drop ** (t // every)


def cosine_schedule(t: int, lr0: float, total: int, lr_min: float = 0.0) -> float:
    r"""Cosine decay :math:`\eta_t = \eta_{min} + \tfrac12(\eta_0 - \eta_{min})(1 + \cos(\pi t/T))`, then :math:`\eta_{min}`."""
    total = check_positive_int(total, "total", "cosine_schedule")
    frac = min(max(t, 0), total) / total
    return lr_min + 0.5 * (lr0 - lr_min) * (1.0 + math.cos(math.pi * frac))


def warmup_cosine_schedule(t: int, lr0: float, warmup: int, total: int, lr_min: float = 0.0) -> float:
    r"""Linear warmup from 0 to :math:`\eta_0` over ``warmup`` steps, then cosine decay to ``lr_min`` at ``total``.

    The schedule of most transformer training runs: Adam's second-moment estimates are noisy in
    the first steps, so large steps there are risky.
    """
    warmup = check_positive_int(warmup, "warmup", "warmup_cosine_schedule")
    total = check_positive_int(total, "total", "warmup_cosine_schedule")
    if warmup >= total:
        raise ValueError(f"warmup_cosine_schedule: warmup ({warmup}) must be smaller than total ({total})")
    if t < warmup:
        return lr0 * (t + 1) / warmup
    return cosine_schedule(t - warmup, lr0, total - warmup, lr_min)


def global_norm(grads: Sequence[np.ndarray]) -> float:
    r""":math:`\lVert g \rVert = \sqrt{\sum_j \lVert g_j \rVert_F^2}` over all gradient arrays together."""
    return math.sqrt(sum(float(np.sum(np.square(np.asarray(g, dtype=np.float64)))) for g in grads))


def clip_by_global_norm(grads: Sequence[np.ndarray], max_norm: float):
    r"""Rescale all gradients together: :math:`g \leftarrow g \min(1, c/\lVert g\rVert)`.

    The direction of the full gradient is kept (clipping each array separately would change it).

    Returns
    -------
    clipped : list of ndarray
    norm : float
        The global norm before clipping (worth logging).
    """
    c = check_positive(max_norm, "max_norm", "clip_by_global_norm")
    norm = global_norm(grads)
    scale = min(1.0, c / norm) if norm > 0 else 1.0
    return [np.asarray(g, dtype=np.float64) * scale for g in grads], norm


def flatten_layers(layers: Sequence[Layer]) -> list[np.ndarray]:
    """``[Layer(W0, b0), Layer(W1, b1)]`` to ``[W0, b0, W1, b1]``."""
    return [a for layer in layers for a in (layer.W, layer.b)]


def unflatten_layers(params: Sequence[np.ndarray]) -> list[Layer]:
    """Inverse of :func:`flatten_layers`."""
    if len(params) % 2:
        raise ValueError(f"unflatten_layers: expected an even number of arrays (W, b pairs), got {len(params)}")
    return [Layer(params[i], params[i + 1]) for i in range(0, len(params), 2)]
