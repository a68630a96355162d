r"""Section 8: normalization and regularization.

BatchNorm normalizes each feature over the batch axis, LayerNorm each example over its last axis;
both use the biased variance (divide by the number of values averaged) with :math:`\epsilon`
inside the square root: :math:`\hat x = (x - \mu)/\sqrt{\sigma^2 + \epsilon}`, then
:math:`y = \gamma \hat x + \beta`. Dropout uses the drop probability ``p`` and inverted scaling
:math:`\tilde h = m \odot h/(1-p)`. Weight decay is the penalty :math:`\lambda\lVert\theta\rVert^2`.
Early stopping picks the epoch with the lowest validation loss.

Everything is pure: :func:`batchnorm_forward` returns a new running-statistics state instead of
updating one in place, and :func:`dropout` draws its mask from the ``rng`` it is given.
"""
from __future__ import annotations

from typing import NamedTuple, Sequence

import numpy as np

from ._validate import (as_float_array, as_labels, check_dim, check_positive, check_positive_int, check_probability,
                        check_rng)

__all__ = ["BatchNormState", "BatchNormCache", "batchnorm_init", "batchnorm_forward", "batchnorm_backward",
           "batchnorm_train_backward", "deep_relu_loss_and_grads", "train_deep_relu", "layer_norm", "layer_norm_backward", "dropout", "weight_decay_penalty", "weight_decay_grad",
           "decoupled_weight_decay", "EarlyStopping", "early_stopping"]


# --------------------------------------------------------------------------- BatchNorm (8.1)

class BatchNormState(NamedTuple):
    """Running statistics of a BatchNorm layer, used in evaluation mode."""

    running_mean: np.ndarray  #: (d,)
    running_var: np.ndarray  #: (d,)


class BatchNormCache(NamedTuple):
    """What :func:`batchnorm_backward` needs from the forward pass."""

    x_hat: np.ndarray  #: (B, d) the normalized input
    inv_std: np.ndarray  #: (d,) 1/sqrt(var + eps) of the statistics used
    gamma: np.ndarray  #: (d,)
    train: bool  #: True if batch statistics were used (they then depend on X)


def batchnorm_init(d: int) -> BatchNormState:
    """The initial state of a BatchNorm layer over ``d`` features: running mean 0, running variance 1."""
    d = check_positive_int(d, "d", "batchnorm_init")
    return BatchNormState(np.zeros(d), np.ones(d))


def _check_affine_params(gamma, beta, d, fn, x_shape):
    gamma = as_float_array(gamma, "gamma", fn, ndim=1)
    beta = as_float_array(beta, "beta", fn, ndim=1)
    check_dim(gamma, 0, d, "gamma", fn, f"(d,) = ({d},) to match x of shape {x_shape}")
    check_dim(beta, 0, d, "beta", fn, f"(d,) = ({d},) to match x of shape {x_shape}")
    return gamma, beta


def batchnorm_forward(X, gamma, beta, state: BatchNormState, train: bool, momentum: float = 0.1,
                      eps: float = 1e-5):
    r"""Batch normalization of a batch ``X``, feature by feature.

    In training mode the statistics are the batch's own, :math:`\mu_B = \frac1B\sum_i x_i`,
    :math:`\sigma_B^2 = \frac1B\sum_i (x_i - \mu_B)^2`, and the running statistics move towards
    them: :math:`r \leftarrow (1 - \text{momentum})\, r + \text{momentum}\cdot\text{batch value}`.
    In evaluation mode the running statistics are used and the state is returned unchanged, so a
    prediction depends on its own example only.

    Parameters
    ----------
    X : ndarray of shape (B, d)
    gamma, beta : ndarray of shape (d,)
        Learned scale and shift.
    state : BatchNormState
        Running mean and variance, each ``(d,)`` (start from :func:`batchnorm_init`).
    train : bool
        Batch statistics (True) or running statistics (False).
    momentum : float in [0, 1]
        Weight of the current batch in the running averages (PyTorch's convention).
    eps : float > 0
        Added to the variance inside the square root.

    Returns
    -------
    out : ndarray of shape (B, d)
        :math:`\gamma \hat x + \beta` with :math:`\hat x = (x - \mu)/\sqrt{\sigma^2 + \epsilon}`.
    cache : BatchNormCache
    new_state : BatchNormState
        A new state (the argument is not modified).

    Notes
    -----
    With ``B = 1`` in training mode every feature equals its batch mean, so :math:`\hat x = 0` and
    the output is ``beta`` whatever the input: the collapse that makes a training-mode BatchNorm
    useless on single examples. The running variance here is the biased batch variance, as in the
    normalization itself (PyTorch stores the unbiased one, larger by ``B/(B-1)``).
    """
    fn = "batchnorm_forward"
    X = as_float_array(X, "X", fn, ndim=2)
    d = X.shape[1]
    gamma, beta = _check_affine_params(gamma, beta, d, fn, X.shape)
    if not isinstance(state, BatchNormState):
        raise TypeError(f"{fn}: state must be a BatchNormState (see batchnorm_init), got {type(state).__name__}")
    rm = as_float_array(state.running_mean, "state.running_mean", fn, ndim=1)
    rv = as_float_array(state.running_var, "state.running_var", fn, ndim=1)
    check_dim(rm, 0, d, "state.running_mean", fn, f"(d,) = ({d},) to match X of shape {X.shape}")
    check_dim(rv, 0, d, "state.running_var", fn, f"(d,) = ({d},) to match X of shape {X.shape}")
    momentum = check_probability(momentum, "momentum", fn, allow_one=True)
    eps = check_positive(eps, "eps", fn)
    if not isinstance(train, (bool, np.bool_)):
        raise TypeError(f"{fn}: train must be True or False, got {train!r}")
    if train:
        if X.shape[0] == 0:
            raise ValueError(f"{fn}: X has shape {X.shape}; training mode needs at least one example")
        mu = X.mean(axis=0)
        var = ((X - mu) ** 2).mean(axis=0)
        new_state = BatchNormState((1 - momentum) * rm + momentum * mu, (1 - momentum) * rv + momentum * var)
    else:
        mu, var = rm, rv
        new_state = BatchNormState(rm.copy(), rv.copy())
    inv_std = 1.0 / np.sqrt(var + eps)
    x_hat = (X - mu) * inv_std
    return gamma * x_hat + beta, BatchNormCache(x_hat, inv_std, gamma, bool(train)), new_state


def batchnorm_backward(dout, cache: BatchNormCache):
    r"""Gradients of :func:`batchnorm_forward`.

    In training mode the mean and variance depend on every row of ``X``, which gives
    :math:`\partial L/\partial x_i = \frac{1}{B\sigma}\big(B\,\delta_i - \sum_j \delta_j
    - \hat x_i \sum_j \delta_j \hat x_j\big)` with :math:`\delta = \gamma \odot \partial L/\partial y`
    and :math:`\sigma = \sqrt{\sigma_B^2 + \epsilon}`. In evaluation mode the statistics are
    constants and :math:`\partial L/\partial x = \gamma \odot \partial L/\partial y / \sigma`.

    Parameters
    ----------
    dout : ndarray of shape (B, d)
    cache : BatchNormCache

    Returns
    -------
    dX : ndarray of shape (B, d)
    dgamma, dbeta : ndarray of shape (d,)
    """
    fn = "batchnorm_backward"
    dout = as_float_array(dout, "dout", fn, ndim=2)
    if dout.shape != cache.x_hat.shape:
        raise ValueError(f"{fn}: dout has shape {dout.shape}, expected {cache.x_hat.shape} (the forward output's)")
    x_hat, inv_std, gamma = cache.x_hat, cache.inv_std, cache.gamma
    if not cache.train:
        return dout * gamma * inv_std, (dout * x_hat).sum(axis=0), dout.sum(axis=0)
    return _bn_train_backward(dout, x_hat, inv_std, gamma)


def _bn_train_backward(dY, x_hat, inv_std, gamma):
    """Training-mode BatchNorm gradients from the normalized input (shared by the public functions; no checks)."""
    B = dY.shape[0]
    dxhat = dY * gamma
    dX = inv_std / B * (B * dxhat - dxhat.sum(axis=0) - x_hat * (dxhat * x_hat).sum(axis=0))
    return dX, (dY * x_hat).sum(axis=0), dY.sum(axis=0)


def batchnorm_train_backward(dY, X, gamma, eps=1e-5):
    r"""Gradients of a training-mode BatchNorm, recomputing the batch statistics from ``X``.

    The forward pass is :math:`Y = \gamma \odot (X - \mu)/\sqrt{\sigma^2 + \epsilon} + \beta` with the
    batch's own mean :math:`\mu = \frac1B\sum_i x_i` and biased variance
    :math:`\sigma^2 = \frac1B\sum_i (x_i - \mu)^2`, feature by feature (over axis 0). Both statistics
    depend on every row of ``X``, so with :math:`\delta = \gamma \odot \partial L/\partial Y` and
    :math:`s = \sqrt{\sigma^2 + \epsilon}`:

    .. math::
        \frac{\partial L}{\partial x_i} = \frac{1}{B s}\Big(B\,\delta_i - \sum_j \delta_j
        - \hat x_i \sum_j \delta_j \hat x_j\Big),\quad
        \frac{\partial L}{\partial \gamma} = \sum_i \frac{\partial L}{\partial y_i} \odot \hat x_i,\quad
        \frac{\partial L}{\partial \beta} = \sum_i \frac{\partial L}{\partial y_i}.

    The first term is the path through :math:`\hat x` with the statistics held fixed, the second the
    path through the mean, the third the path through the variance. ``beta`` is not needed: the
    gradients do not depend on it. The same result as :func:`batchnorm_backward` with a training-mode
    cache, without a cache.

    Parameters
    ----------
    dY : ndarray of shape (B, d)
        Upstream gradient :math:`\partial L/\partial Y`.
    X : ndarray of shape (B, d)
        The forward pass's input, B >= 1.
    gamma : ndarray of shape (d,)
    eps : float > 0

    Returns
    -------
    dX : ndarray of shape (B, d)
        Each column sums to zero (shifting a column of ``X`` does not change ``Y``).
    dgamma, dbeta : ndarray of shape (d,)

    Raises
    ------
    ValueError
        If ``X`` is not 2-D or has no rows, ``dY`` has another shape, ``gamma`` is not ``(d,)`` or
        ``eps`` is not positive.
    """
    fn = "batchnorm_train_backward"
    X = as_float_array(X, "X", fn, ndim=2)
    dY = as_float_array(dY, "dY", fn, ndim=2)
    if dY.shape != X.shape:
        raise ValueError(f"{fn}: dY has shape {dY.shape} but X has shape {X.shape}; they must match")
    if X.shape[0] == 0:
        raise ValueError(f"{fn}: X has shape {X.shape}; training mode needs at least one example")
    d = X.shape[1]
    gamma = as_float_array(gamma, "gamma", fn, ndim=1)
    check_dim(gamma, 0, d, "gamma", fn, f"(d,) = ({d},) to match X of shape {X.shape}")
    eps = check_positive(eps, "eps", fn)
    mu = X.mean(axis=0)
    xc = X - mu
    inv_std = 1.0 / np.sqrt((xc * xc).mean(axis=0) + eps)
    return _bn_train_backward(dY, xc * inv_std, inv_std, gamma)


def _deep_relu_params(sizes, rng, batchnorm):
    params = []
    for l, (d_prev, d_l) in enumerate(zip(sizes[:-1], sizes[1:]), start=1):
        params += [rng.normal(0.0, np.sqrt(2.0 / d_prev), (d_l, d_prev)), np.zeros(d_l)]  # He init
        if batchnorm and l < len(sizes) - 1:
            params += [np.ones(d_l), np.zeros(d_l)]
    return params


def deep_relu_loss_and_grads(params, X, y, batchnorm: bool, eps: float = 1e-5):
    r"""Mean softmax cross-entropy of a deep ReLU classifier, with or without BatchNorm, and its gradients.

    Hidden layer :math:`l = 1, \dots, L-1` computes :math:`h_l = \mathrm{relu}(\mathrm{BN}(W_l h_{l-1} + b_l))`
    (training-mode BatchNorm with its own :math:`\gamma_l, \beta_l`) or, without BatchNorm,
    :math:`h_l = \mathrm{relu}(W_l h_{l-1} + b_l)`; the head is linear, :math:`h_0 = x`. (With BatchNorm the
    bias :math:`b_l` has no effect, since the batch mean removes it; it is kept so both networks have the same
    weights.)

    Parameters
    ----------
    params : list of ndarray
        ``[W_1, b_1, (gamma_1, beta_1,) W_2, ...]``: ``W_l`` of shape ``(d_l, d_{l-1})``, ``b_l, gamma_l, beta_l``
        of shape ``(d_l,)``; no ``gamma, beta`` after the head ``W_L, b_L``, nor anywhere without BatchNorm.
    X : ndarray of shape (B, d_0)
    y : ndarray of int, shape (B,)
    batchnorm : bool

    Returns
    -------
    loss : float
    grads : list of ndarray, shaped like ``params``
    """
    per = 4 if batchnorm else 2
    n_hidden = (len(params) - 2) // per
    H, tape = X, []
    for l in range(n_hidden):
        W, b = params[per * l], params[per * l + 1]
        Z = H @ W.T + b
        if batchnorm:
            gamma, beta = params[per * l + 2], params[per * l + 3]
            mu = Z.mean(axis=0)
            inv_std = 1.0 / np.sqrt(((Z - mu) ** 2).mean(axis=0) + eps)
            x_hat = (Z - mu) * inv_std
            Z_out = gamma * x_hat + beta
            tape.append((H, Z_out, x_hat, inv_std))
        else:
            Z_out = Z
            tape.append((H, Z_out, None, None))
        H = np.maximum(Z_out, 0.0)
    W_L, b_L = params[-2], params[-1]
    logits = H @ W_L.T + b_L
    s = logits - logits.max(axis=1, keepdims=True)
    log_p = s - np.log(np.exp(s).sum(axis=1, keepdims=True))
    B = X.shape[0]
    loss = -float(log_p[np.arange(B), y].mean())
    dZ = np.exp(log_p)
    dZ[np.arange(B), y] -= 1.0
    dZ /= B
    grads = [None] * len(params)
    grads[-2], grads[-1] = dZ.T @ H, dZ.sum(axis=0)
    dH = dZ @ W_L
    for l in reversed(range(n_hidden)):
        H_in, Z_out, x_hat, inv_std = tape[l]
        dZ = dH * (Z_out > 0)
        if batchnorm:
            dZ, grads[per * l + 2], grads[per * l + 3] = _bn_train_backward(dZ, x_hat, inv_std, params[per * l + 2])
        grads[per * l], grads[per * l + 1] = dZ.T @ H_in, dZ.sum(axis=0)
        dH = dZ @ params[per * l]
    return loss, grads


def train_deep_relu(X, y, lr, rng, *, batchnorm: bool, depth: int = 5, width: int = 32, steps: int = 80,
                    batch: int = 64):
    r"""Plain minibatch SGD on a deep ReLU classifier (He init), with or without BatchNorm.

    The network of :func:`deep_relu_loss_and_grads` with ``depth`` hidden layers of ``width`` units; each step
    draws ``batch`` examples at random (with replacement) from ``rng`` and applies
    :math:`\theta \leftarrow \theta - \eta \nabla L` to every parameter. The same ``rng`` seed gives the same
    initial weights and minibatches with and without BatchNorm.

    Parameters
    ----------
    X : ndarray of shape (n, d_0)
    y : ndarray of int, shape (n,)
    lr : float > 0
    rng : numpy.random.Generator
    batchnorm : bool
    depth, width, steps, batch : int >= 1

    Returns
    -------
    ndarray of shape (steps,)
        The minibatch loss before each step; ``nan`` from the first step whose loss is not finite (training
        stops there).
    """
    fn = "train_deep_relu"
    X = as_float_array(X, "X", fn, ndim=2)
    y = as_labels(y, "y", fn, X.shape[0])
    lr = check_positive(lr, "lr", fn)
    rng = check_rng(rng, fn)
    for name, value in (("depth", depth), ("width", width), ("steps", steps), ("batch", batch)):
        check_positive_int(value, name, fn)
    sizes = [X.shape[1]] + [width] * depth + [int(y.max()) + 1]
    params = _deep_relu_params(sizes, rng, bool(batchnorm))
    losses = np.full(steps, np.nan)
    with np.errstate(over="ignore", invalid="ignore"):
        for t in range(steps):
            idx = rng.integers(0, len(y), batch)
            loss, grads = deep_relu_loss_and_grads(params, X[idx], y[idx], bool(batchnorm))
            if not np.isfinite(loss):
                break
            losses[t] = loss
            params = [p - lr * g for p, g in zip(params, grads)]
    return losses


# --------------------------------------------------------------------------- LayerNorm (8.2)

def _layer_norm_stats(x, eps):
    mu = x.mean(axis=-1, keepdims=True)
    var = ((x - mu) ** 2).mean(axis=-1, keepdims=True)
    inv_std = 1.0 / np.sqrt(var + eps)
    return (x - mu) * inv_std, inv_std


def _check_layer_norm(x, gamma, beta, eps, fn):
    x = as_float_array(x, "x", fn)
    if x.ndim == 0:
        raise ValueError(f"{fn}: x must have at least one axis (d,) or (B, d), got a scalar")
    gamma, beta = _check_affine_params(gamma, beta, x.shape[-1], fn, x.shape)
    eps = check_positive(eps, "eps", fn)
    return x, gamma, beta, eps


def layer_norm(x, gamma, beta, eps=1e-5):
    r"""Layer normalization over the last axis: :math:`\gamma \odot (x - \mu)/\sqrt{\sigma^2 + \epsilon} + \beta`.

    Each example (row) is normalized with its own mean :math:`\mu = \frac1d \sum_k x_k` and biased
    variance :math:`\sigma^2 = \frac1d\sum_k (x_k - \mu)^2`, so the result never depends on the other
    examples in the batch.

    Parameters
    ----------
    x : ndarray of shape (d,) or (B, d) (any leading axes are allowed)
    gamma, beta : ndarray of shape (d,)
    eps : float > 0
        Inside the square root, so a constant row gives :math:`\hat x = 0` instead of ``nan``.

    Returns
    -------
    ndarray of the same shape as ``x``
    """
    x, gamma, beta, eps = _check_layer_norm(x, gamma, beta, eps, "layer_norm")
    x_hat, _ = _layer_norm_stats(x, eps)
    return gamma * x_hat + beta


def layer_norm_backward(dout, x, gamma, eps=1e-5):
    r"""Gradients of :func:`layer_norm` (the statistics are recomputed from ``x``).

    Per row, with :math:`\delta = \gamma\odot\partial L/\partial y`:
    :math:`\partial L/\partial x = \frac{1}{d\sigma}\big(d\,\delta - \sum_k \delta_k - \hat x\sum_k \delta_k\hat x_k\big)`.

    Parameters
    ----------
    dout : ndarray, same shape as ``x``
    x : ndarray of shape (d,) or (B, d)
    gamma : ndarray of shape (d,)
    eps : float

    Returns
    -------
    dx : ndarray, same shape as ``x``
    dgamma, dbeta : ndarray of shape (d,)
        Summed over every leading axis.
    """
    fn = "layer_norm_backward"
    x, gamma, _, eps = _check_layer_norm(x, gamma, np.zeros(np.shape(gamma)), eps, fn)
    dout = as_float_array(dout, "dout", fn)
    if dout.shape != x.shape:
        raise ValueError(f"{fn}: dout has shape {dout.shape} but x has shape {x.shape}; they must match")
    x_hat, inv_std = _layer_norm_stats(x, eps)
    d = x.shape[-1]
    lead = tuple(range(x.ndim - 1))
    dgamma = (dout * x_hat).sum(axis=lead)
    dbeta = dout.sum(axis=lead)
    dxhat = dout * gamma
    dx = inv_std / d * (d * dxhat - dxhat.sum(axis=-1, keepdims=True)
                        - x_hat * (dxhat * x_hat).sum(axis=-1, keepdims=True))
    return dx, dgamma, dbeta


# --------------------------------------------------------------------------- dropout (8.3)

def dropout(H, p, rng, train=True):
    r"""Inverted dropout: :math:`\tilde h = m \odot h / (1 - p)` with :math:`m_i \sim \mathrm{Bernoulli}(1-p)`.

    Dividing by the keep probability :math:`1-p` makes :math:`\mathbb E[\tilde h] = h`, so nothing
    needs rescaling at evaluation time, where dropout is the identity.

    Parameters
    ----------
    H : ndarray of any shape
        Activations.
    p : float in [0, 1)
        The probability of DROPPING each unit (``p = 0`` keeps everything).
    rng : numpy.random.Generator
        Source of the mask (may be ``None`` when ``train`` is False).
    train : bool
        Apply dropout (True) or return ``H`` unchanged (False).

    Returns
    -------
    out : ndarray, same shape as ``H``
    mask : ndarray of float, same shape as ``H``
        The 0/1 keep mask (all ones in evaluation mode).

    Raises
    ------
    ValueError
        If ``p`` is not in [0, 1) (``p = 1`` would divide by zero).
    """
    fn = "dropout"
    H = as_float_array(H, "H", fn)
    p = check_probability(p, "p", fn)
    if not isinstance(train, (bool, np.bool_)):
        raise TypeError(f"{fn}: train must be True or False, got {train!r}")
    if not train:
        return H.copy(), np.ones_like(H)
    rng = check_rng(rng, fn)
    mask = (rng.random(H.shape) >= p).astype(np.float64)
    return H * mask / (1.0 - p), mask


# --------------------------------------------------------------------------- weight decay (8.4)

def _as_list(params, fn):
    if isinstance(params, np.ndarray):
        raise TypeError(f"{fn}: params must be a list of arrays, got a single ndarray; wrap it: [W]")
    return [as_float_array(p, f"params[{i}]", fn) for i, p in enumerate(params)]


def weight_decay_penalty(params: Sequence[np.ndarray], lam: float) -> float:
    r"""The L2 penalty :math:`\lambda \lVert\theta\rVert^2 = \lambda\sum_j\sum_k \theta_{jk}^2` (add it to the loss).

    Parameters
    ----------
    params : list of ndarray
        Usually the weight matrices only (biases and norm gains are normally not decayed).
    lam : float >= 0
    """
    lam = check_positive(lam, "lam", "weight_decay_penalty", allow_zero=True)
    return lam * float(sum(np.sum(p * p) for p in _as_list(params, "weight_decay_penalty")))


def weight_decay_grad(params: Sequence[np.ndarray], lam: float) -> list[np.ndarray]:
    r"""Gradient of the penalty, :math:`2\lambda\theta` for each array (add it to the data gradient).

    With plain SGD this shrinks every weight by the factor :math:`1 - 2\eta\lambda` per step. With
    Adam the penalty's gradient is divided by :math:`\sqrt{\hat v}` like any other, so weights with
    large gradients are barely decayed; AdamW instead decays outside the adaptive step
    (:func:`decoupled_weight_decay`).
    """
    lam = check_positive(lam, "lam", "weight_decay_grad", allow_zero=True)
    return [2.0 * lam * p for p in _as_list(params, "weight_decay_grad")]


def decoupled_weight_decay(params: Sequence[np.ndarray], lr: float, wd: float) -> list[np.ndarray]:
    r"""AdamW's decoupled decay :math:`\theta \leftarrow \theta - \eta\,\mathrm{wd}\,\theta`, applied besides the optimizer step.

    Not the gradient of a penalty: it shrinks every weight by the same factor :math:`1 - \eta\,\mathrm{wd}`
    whatever the optimizer's per-parameter scaling. (For SGD it equals the L2 penalty with
    :math:`\lambda = \mathrm{wd}/2`.)
    """
    lr = check_positive(lr, "lr", "decoupled_weight_decay", allow_zero=True)
    wd = check_positive(wd, "wd", "decoupled_weight_decay", allow_zero=True)
    return [p * (1.0 - lr * wd) for p in _as_list(params, "decoupled_weight_decay")]


# --------------------------------------------------------------------------- early stopping (8.5)

class EarlyStopping(NamedTuple):
    """Result of :func:`early_stopping` (epochs are 0-based indices into the loss sequence)."""

    stop_epoch: int  #: the last epoch that is run
    best_epoch: int  #: the epoch whose weights to keep (the last improvement; the lowest loss if min_delta = 0)
    stopped_early: bool  #: False if the patience never ran out


def early_stopping(val_losses, patience: int, min_delta: float = 0.0) -> EarlyStopping:
    r"""When patience-based early stopping halts, and which epoch it keeps.

    An epoch *improves* if its validation loss is below the best so far by more than ``min_delta``.
    Training stops at the first epoch that is ``patience`` epochs after the last improvement.

    Parameters
    ----------
    val_losses : sequence of float, length >= 1
        Validation loss after each epoch.
    patience : int >= 1
        Epochs without improvement to tolerate.
    min_delta : float >= 0

    Returns
    -------
    EarlyStopping
        ``(stop_epoch, best_epoch, stopped_early)``.
    """
    fn = "early_stopping"
    losses = as_float_array(val_losses, "val_losses", fn, ndim=1)
    if losses.size == 0:
        raise ValueError(f"{fn}: val_losses is empty; expected at least one epoch")
    if np.any(np.isnan(losses)):
        raise ValueError(f"{fn}: val_losses contains nan at epoch {int(np.argmax(np.isnan(losses)))}")
    patience = check_positive_int(patience, "patience", fn)
    min_delta = check_positive(min_delta, "min_delta", fn, allow_zero=True)
    best, best_epoch = losses[0], 0
    for epoch in range(1, len(losses)):
        if losses[epoch] < best - min_delta:
            best, best_epoch = losses[epoch], epoch
        elif epoch - best_epoch >= patience:
            return EarlyStopping(epoch, best_epoch, True)
    return EarlyStopping(len(losses) - 1, best_epoch, False)
