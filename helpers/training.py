r"""A small, fast, deterministic training loop for MLP classifiers, with the logs diagnostics need.

:func:`train_mlp` runs minibatch training of an MLP (:func:`helpers.forward.mlp_forward`) on
softmax cross-entropy with any optimizer of :mod:`helpers.optim`, and records, at every step,
what section 10 teaches you to watch: the loss, validation loss and accuracy, the gradient norm
of every layer, the mean, standard deviation and dead fraction of every hidden layer's
activations, and the size of every update relative to its weights. The record is a
:class:`TrainLog`, a ``NamedTuple`` of arrays with one row per step.

Everything is float64 and driven by an explicit ``rng`` (minibatch order only), so the same
call gives the same log, bit for bit.
"""
from __future__ import annotations

from typing import Callable, NamedTuple, Sequence

import numpy as np

from ._validate import as_float_array, as_labels, check_positive, check_positive_int, check_rng
from .activations import Activation, get_activation
from .forward import Layer, mlp_forward
from .optim import clip_by_global_norm, flatten_layers, unflatten_layers

__all__ = ["TrainLog", "train_mlp", "mlp_forward_normed",
           "mlp_backward_normed", "evaluate"]



class TrainLog(NamedTuple):
    r"""What :func:`train_mlp` records, one row per optimizer step ``t = 0 .. T-1``.

    ``L`` is the number of layers (weight matrices); the ``L - 1`` hidden layers are the ones
    followed by the activation. Statistics of step ``t`` come from the forward and backward pass
    on that step's minibatch, *before* the update of step ``t``.

    If the loss becomes ``nan`` or ``inf`` training stops: the last row is the non-finite step,
    so ``T`` can be smaller than the number of steps asked for.

    ``act_mean`` and ``act_std`` come from the step's minibatch; ``dead_frac`` from a forward pass over the whole
    training set with the same parameters, because a unit that is silent on the 64 examples of one minibatch may
    fire on others (measured on minibatches, a healthy network seems to lose units it does not lose).
    """

    step: np.ndarray  #: (T,) int, the step index
    lr: np.ndarray  #: (T,) learning rate used at the step
    train_loss: np.ndarray  #: (T,) mean cross-entropy on the step's minibatch (no weight-decay term)
    train_acc: np.ndarray  #: (T,) accuracy on the step's minibatch
    val_loss: np.ndarray  #: (T,) mean cross-entropy on the whole validation set (nan without one)
    val_acc: np.ndarray  #: (T,) accuracy on the validation set (nan without one)
    grad_norm: np.ndarray  #: (T, L) Frobenius norm of layer l's gradient, sqrt(||dW_l||^2 + ||db_l||^2)
    act_mean: np.ndarray  #: (T, L-1) mean of hidden layer l's activations H_l over batch and units
    act_std: np.ndarray  #: (T, L-1) standard deviation of H_l over batch and units
    dead_frac: np.ndarray  #: (T, L-1) fraction of layer l's units whose output is 0 on every training example
    update_ratio: np.ndarray  #: (T, L) ||W_l(after) - W_l(before)||_F / ||W_l(before)||_F


def _fast_activation(act: Activation):
    """``(f, f_grad)`` without per-call validation for the activations training uses most; else the reference pair."""
    if act is Activation.RELU:
        return (lambda Z: np.maximum(Z, 0.0)), (lambda Z: (Z > 0).astype(np.float64))
    if act is Activation.TANH:
        return np.tanh, (lambda Z: 1.0 - np.tanh(Z) ** 2)
    if act is Activation.SIGMOID:
        # sigma(z) = (1 + tanh(z/2)) / 2 exactly, and tanh never overflows
        return (lambda Z: 0.5 + 0.5 * np.tanh(0.5 * Z)), (lambda Z: 0.25 * (1.0 - np.tanh(0.5 * Z) ** 2))
    return get_activation(act)


class _Cache(NamedTuple):
    inputs: tuple  # input of each layer, (B, d_l)
    pre: tuple  # what goes into each hidden activation (after LayerNorm if used); the logits last
    inv_std: tuple  # LayerNorm's 1/std of each hidden layer (empty without normalization)
    activation: Activation


def _forward(H, layers, act, f, normed):
    """The forward pass without input validation (train_mlp validates once, not at every step)."""
    inputs, pre, inv = [], [], []
    last = len(layers) - 1
    for l, (W, b) in enumerate(layers):
        Z = H @ W.T + b
        inputs.append(H)
        if l < last:
            if normed:  # helpers.norm.layer_norm with gamma = 1, beta = 0, inlined: it runs at every step
                mu = Z.mean(axis=1, keepdims=True)
                s = 1.0 / np.sqrt(Z.var(axis=1, keepdims=True) + 1e-5)
                Z = (Z - mu) * s
                inv.append(s)
            H = f(Z)
        pre.append(Z)
    return Z, _Cache(tuple(inputs), tuple(pre), tuple(inv), act)


def _backward(dZ, cache, layers, f_grad, normed, derivs=None):
    """Reverse pass; ``derivs[l]`` may hold the already computed ``f_grad(cache.pre[l])``."""
    grads = [None] * len(layers)
    dH = None
    for l in range(len(layers) - 1, -1, -1):
        grads[l] = Layer(dZ.T @ cache.inputs[l], dZ.sum(axis=0))
        dH = dZ @ layers[l].W
        if l > 0:
            dZ = dH * (f_grad(cache.pre[l - 1]) if derivs is None else derivs[l - 1])
            if normed:
                Zhat, s = cache.pre[l - 1], cache.inv_std[l - 1]
                dZ = s * (dZ - dZ.mean(axis=1, keepdims=True) - Zhat * (dZ * Zhat).mean(axis=1, keepdims=True))
    return grads, dH


def mlp_forward_normed(X, layers: Sequence[Layer], activation="relu"):
    r"""MLP with a parameter-free LayerNorm before every hidden activation: :math:`H_l = \phi(\mathrm{LN}(H_{l-1} W_l^\top + b_l))`.

    Parameters
    ----------
    X : ndarray of shape (B, d_0)
    layers : sequence of Layer
    activation : Activation or str

    Returns
    -------
    logits : ndarray of shape (B, d_L)
    cache : for :func:`mlp_backward_normed`
    """
    act = Activation(activation)
    H = as_float_array(X, "X", "mlp_forward_normed", ndim=2)
    d = H.shape[1]
    for l, (W, b) in enumerate(layers):
        if W.ndim != 2 or W.shape[1] != d or np.shape(b) != (W.shape[0],):
            raise ValueError(f"mlp_forward_normed: layer {l} has W {np.shape(W)} and b {np.shape(b)}, "
                             f"expected W (d_out, {d}) and b (d_out,)")
        d = W.shape[0]
    return _forward(H, layers, act, get_activation(act)[0], True)


def mlp_backward_normed(dlogits, cache: _Cache, layers: Sequence[Layer]):
    """Backward pass of :func:`mlp_forward_normed`; returns ``(grads, dX)`` like :func:`helpers.backprop.mlp_backward`."""
    dZ = as_float_array(dlogits, "dlogits", "mlp_backward_normed", ndim=2)
    if dZ.shape != cache.pre[-1].shape:
        raise ValueError(f"mlp_backward_normed: dlogits has shape {dZ.shape}, expected {cache.pre[-1].shape}")
    return _backward(dZ, cache, layers, get_activation(cache.activation)[1], True)


# ---------------------------------------------------------------------------------------------


def _loss_acc(logits, y):
    """Mean cross-entropy and accuracy; nan when the logits are not finite."""
    if not np.all(np.isfinite(logits)):
        return np.nan, np.nan
    S = logits - logits.max(axis=1, keepdims=True)
    lp = S - np.log(np.exp(S).sum(axis=1, keepdims=True))
    return float(-np.mean(lp[np.arange(len(y)), y])), float(np.mean(np.argmax(logits, axis=1) == y))


def evaluate(X, y, layers: Sequence[Layer], activation="relu", norm: str | None = None):
    """Mean cross-entropy and accuracy of an MLP on ``(X, y)``: ``(loss, acc)``, both floats."""
    forward = mlp_forward_normed if norm == "layer" else mlp_forward
    with np.errstate(all="ignore"):
        logits, _ = forward(X, layers, activation)
    y = as_labels(y, "y", "evaluate", logits.shape[0], logits.shape[1])
    return _loss_acc(logits, y)


def train_mlp(X, y, layers: Sequence[Layer], optimizer, *, steps: int | None = None, epochs: int | None = None,
              batch_size: int | None = None, rng=None, activation="relu", X_val=None, y_val=None,
              weight_decay: float = 0.0, clip: float | None = None,
              schedule: Callable[[int], float] | None = None, norm: str | None = None):
    r"""Train an MLP classifier with minibatch gradient steps and log what diagnostics need.

    Each step: draw the next minibatch (a fresh permutation of the training set every epoch),
    forward, softmax cross-entropy, backward, add the weight-decay gradient :math:`2\lambda W`,
    clip by global norm if asked, then ``optimizer.step``.

    Parameters
    ----------
    X : ndarray of shape (n, d_0)
    y : ndarray of int, shape (n,)
        Labels in ``[0, C)`` with ``C = layers[-1].W.shape[0]``.
    layers : sequence of Layer
        The starting parameters (not modified; the trained ones are returned).
    optimizer : helpers.optim.SGD, Momentum or Adam
        Anything with ``init(params)`` and ``step(params, grads, state, lr=None)``.
    steps, epochs : int
        How long to train; give exactly one. An epoch is ``ceil(n / batch_size)`` steps.
    batch_size : int, optional
        Minibatch size; ``None`` means the full training set (deterministic gradient descent).
    rng : numpy.random.Generator
        Shuffles the minibatches.
    activation : Activation or str
        The hidden nonlinearity.
    X_val, y_val : ndarray, optional
        A validation set, evaluated at every step.
    weight_decay : float
        :math:`\lambda` in :math:`L + \lambda \sum_l \lVert W_l\rVert^2` (biases are not decayed).
    clip : float, optional
        Clip the gradient to this global norm: :math:`g \min(1, c/\lVert g\rVert)`.
    schedule : callable, optional
        ``schedule(t) -> lr`` for step ``t``; default: the optimizer's own ``lr``.
    norm : {None, "layer"}
        ``"layer"`` puts a parameter-free LayerNorm before every hidden activation.

    Returns
    -------
    layers : list of Layer
        The trained parameters.
    log : TrainLog
        One row per step; see :class:`TrainLog`.
    """
    fn = "train_mlp"
    rng = check_rng(rng, fn)
    X = as_float_array(X, "X", fn, ndim=2)
    layers = [Layer(as_float_array(L.W, f"layers[{i}].W", fn, ndim=2), as_float_array(L.b, f"layers[{i}].b", fn, ndim=1))
              for i, L in enumerate(layers)]
    if not layers:
        raise ValueError(f"{fn}: layers is empty; expected at least one Layer(W, b)")
    if layers[0].W.shape[1] != X.shape[1]:
        raise ValueError(f"{fn}: X has shape {X.shape} but layers[0].W has shape {layers[0].W.shape}; "
                         f"expected W of shape (d_1, {X.shape[1]})")
    C = layers[-1].W.shape[0]
    n = X.shape[0]
    y = as_labels(y, "y", fn, n, C)
    has_val = X_val is not None or y_val is not None
    if has_val:
        if X_val is None or y_val is None:
            raise ValueError(f"{fn}: give both X_val and y_val, or neither")
        X_val = as_float_array(X_val, "X_val", fn, ndim=2)
        if X_val.shape[1] != X.shape[1]:
            raise ValueError(f"{fn}: X_val has shape {X_val.shape}, expected (n_val, {X.shape[1]}) like X {X.shape}")
        y_val = as_labels(y_val, "y_val", fn, X_val.shape[0], C)
    if (steps is None) == (epochs is None):
        raise ValueError(f"{fn}: give exactly one of steps and epochs, got steps={steps!r}, epochs={epochs!r}")
    batch = n if batch_size is None else min(check_positive_int(batch_size, "batch_size", fn), n)
    per_epoch = -(-n // batch)
    total = check_positive_int(steps, "steps", fn) if steps is not None else check_positive_int(epochs, "epochs", fn) * per_epoch
    weight_decay = check_positive(weight_decay, "weight_decay", fn, allow_zero=True)
    if clip is not None:
        check_positive(clip, "clip", fn)
    if norm not in (None, "layer"):
        raise ValueError(f"{fn}: norm must be None or 'layer', got {norm!r}")
    act = Activation(activation)
    f_act, f_grad = _fast_activation(act)
    normed = norm == "layer"

    L = len(layers)
    rows = {k: np.full(total, np.nan) for k in ("lr", "train_loss", "train_acc", "val_loss", "val_acc")}
    grad_norm = np.full((total, L), np.nan)
    update_ratio = np.full((total, L), np.nan)
    act_mean = np.full((total, L - 1), np.nan)
    act_std = np.full((total, L - 1), np.nan)
    dead_frac = np.full((total, L - 1), np.nan)

    params = flatten_layers(layers)
    state = optimizer.init(params)
    order = rng.permutation(n)
    pos = 0
    T = total
    with np.errstate(all="ignore"):
        for t in range(total):
            if pos >= n:
                order, pos = rng.permutation(n), 0
            idx = order[pos:pos + batch]
            pos += batch
            Xb, yb = X[idx], y[idx]
            logits, cache = _forward(Xb, layers, act, f_act, normed)
            loss, acc = _loss_acc(logits, yb)
            rows["train_loss"][t], rows["train_acc"][t] = loss, acc
            if has_val:
                rows["val_loss"][t], rows["val_acc"][t] = _loss_acc(_forward(X_val, layers, act, f_act, normed)[0], y_val)
            full = cache if len(idx) == n else _forward(X, layers, act, f_act, normed)[1]   # the whole training set
            for l in range(L - 1):
                H = cache.inputs[l + 1]
                m = H.mean()
                act_mean[t, l] = m
                act_std[t, l] = np.sqrt(max(np.vdot(H, H) / H.size - m * m, 0.0))
                H_all = full.inputs[l + 1]
                dead_frac[t, l] = 1.0 - np.count_nonzero(np.any(H_all, axis=0)) / H_all.shape[1]
            if not np.isfinite(loss):
                T = t + 1
                break
            P = np.exp(logits - logits.max(axis=1, keepdims=True))
            P /= P.sum(axis=1, keepdims=True)
            P[np.arange(len(yb)), yb] -= 1.0
            grads, _ = _backward(P / len(yb), cache, layers, f_grad, normed)
            if weight_decay:
                grads = [Layer(g.W + 2.0 * weight_decay * lay.W, g.b) for g, lay in zip(grads, layers)]
            grad_norm[t] = [np.sqrt(np.vdot(g.W, g.W) + np.vdot(g.b, g.b)) for g in grads]
            flat = flatten_layers(grads)
            if clip is not None:
                flat, _ = clip_by_global_norm(flat, clip)
            lr = float(schedule(t)) if schedule is not None else float(getattr(optimizer, "lr", np.nan))
            rows["lr"][t] = lr
            new, state = optimizer.step(params, flat, state, lr=lr if schedule is not None else None)
            new_layers = unflatten_layers(new)
            for l in range(L):
                w_norm = np.sqrt(np.vdot(layers[l].W, layers[l].W))
                dW = new_layers[l].W - layers[l].W
                update_ratio[t, l] = np.sqrt(np.vdot(dW, dW)) / w_norm if w_norm > 0 else np.inf
            params, layers = new, new_layers
    log = TrainLog(np.arange(T), rows["lr"][:T], rows["train_loss"][:T], rows["train_acc"][:T],
                   rows["val_loss"][:T], rows["val_acc"][:T], grad_norm[:T], act_mean[:T], act_std[:T],
                   dead_frac[:T], update_ratio[:T])
    return layers, log
