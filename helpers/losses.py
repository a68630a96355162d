r"""Section 3: loss functions.

Every loss is a mean over the batch (the empirical risk of that batch). The classification losses
take logits and never exponentiate anything larger than 0, so logits of magnitude 1e4 are fine.
"""
from __future__ import annotations

from typing import Callable, Iterable

import numpy as np

from ._validate import as_float_array, as_labels, check_positive, check_same_shape

__all__ = ["mse", "mse_grad", "bce", "bce_with_logits", "bce_with_logits_grad", "softmax", "log_softmax",
           "softmax_cross_entropy", "softmax_cross_entropy_grad", "softmax_cross_entropy_with_grad",
           "cross_entropy_per_example",
           "l2_penalty", "regularized_loss", "empirical_risk", "one_hot"]


def _as_targets(y_hat, y, fn):
    y_hat = as_float_array(y_hat, "y_hat", fn, ndim=(1, 2))
    y = as_float_array(y, "y", fn, ndim=(1, 2))
    check_same_shape(y_hat, y, "y_hat", "y", fn)
    return y_hat, y


def mse(y_hat, y):
    r"""Mean squared error :math:`L = \frac1n \sum_i \lVert \hat y_i - y_i \rVert^2`.

    Parameters
    ----------
    y_hat, y : ndarray of shape (n,) or (n, k)
        Predictions and targets; the squared error is summed over the k outputs, averaged over the n rows.

    Returns
    -------
    float
    """
    y_hat, y = _as_targets(y_hat, y, "mse")
    r = (y_hat - y).reshape(len(y), -1)
    return float(np.sum(r * r) / len(y))


def mse_grad(y_hat, y):
    r""":math:`\partial L/\partial \hat y = \frac2n (\hat y - y)`, same shape as ``y_hat``."""
    y_hat, y = _as_targets(y_hat, y, "mse_grad")
    return 2.0 * (y_hat - y) / len(y)


def bce(p, y):
    r"""Binary cross-entropy from probabilities, :math:`-\frac1n\sum_i [y_i \log p_i + (1-y_i)\log(1-p_i)]`.

    Parameters
    ----------
    p : ndarray of shape (n,)
        Predicted probabilities of class 1, in [0, 1].
    y : ndarray of shape (n,)
        Targets in [0, 1] (usually 0 or 1).

    Notes
    -----
    No ``eps`` is slipped inside the logs: a confident wrong answer (p = 0, y = 1) costs +inf,
    which is the truth. Feed logits to :func:`bce_with_logits` to avoid it.
    """
    p = as_float_array(p, "p", "bce", ndim=1)
    y = as_float_array(y, "y", "bce", ndim=1)
    check_same_shape(p, y, "p", "y", "bce")
    if np.any((p < 0) | (p > 1)):
        raise ValueError(f"bce: p must hold probabilities in [0, 1], got values in [{p.min()}, {p.max()}]")
    with np.errstate(divide="ignore", invalid="ignore"):
        pos = np.where(y > 0, y * np.log(p), 0.0)
        neg = np.where(y < 1, (1 - y) * np.log1p(-p), 0.0)
    return float(-np.mean(pos + neg))


def bce_with_logits(z, y):
    r"""Binary cross-entropy from logits :math:`z` (with :math:`p = \sigma(z)`), computed stably.

    :math:`\ell = \max(z, 0) - z y + \log(1 + e^{-|z|})`, which equals
    :math:`-[y\log\sigma(z) + (1-y)\log(1-\sigma(z))]` but never exponentiates a positive number.

    Parameters
    ----------
    z, y : ndarray of shape (n,)

    Returns
    -------
    float
    """
    z = as_float_array(z, "z", "bce_with_logits", ndim=1)
    y = as_float_array(y, "y", "bce_with_logits", ndim=1)
    check_same_shape(z, y, "z", "y", "bce_with_logits")
    return float(np.mean(np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z)))))


def bce_with_logits_grad(z, y):
    r""":math:`\partial L/\partial z_i = (\sigma(z_i) - y_i)/n`."""
    from .activations import sigmoid

    z = as_float_array(z, "z", "bce_with_logits_grad", ndim=1)
    y = as_float_array(y, "y", "bce_with_logits_grad", ndim=1)
    check_same_shape(z, y, "z", "y", "bce_with_logits_grad")
    return (sigmoid(z) - y) / len(z)


def softmax(Z):
    r"""Row-wise softmax :math:`p_{ij} = e^{z_{ij}} / \sum_k e^{z_{ik}}`.

    Parameters
    ----------
    Z : ndarray of shape (B, C)
        Logits, one row per example.

    Returns
    -------
    ndarray of shape (B, C)
        Each row is a probability vector (nonnegative, sums to 1).

    Notes
    -----
    The largest value in each row is subtracted before exponentiating. Softmax is unchanged by
    adding a constant to a row, and afterwards every exponent is at most 0, so ``exp`` cannot
    overflow; at least one term equals 1, so the sum cannot underflow to 0.
    """
    Z = as_float_array(Z, "Z", "softmax", ndim=2)
    E = np.exp(Z - Z.max(axis=1, keepdims=True))
    return E / E.sum(axis=1, keepdims=True)


def log_softmax(Z):
    r"""Row-wise :math:`\log p_{ij} = z_{ij} - m_i - \log\sum_k e^{z_{ik} - m_i}` with :math:`m_i = \max_k z_{ik}`.

    Finite for any finite logits, where ``np.log(softmax(Z))`` gives ``-inf`` once a probability underflows.
    """
    Z = as_float_array(Z, "Z", "log_softmax", ndim=2)
    S = Z - Z.max(axis=1, keepdims=True)
    return S - np.log(np.exp(S).sum(axis=1, keepdims=True))


def one_hot(y, classes: int):
    """``(B,)`` integer labels to a ``(B, classes)`` 0/1 matrix."""
    y = as_labels(y, "y", "one_hot", np.shape(y)[0] if np.ndim(y) == 1 else -1, classes)
    out = np.zeros((len(y), classes))
    out[np.arange(len(y)), y] = 1.0
    return out


def _check_logits_labels(logits, y, fn):
    logits = as_float_array(logits, "logits", fn, ndim=2)
    y = as_labels(y, "y", fn, logits.shape[0], logits.shape[1])
    return logits, y


def cross_entropy_per_example(logits, y):
    r"""Per-example loss :math:`\ell_i = -\log p_{i, y_i}`, shape ``(B,)``, from the log-softmax."""
    logits, y = _check_logits_labels(logits, y, "cross_entropy_per_example")
    return -log_softmax(logits)[np.arange(len(y)), y]


def softmax_cross_entropy(logits, y):
    r"""Mean softmax cross-entropy :math:`L = -\frac1B \sum_i \log p_{i, y_i}`.

    Parameters
    ----------
    logits : ndarray of shape (B, C)
    y : ndarray of int, shape (B,)
        Class labels in ``[0, C)``.

    Returns
    -------
    float

    Notes
    -----
    Computed from :func:`log_softmax`, so it is finite for logits of magnitude 1e4 (a naive
    ``-log(softmax(logits))`` gives ``inf`` or ``nan`` there).
    """
    logits, y = _check_logits_labels(logits, y, "softmax_cross_entropy")
    return float(-np.mean(log_softmax(logits)[np.arange(len(y)), y]))


def softmax_cross_entropy_grad(logits, y):
    r""":math:`\partial L/\partial z = (\mathrm{softmax}(z) - \mathrm{onehot}(y)) / B`, shape ``(B, C)``."""
    logits, y = _check_logits_labels(logits, y, "softmax_cross_entropy_grad")
    P = softmax(logits)
    P[np.arange(len(y)), y] -= 1.0
    return P / len(y)


def softmax_cross_entropy_with_grad(logits, y):
    r"""Both :func:`softmax_cross_entropy` and :func:`softmax_cross_entropy_grad` from one softmax.

    The shifted logits :math:`s = z - \max_k z_k` give the loss, :math:`\log\sum_k e^{s_k} - s_y`,
    and the probabilities :math:`e^{s}/\sum_k e^{s_k}` of the gradient, so the exponentials are
    computed once. A training step needs both.

    Returns
    -------
    loss : float
    dlogits : ndarray of shape (B, C)
    """
    logits, y = _check_logits_labels(logits, y, "softmax_cross_entropy_with_grad")
    rows = np.arange(len(y))
    S = logits - logits.max(axis=1, keepdims=True)
    E = np.exp(S)
    total = E.sum(axis=1, keepdims=True)
    loss = float(np.mean(np.log(total[:, 0]) - S[rows, y]))
    E /= total
    E[rows, y] -= 1.0
    E /= len(y)
    return loss, E


def l2_penalty(params: Iterable) -> float:
    r""":math:`R(\theta) = \sum_j \lVert \theta_j \rVert^2` over the given arrays (usually the weights, not the biases)."""
    return float(sum(np.sum(np.square(as_float_array(p, "params", "l2_penalty"))) for p in params))


def regularized_loss(data_loss: float, params: Iterable, lam: float) -> float:
    r"""The regularized objective :math:`L_\mathrm{total} = L + \lambda \sum_j \lVert\theta_j\rVert^2`."""
    lam = check_positive(lam, "lam", "regularized_loss", allow_zero=True)
    return float(data_loss) + lam * l2_penalty(params)


def empirical_risk(loss_per_example: Callable, model: Callable, X, y) -> float:
    r"""Empirical risk :math:`\hat R(\theta) = \frac1n \sum_i \ell(f_\theta(x_i), y_i)`.

    Parameters
    ----------
    loss_per_example : callable ``(predictions, y) -> ndarray of shape (n,)``
    model : callable ``X -> predictions``
    X : ndarray of shape (n, d_in)
    y : ndarray of shape (n,) or (n, k)
    """
    losses = np.asarray(loss_per_example(model(X), y), dtype=np.float64)
    if losses.shape != (len(X),):
        raise ValueError(
            f"empirical_risk: loss_per_example returned shape {losses.shape}, expected (n,) = ({len(X)},)"
        )
    return float(losses.mean())
