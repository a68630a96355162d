r"""Section 5: activation functions and their derivatives.

Every activation comes as a forward ``f(Z)`` and a derivative ``f_grad(Z)`` (the elementwise
:math:`f'(z)`), both on arrays of any shape, float64, and finite for every finite input.
The :class:`Activation` enum names them for the layer code in :mod:`helpers.forward`.
"""
from __future__ import annotations

import math
from enum import Enum
from typing import Callable, NamedTuple

import numpy as np

from ._validate import as_float_array, check_dim

__all__ = [
    "sigmoid", "sigmoid_grad", "tanh", "tanh_grad", "relu", "relu_grad", "identity", "identity_grad",
    "erf", "normal_cdf", "normal_pdf", "gelu", "gelu_grad", "swish", "swish_grad",
    "swiglu", "swiglu_backward", "SwiGLUCache", "Activation", "get_activation",
]

_SQRT2 = math.sqrt(2.0)
_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)


def sigmoid(Z):
    r"""Logistic sigmoid :math:`\sigma(z) = 1 / (1 + e^{-z})`, elementwise.

    Parameters
    ----------
    Z : array_like of any shape

    Returns
    -------
    ndarray of the same shape, values in [0, 1].

    Notes
    -----
    ``exp(-z)`` overflows for z below about -709. We only ever exponentiate ``-|z|`` (at most 1)
    and use :math:`\sigma(z) = e^{z} / (1 + e^{z})` for negative z, so the result is finite at
    ``|z| = 1e3`` and beyond.
    """
    Z = as_float_array(Z, "Z", "sigmoid")
    e = np.exp(-np.abs(Z))
    return np.where(Z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def sigmoid_grad(Z):
    r""":math:`\sigma'(z) = \sigma(z)(1 - \sigma(z))`; at most 1/4, reached at z = 0."""
    s = sigmoid(Z)
    return s * (1.0 - s)


def tanh(Z):
    r"""Hyperbolic tangent :math:`\tanh z = (e^z - e^{-z})/(e^z + e^{-z})`, values in (-1, 1)."""
    return np.tanh(as_float_array(Z, "Z", "tanh"))


def tanh_grad(Z):
    r""":math:`\tanh'(z) = 1 - \tanh^2 z`; equals 1 at z = 0 (four times the sigmoid's peak)."""
    t = tanh(Z)
    return 1.0 - t * t


def relu(Z):
    r"""Rectified linear unit :math:`\max(0, z)`, elementwise.

    Parameters
    ----------
    Z : array_like of any shape

    Returns
    -------
    ndarray of the same shape.
    """
    Z = as_float_array(Z, "Z", "relu")
    return np.maximum(Z, 0.0)


def relu_grad(Z):
    r"""Derivative of ReLU: 1 where z > 0, else 0 (the derivative at z = 0 is taken as 0).

    Returns
    -------
    ndarray of float64 of the same shape as ``Z``.
    """
    Z = as_float_array(Z, "Z", "relu_grad")
    return (Z > 0).astype(np.float64)


def identity(Z):
    """The identity, used for a linear output layer."""
    return as_float_array(Z, "Z", "identity").copy()


def identity_grad(Z):
    """Derivative of the identity: ones."""
    return np.ones_like(as_float_array(Z, "Z", "identity_grad"))


def erf(X):
    r"""The error function :math:`\operatorname{erf}(x) = \frac{2}{\sqrt\pi}\int_0^x e^{-t^2} dt`, elementwise.

    NumPy has no ``erf``; this one is accurate to about 1e-14 absolute (tested against
    :func:`math.erf`), without SciPy.

    Notes
    -----
    For :math:`0 \le a < 6` we sum the series
    :math:`\operatorname{erf}(a) = \frac{2}{\sqrt\pi} e^{-a^2} \sum_{n\ge0} \frac{2^n a^{2n+1}}{(2n+1)!!}`,
    whose terms are all positive, so there is no cancellation (the alternating Taylor series
    loses digits for large a). At :math:`a \ge 6`, :math:`1 - \operatorname{erf}(a) < 3 \cdot 10^{-17}`
    is below float64's resolution at 1, so the result is exactly ±1. erf is odd.
    """
    X = as_float_array(X, "X", "erf")
    a = np.abs(X)
    out = np.ones_like(a)
    inside = a < 6.0
    s = a[inside]
    if s.size:
        term = s.copy()
        total = s.copy()
        two_s2 = 2.0 * s * s
        n = 0
        while True:
            term *= two_s2 / (2 * n + 3)
            total += term
            n += 1
            if np.all(term <= 1e-17 * total):
                break
        out[inside] = np.minimum(1.0, _TWO_OVER_SQRT_PI * np.exp(-s * s) * total)
    return np.sign(X) * out


def normal_cdf(X):
    r"""Standard normal CDF :math:`\Phi(x) = \tfrac12 (1 + \operatorname{erf}(x/\sqrt2))`."""
    X = as_float_array(X, "X", "normal_cdf")
    return 0.5 * (1.0 + erf(X / _SQRT2))


def normal_pdf(X):
    r"""Standard normal density :math:`\varphi(x) = e^{-x^2/2}/\sqrt{2\pi}`."""
    X = as_float_array(X, "X", "normal_pdf")
    return _INV_SQRT_2PI * np.exp(-0.5 * X * X)


def gelu(Z, approximate: bool = False):
    r"""Gaussian error linear unit :math:`\mathrm{GELU}(z) = z\,\Phi(z)`.

    Parameters
    ----------
    Z : array_like of any shape
    approximate : bool, default False
        If True, use the tanh approximation of Hendrycks and Gimpel,
        :math:`\tfrac12 z (1 + \tanh(\sqrt{2/\pi}(z + 0.044715 z^3)))`, which GPT-2 used.
        The default is the exact form.
    """
    Z = as_float_array(Z, "Z", "gelu")
    if approximate:
        return 0.5 * Z * (1.0 + np.tanh(math.sqrt(2.0 / math.pi) * (Z + 0.044715 * Z**3)))
    return Z * normal_cdf(Z)


def gelu_grad(Z, approximate: bool = False):
    r"""Derivative of GELU: :math:`\Phi(z) + z\,\varphi(z)` (exact form).

    Unlike ReLU's, it is smooth and slightly negative for z below about -0.75.
    """
    Z = as_float_array(Z, "Z", "gelu_grad")
    if approximate:
        c = math.sqrt(2.0 / math.pi)
        u = c * (Z + 0.044715 * Z**3)
        t = np.tanh(u)
        return 0.5 * (1.0 + t) + 0.5 * Z * (1.0 - t * t) * c * (1.0 + 3 * 0.044715 * Z**2)
    return normal_cdf(Z) + Z * normal_pdf(Z)


def swish(Z, beta: float = 1.0):
    r"""Swish (SiLU when beta = 1): :math:`z\,\sigma(\beta z)`."""
    Z = as_float_array(Z, "Z", "swish")
    return Z * sigmoid(beta * Z)


def swish_grad(Z, beta: float = 1.0):
    r"""Derivative of swish: :math:`\sigma(\beta z) + \beta z\,\sigma(\beta z)(1 - \sigma(\beta z))`."""
    Z = as_float_array(Z, "Z", "swish_grad")
    s = sigmoid(beta * Z)
    return s + beta * Z * s * (1.0 - s)


class SwiGLUCache(NamedTuple):
    """What :func:`swiglu_backward` needs: the input and both projections."""

    X: np.ndarray  #: (B, d_in)
    U: np.ndarray  #: (B, d_ff) = X W1^T, the linear ("up") branch
    G: np.ndarray  #: (B, d_ff) = X W2^T, the gate branch before swish


def _check_swiglu(X, W1, W2, fn):
    X = as_float_array(X, "X", fn, ndim=2)
    W1 = as_float_array(W1, "W1", fn, ndim=2)
    W2 = as_float_array(W2, "W2", fn, ndim=2)
    d_in = X.shape[1]
    check_dim(W1, 1, d_in, "W1", fn, f"(d_ff, d_in) = (d_ff, {d_in}) to match X of shape {X.shape}")
    check_dim(W2, 1, d_in, "W2", fn, f"(d_ff, d_in) = (d_ff, {d_in}) to match X of shape {X.shape}")
    if W1.shape != W2.shape:
        raise ValueError(f"{fn}: W1 has shape {W1.shape} but W2 has shape {W2.shape}; they must match")
    return X, W1, W2


def swiglu(X, W1, W2):
    r"""Gated linear unit with a swish gate: :math:`(X W_1^\top) \odot \mathrm{swish}(X W_2^\top)`.

    This is the hidden layer of the MLP block in LLaMA-style transformers (followed there by a
    down projection back to the model width).

    Parameters
    ----------
    X : ndarray of shape (B, d_in)
    W1 : ndarray of shape (d_ff, d_in)
        The linear ("up") projection, :math:`W_\text{up}` (LLaMA's ``w3``).
    W2 : ndarray of shape (d_ff, d_in)
        The gate projection, :math:`W_\text{gate}` (LLaMA's ``w1``); swish is applied to this branch.
        LLaMA's ``w2`` is the down projection that follows, :math:`d_{ff} \to d`.

    Returns
    -------
    out : ndarray of shape (B, d_ff)
    cache : SwiGLUCache
    """
    X, W1, W2 = _check_swiglu(X, W1, W2, "swiglu")
    U = X @ W1.T
    G = X @ W2.T
    return U * swish(G), SwiGLUCache(X, U, G)


def swiglu_backward(dOut, cache: SwiGLUCache, W1, W2):
    r"""Backward pass of :func:`swiglu`.

    With :math:`O = U \odot s(G)`: :math:`dU = dO \odot s(G)`, :math:`dG = dO \odot U \odot s'(G)`,
    then the two affine maps: :math:`dW_1 = dU^\top X`, :math:`dW_2 = dG^\top X`,
    :math:`dX = dU W_1 + dG W_2`.

    Returns
    -------
    dX : ndarray of shape (B, d_in)
    dW1, dW2 : ndarray of shape (d_ff, d_in)
    """
    X, W1, W2 = _check_swiglu(cache.X, W1, W2, "swiglu_backward")
    dOut = as_float_array(dOut, "dOut", "swiglu_backward", ndim=2)
    if dOut.shape != cache.U.shape:
        raise ValueError(f"swiglu_backward: dOut has shape {dOut.shape}, expected (B, d_ff) = {cache.U.shape}")
    dU = dOut * swish(cache.G)
    dG = dOut * cache.U * swish_grad(cache.G)
    return dU @ W1 + dG @ W2, dU.T @ X, dG.T @ X


class Activation(str, Enum):
    """Names of the elementwise activations; a plain string such as ``"relu"`` works too."""

    RELU = "relu"
    SIGMOID = "sigmoid"
    TANH = "tanh"
    GELU = "gelu"
    SWISH = "swish"
    IDENTITY = "identity"


_TABLE: dict[Activation, tuple[Callable, Callable]] = {
    Activation.RELU: (relu, relu_grad),
    Activation.SIGMOID: (sigmoid, sigmoid_grad),
    Activation.TANH: (tanh, tanh_grad),
    Activation.GELU: (gelu, gelu_grad),
    Activation.SWISH: (swish, swish_grad),
    Activation.IDENTITY: (identity, identity_grad),
}


def get_activation(activation) -> tuple[Callable, Callable]:
    """Return ``(f, f_grad)`` for an :class:`Activation` or its name."""
    try:
        key = Activation(activation)
    except ValueError:
        names = ", ".join(a.value for a in Activation)
        raise ValueError(f"unknown activation {activation!r}; expected one of: {names}") from None
    return _TABLE[key]
