r"""Section 4: backpropagation through affine layers and activations.

Each ``*_backward`` takes the upstream gradient ``d<output>`` (same shape as the forward output)
and returns the gradient with respect to each input, with the input's shape: the chain rule
:math:`\partial L/\partial x = (\partial z/\partial x)^\top \partial L/\partial z`, done with matrices.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from ._validate import as_float_array, as_labels, check_dim
from .activations import Activation, get_activation
from .forward import Layer, MLPCache, check_stack, mlp_forward
from .losses import softmax_cross_entropy_with_grad

__all__ = ["affine_backward", "activation_backward", "mlp_backward", "mlp_loss_and_grads", "two_layer_loss_and_grads"]


def affine_backward(dZ, X, W):
    r"""Gradients of an affine layer :math:`Z = X W^\top + b`.

    Parameters
    ----------
    dZ : ndarray of shape (B, d_out)
        Upstream gradient :math:`\partial L/\partial Z`.
    X : ndarray of shape (B, d_in)
        The layer's input from the forward pass.
    W : ndarray of shape (d_out, d_in)

    Returns
    -------
    dX : ndarray of shape (B, d_in)
        :math:`dZ\, W`.
    dW : ndarray of shape (d_out, d_in)
        :math:`dZ^\top X`: a sum over the batch of outer products :math:`\delta_i x_i^\top`.
    db : ndarray of shape (d_out,)
        :math:`\sum_i \delta_i`: the bias is added to every row, so its gradient sums over rows.
    """
    fn = "affine_backward"
    dZ = as_float_array(dZ, "dZ", fn, ndim=2)
    X = as_float_array(X, "X", fn, ndim=2)
    W = as_float_array(W, "W", fn, ndim=2)
    check_dim(W, 1, X.shape[1], "W", fn, f"(d_out, d_in) = ({W.shape[0]}, {X.shape[1]}) to match X of shape {X.shape}")
    if dZ.shape != (X.shape[0], W.shape[0]):
        raise ValueError(
            f"{fn}: dZ has shape {dZ.shape}, expected (B, d_out) = ({X.shape[0]}, {W.shape[0]}) from X {X.shape} and W {W.shape}"
        )
    return dZ @ W, dZ.T @ X, dZ.sum(axis=0)


def activation_backward(dH, Z, activation):
    r"""Gradient through an elementwise activation: :math:`\delta_z = \delta_a \odot \phi'(z)`.

    Parameters
    ----------
    dH : ndarray
        Upstream gradient :math:`\partial L/\partial H`, same shape as ``Z``.
    Z : ndarray
        The pre-activation from the forward pass.
    activation : Activation or str
    """
    dH = as_float_array(dH, "dH", "activation_backward")
    Z = as_float_array(Z, "Z", "activation_backward")
    if dH.shape != Z.shape:
        raise ValueError(f"activation_backward: dH has shape {dH.shape} but Z has shape {Z.shape}; they must match")
    _, f_grad = get_activation(activation)
    return dH * f_grad(Z)


def two_layer_loss_and_grads(X, y, W1, b1, W2, b2):
    r"""Mean softmax cross-entropy of a two-layer ReLU network and its gradient for every parameter.

    Forward: :math:`Z_1 = X W_1^\top + b_1`, :math:`H_1 = \mathrm{relu}(Z_1)`,
    :math:`Z_2 = H_1 W_2^\top + b_2` (the logits), :math:`L = -\frac1B \sum_i \log \mathrm{softmax}(Z_2)_{i, y_i}`.
    Backward (section 4.4): :math:`dZ_2 = (P - Y)/B`; :math:`dW_2 = dZ_2^\top H_1`, :math:`db_2 = \sum_i dZ_{2,i}`;
    :math:`dH_1 = dZ_2 W_2`; :math:`dZ_1 = dH_1 \odot 1[Z_1 > 0]`; :math:`dW_1 = dZ_1^\top X`,
    :math:`db_1 = \sum_i dZ_{1,i}`.

    Parameters
    ----------
    X : ndarray of shape (B, d_in)
    y : ndarray of int, shape (B,)
        Class labels in ``[0, C)``.
    W1 : ndarray of shape (d_1, d_in)
    b1 : ndarray of shape (d_1,)
    W2 : ndarray of shape (C, d_1)
    b2 : ndarray of shape (C,)

    Returns
    -------
    loss : float
    grads : dict
        ``{"W1": (d_1, d_in), "b1": (d_1,), "W2": (C, d_1), "b2": (C,)}``, each the gradient of ``loss``
        with respect to the parameter of that name, with its shape.

    Notes
    -----
    The ReLU derivative at exactly 0 is taken as 0 (as in :func:`helpers.activations.relu_grad`).
    """
    fn = "two_layer_loss_and_grads"
    X = as_float_array(X, "X", fn, ndim=2)
    W1, b1, W2, b2 = check_stack(W1, b1, W2, b2, fn, d_in="d_in", hidden="d_1", out="C", X=X)
    y = as_labels(y, "y", fn, X.shape[0], W2.shape[0])
    Z1 = X @ W1.T + b1
    H1 = np.maximum(Z1, 0.0)
    Z2 = H1 @ W2.T + b2
    loss, dZ2 = softmax_cross_entropy_with_grad(Z2, y)
    dH1 = dZ2 @ W2
    dZ1 = dH1 * (Z1 > 0)
    return loss, {"W1": dZ1.T @ X, "b1": dZ1.sum(axis=0), "W2": dZ2.T @ H1, "b2": dZ2.sum(axis=0)}


def mlp_backward(dlogits, cache: MLPCache, layers: Sequence[Layer], input_grad: bool = True):
    r"""Reverse accumulation through an MLP built by :func:`helpers.forward.mlp_forward`.

    Walks the layers from last to first: :math:`\delta_L \to \delta_{L-1} \to \cdots`, reusing each
    layer's stored input and pre-activation.

    Parameters
    ----------
    dlogits : ndarray of shape (B, d_L)
    cache : MLPCache
    layers : sequence of Layer
    input_grad : bool, default True
        Also compute the gradient with respect to the network's input ``X``. Training does not need
        it (``X`` is data), and skipping it saves the first layer's largest matrix product.

    Returns
    -------
    grads : list of Layer
        ``grads[l] = Layer(dW_l, db_l)``, shapes as ``layers[l]``.
    dX : ndarray of shape (B, d_0), or None if ``input_grad`` is False
    """
    if len(layers) != len(cache.pre):
        raise ValueError(f"mlp_backward: {len(layers)} layers but the cache holds {len(cache.pre)}")
    dZ = as_float_array(dlogits, "dlogits", "mlp_backward", ndim=2)
    if dZ.shape != cache.pre[-1].shape:
        raise ValueError(f"mlp_backward: dlogits has shape {dZ.shape}, expected {cache.pre[-1].shape}")
    Ws = []
    for l, (L, H) in enumerate(zip(layers, cache.inputs)):
        W = as_float_array(L.W, f"layers[{l}].W", "mlp_backward", ndim=2)
        expected = (cache.pre[l].shape[1] if cache.pre[l] is not None else cache.inputs[l + 1].shape[1], H.shape[1])
        if W.shape != expected:
            raise ValueError(f"mlp_backward: layers[{l}].W has shape {W.shape}, expected {expected} from the cache")
        Ws.append(W)
    # the shapes are checked once, above; the loop is affine_backward without its per-call checks
    _, f_grad = get_activation(cache.activation)
    relu_gate = cache.activation is Activation.RELU
    grads = [None] * len(layers)
    dH = None
    for l in range(len(layers) - 1, -1, -1):
        grads[l] = Layer(dZ.T @ cache.inputs[l], dZ.sum(axis=0))
        if l > 0 or input_grad:
            dH = dZ @ Ws[l]
        if l > 0:
            if relu_gate:
                # delta * 1[z > 0] with 1[z > 0] = 1[h > 0], so the output suffices (the cache may
                # hold no Z). In place: dH is a fresh product, and multiplying by the boolean mask
                # is several times faster than selecting with np.where on a random mask.
                dH *= cache.inputs[l] > 0
                dZ = dH
            else:
                dZ = dH * f_grad(cache.pre[l - 1])
    return grads, dH


def mlp_loss_and_grads(X, y, layers: Sequence[Layer], activation="relu", weight_decay: float = 0.0):
    r"""Softmax cross-entropy of an MLP on ``(X, y)`` and its gradient for every layer.

    The objective is :math:`L + \lambda \sum_l \lVert W_l\rVert^2` (biases are not decayed), so
    each weight gradient gains :math:`2\lambda W_l`.

    Returns
    -------
    loss : float
    grads : list of Layer
    """
    logits, cache = mlp_forward(X, layers, activation, keep_pre=False)
    loss, dlogits = softmax_cross_entropy_with_grad(logits, y)
    grads, _ = mlp_backward(dlogits, cache, layers, input_grad=False)
    if weight_decay:
        loss += weight_decay * sum(float(np.sum(L.W * L.W)) for L in layers)
        grads = [Layer(g.W + 2.0 * weight_decay * L.W, g.b) for g, L in zip(grads, layers)]
    return loss, grads
