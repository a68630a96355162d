r"""Section 2: the forward pass of a multilayer perceptron.

Conventions (batch first): ``X`` is ``(B, d_in)``, a layer's ``W`` is ``(d_out, d_in)`` and ``b``
is ``(d_out,)``, so one affine layer is ``Z = X @ W.T + b`` of shape ``(B, d_out)``.
"""
from __future__ import annotations

from typing import NamedTuple, Sequence

import numpy as np

from ._validate import as_float_array, check_dim
from .activations import Activation, get_activation, relu

__all__ = ["Layer", "MLPCache", "check_stack", "affine_forward", "affine_forward_loop", "apply_activation",
           "mlp_forward", "two_layer_forward", "predict"]


class Layer(NamedTuple):
    """The parameters of one affine layer."""

    W: np.ndarray  #: (d_out, d_in)
    b: np.ndarray  #: (d_out,)


class MLPCache(NamedTuple):
    """What backpropagation needs from a forward pass of an L-layer MLP.

    ``inputs[l]`` is the input of layer l (``inputs[0]`` is X), shape ``(B, d_l)``;
    ``pre[l]`` is layer l's pre-activation ``Z_l``, shape ``(B, d_{l+1})``, or ``None`` for a hidden
    ReLU layer when :func:`mlp_forward` ran with ``keep_pre=False``: ReLU's slope :math:`1[z > 0]`
    equals :math:`1[h > 0]`, so its output ``inputs[l + 1]`` is all backprop needs.
    """

    inputs: tuple
    pre: tuple
    activation: Activation


def _check_affine(X, W, b, fn):
    X = as_float_array(X, "X", fn, ndim=2)
    W = as_float_array(W, "W", fn, ndim=2)
    b = as_float_array(b, "b", fn, ndim=1)
    d_in = X.shape[1]
    check_dim(W, 1, d_in, "W", fn, f"(d_out, d_in) = ({W.shape[0]}, {d_in}) to match X of shape {X.shape}")
    check_dim(b, 0, W.shape[0], "b", fn, f"(d_out,) = ({W.shape[0]},) to match W of shape {W.shape}")
    return X, W, b


def check_stack(W1, b1, W2, b2, fn, d_in="d_0", hidden="d_1", out="d_2", X=None):
    """Validate two stacked affine layers (and their input ``X`` if given); return them as float64.

    ``d_in``, ``hidden`` and ``out`` are the symbols the error messages use for the three widths.
    """
    W1, b1, W2, b2 = (as_float_array(a, n, fn, ndim=k)
                      for a, n, k in ((W1, "W1", 2), (b1, "b1", 1), (W2, "W2", 2), (b2, "b2", 1)))
    d1 = W1.shape[0]
    if X is not None:
        check_dim(W1, 1, X.shape[1], "W1", fn, f"({hidden}, {d_in}) = ({d1}, {X.shape[1]}) to match X of shape {X.shape}")
    check_dim(b1, 0, d1, "b1", fn, f"({hidden},) = ({d1},) to match W1 of shape {W1.shape}")
    check_dim(W2, 1, d1, "W2", fn, f"({out}, {hidden}) = ({W2.shape[0]}, {d1}) to match W1 of shape {W1.shape}")
    check_dim(b2, 0, W2.shape[0], "b2", fn, f"({out},) = ({W2.shape[0]},) to match W2 of shape {W2.shape}")
    return W1, b1, W2, b2


def affine_forward(X, W, b):
    r"""One affine layer on a batch: :math:`Z = X W^\top + \mathbf 1 b^\top`.

    Parameters
    ----------
    X : ndarray of shape (B, d_in)
        One example per row.
    W : ndarray of shape (d_out, d_in)
        Row j holds the weights of output unit j.
    b : ndarray of shape (d_out,)
        Added to every row (broadcast over the batch).

    Returns
    -------
    Z : ndarray of shape (B, d_out)

    Raises
    ------
    ValueError
        If the shapes do not fit together (the message names the argument and both shapes).
    """
    X, W, b = _check_affine(X, W, b, "affine_forward")
    Z = X @ W.T
    Z += b  # in place: one (B, d_out) array instead of two
    return Z


def affine_forward_loop(X, W, b):
    r"""The same as :func:`affine_forward`, one example and one unit at a time.

    :math:`z_{ij} = \sum_k W_{jk} x_{ik} + b_j`. Slow on purpose: it shows what the single
    matrix product in :func:`affine_forward` computes, and lets us time the difference.
    """
    X, W, b = _check_affine(X, W, b, "affine_forward_loop")
    B, d_out = X.shape[0], W.shape[0]
    Z = np.empty((B, d_out))
    for i in range(B):
        for j in range(d_out):
            Z[i, j] = sum(W[j, k] * X[i, k] for k in range(X.shape[1])) + b[j]
    return Z


def apply_activation(Z, activation=Activation.RELU):
    r"""Apply an elementwise nonlinearity :math:`H = \phi(Z)`; ``activation`` is an :class:`Activation` or its name."""
    f, _ = get_activation(activation)
    return f(Z)


def mlp_forward(X, layers: Sequence[Layer], activation=Activation.RELU, keep_pre: bool = True):
    r"""Forward pass of an MLP: :math:`H_{l+1} = \phi(H_l W_l^\top + \mathbf 1 b_l^\top)`, linear last layer.

    Parameters
    ----------
    X : ndarray of shape (B, d_0)
    layers : sequence of Layer
        ``layers[l].W`` has shape ``(d_{l+1}, d_l)``.
    activation : Activation or str
        The nonlinearity after every layer but the last.
    keep_pre : bool, default True
        Keep every pre-activation in the cache. With ``False`` and ReLU, each hidden ReLU is applied
        in place, overwriting ``Z_l`` (and ``cache.pre[l]`` is ``None``): backprop only needs the sign
        of the output, and skipping one ``(B, d)`` array per layer is what makes a training step cheap.
        PyTorch's ``ReLU(inplace=True)`` relies on the same fact. Other activations always keep ``Z``,
        whose derivative needs it.

    Returns
    -------
    logits : ndarray of shape (B, d_L)
        The last layer's pre-activation (no softmax).
    cache : MLPCache
        Every layer's input and pre-activation, for :func:`helpers.backprop.mlp_backward`.
    """
    if len(layers) == 0:
        raise ValueError("mlp_forward: layers is empty; expected at least one Layer(W, b)")
    act = Activation(activation)
    f, _ = get_activation(act)
    H = as_float_array(X, "X", "mlp_forward", ndim=2)
    in_place = not keep_pre and act is Activation.RELU
    inputs, pre = [], []
    for l, (W, b) in enumerate(layers):
        try:
            Z = affine_forward(H, W, b)
        except ValueError as err:
            raise ValueError(f"mlp_forward: layer {l}: {err}") from None
        inputs.append(H)
        if l == len(layers) - 1:
            pre.append(Z)
            H = Z
        elif in_place:
            pre.append(None)
            H = np.maximum(Z, 0.0, out=Z)
        else:
            pre.append(Z)
            H = f(Z)
    return H, MLPCache(tuple(inputs), tuple(pre), act)


def two_layer_forward(X, W1, b1, W2, b2):
    r"""Two-layer network: ReLU hidden layer, linear head. :math:`\mathrm{logits} = \mathrm{relu}(X W_1^\top + b_1) W_2^\top + b_2`.

    Parameters
    ----------
    X : ndarray of shape (B, d_in)
    W1 : ndarray of shape (d_hidden, d_in)
    b1 : ndarray of shape (d_hidden,)
    W2 : ndarray of shape (C, d_hidden)
    b2 : ndarray of shape (C,)

    Returns
    -------
    logits : ndarray of shape (B, C)
    """
    fn = "two_layer_forward"
    X = as_float_array(X, "X", fn, ndim=2)
    W1, b1, W2, b2 = check_stack(W1, b1, W2, b2, fn, d_in="d_in", hidden="d_hidden", out="C", X=X)
    H = relu(X @ W1.T + b1)
    return H @ W2.T + b2


def predict(logits):
    """Predicted class per row: ``argmax`` over the last axis. ``(B, C) -> (B,)``."""
    logits = as_float_array(logits, "logits", "predict", ndim=2)
    return np.argmax(logits, axis=1)
