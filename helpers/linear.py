r"""Section 1: from linear models to neural networks.

A neural network is a linear model on top of a *learned* feature map:
:math:`\hat y = W h + b` with :math:`h = f_\theta(x)`. This module holds the pieces the section
notebook uses to make that precise:

* fixed feature maps (:func:`polynomial_features`, a random hidden layer :func:`random_layer` +
  :func:`feature_map`) and a linear head fitted on top of them (:func:`fit_linear_head`,
  :func:`linear_head`);
* composition of layers (:func:`compose`), and the collapse of stacked affine maps without an
  activation (:func:`collapse_affine`, :func:`collapse_layers`, :func:`relu_collapse_gap`);
* representation learning: a tiny training loop (:func:`train_classifier`), the hidden coordinates
  of a trained network (:func:`hidden_representations`) and a linear probe that measures how
  linearly separable they are (:func:`linear_probe_accuracy`).

Conventions as everywhere in :mod:`helpers`: batch first, ``X`` is ``(B, d_in)``, a layer's ``W`` is
``(d_out, d_in)`` and ``b`` is ``(d_out,)``.
"""
from __future__ import annotations

from numbers import Integral
from typing import Callable, NamedTuple, Sequence

import numpy as np

from ._validate import as_float_array, as_labels, check_dim, check_positive, check_positive_int, check_rng
from .activations import Activation, get_activation
from .backprop import mlp_loss_and_grads
from .forward import Layer, _check_affine, check_stack, mlp_forward
from .init import InitScheme, init_mlp
from .optim import Adam, flatten_layers, unflatten_layers

__all__ = ["Layer", "polynomial_features", "random_layer", "feature_map", "linear_head", "fit_linear_head", "compose",
           "collapse_affine", "collapse_layers", "relu_collapse_gap", "TrainResult", "train_classifier",
           "hidden_representations", "linear_probe_accuracy"]


# --------------------------------------------------------------------------- 1.1 feature maps

def polynomial_features(x, degree: int):
    r"""A fixed feature map for scalar inputs: :math:`\phi(x) = (x, x^2, \dots, x^{\mathrm{degree}})`.

    No constant column: the linear head's bias plays that role.

    Parameters
    ----------
    x : ndarray of shape (B,) or (B, 1)
        One scalar input per example.
    degree : int
        Highest power, at least 1.

    Returns
    -------
    Phi : ndarray of shape (B, degree)
        ``Phi[i, k] = x[i] ** (k + 1)``.
    """
    fn = "polynomial_features"
    x = as_float_array(x, "x", fn, ndim=(1, 2))
    if x.ndim == 2:
        check_dim(x, 1, 1, "x", fn, "(B,) or (B, 1)")
        x = x[:, 0]
    degree = check_positive_int(degree, "degree", fn)
    return x[:, None] ** np.arange(1, degree + 1)[None, :]


def random_layer(d_in: int, width: int, rng, scale: float = 1.0) -> Layer:
    r"""A random affine layer ``(W, b)`` to use as a *fixed* feature map (it is never trained).

    ``W`` has i.i.d. :math:`N(0, \mathrm{scale}^2 / d_{in})` entries, ``b`` i.i.d. :math:`N(0, \mathrm{scale}^2)`,
    so with inputs of order 1 the pre-activations are of order ``scale`` and the ReLU kinks fall
    where the data are.

    Parameters
    ----------
    d_in, width : int
        Input width and number of features.
    rng : numpy.random.Generator
    scale : float, optional

    Returns
    -------
    Layer
        ``W`` of shape ``(width, d_in)``, ``b`` of shape ``(width,)``.
    """
    fn = "random_layer"
    rng = check_rng(rng, fn)
    d_in = check_positive_int(d_in, "d_in", fn)
    width = check_positive_int(width, "width", fn)
    scale = check_positive(scale, "scale", fn)
    return Layer(rng.normal(0.0, scale / np.sqrt(d_in), size=(width, d_in)), rng.normal(0.0, scale, size=width))


def feature_map(X, layer: Layer, activation=Activation.RELU):
    r"""A one-layer feature map :math:`h = \phi(W x + b)` on a batch: ``phi(X @ W.T + b)``.

    Parameters
    ----------
    X : ndarray of shape (B, d_in)
    layer : Layer
        ``W`` of shape ``(d_h, d_in)``, ``b`` of shape ``(d_h,)``.
    activation : Activation or str, optional

    Returns
    -------
    H : ndarray of shape (B, d_h)
    """
    X, W, b = _check_affine(X, layer.W, layer.b, "feature_map")
    f, _ = get_activation(activation)
    return f(X @ W.T + b)


# --------------------------------------------------------------------------- 1.2 linear head

def linear_head(H, W, b):
    r"""The linear head :math:`\hat y = W h + b` on a batch of features: ``H @ W.T + b``.

    Parameters
    ----------
    H : ndarray of shape (B, d_h)
        Features, one row per example.
    W : ndarray of shape (k, d_h)
        One row per output.
    b : ndarray of shape (k,)

    Returns
    -------
    Y_hat : ndarray of shape (B, k)
    """
    H, W, b = _check_affine(H, W, b, "linear_head")
    return H @ W.T + b


def fit_linear_head(H, Y, ridge: float = 0.0):
    r"""Least-squares linear head on fixed features: :math:`\min_{W,b} \lVert H W^\top + \mathbf 1 b^\top - Y\rVert^2 + \lambda \lVert W\rVert^2`.

    Parameters
    ----------
    H : ndarray of shape (B, d_h)
    Y : ndarray of shape (B,) or (B, k)
        Targets; a 1-D ``Y`` is treated as ``k = 1``.
    ridge : float, optional
        :math:`\lambda \ge 0`; the bias is not penalized.

    Returns
    -------
    W : ndarray of shape (k, d_h)
    b : ndarray of shape (k,)

    Notes
    -----
    Solved with ``numpy.linalg.lstsq`` on the features with a column of ones appended (and
    :math:`\sqrt\lambda I` rows for the ridge), never by inverting :math:`H^\top H`, whose condition
    number is the square of that of ``H`` (polynomial features are badly conditioned).
    """
    fn = "fit_linear_head"
    H = as_float_array(H, "H", fn, ndim=2)
    Y = as_float_array(Y, "Y", fn, ndim=(1, 2))
    check_dim(Y, 0, H.shape[0], "Y", fn, f"(B,) or (B, k) with B = {H.shape[0]} to match H of shape {H.shape}")
    if Y.ndim == 1:
        Y = Y[:, None]
    ridge = check_positive(ridge, "ridge", fn, allow_zero=True)
    B, d = H.shape
    A = np.hstack([H, np.ones((B, 1))])
    T = Y
    if ridge > 0:
        reg = np.hstack([np.sqrt(ridge) * np.eye(d), np.zeros((d, 1))])
        A = np.vstack([A, reg])
        T = np.vstack([Y, np.zeros((d, Y.shape[1]))])
    coef, *_ = np.linalg.lstsq(A, T, rcond=None)
    return coef[:d].T.copy(), coef[d].copy()


# --------------------------------------------------------------------------- 1.3 composition

def compose(*fns: Callable) -> Callable:
    r"""The composition :math:`f = f_L \circ \cdots \circ f_1`, written in the mathematical order.

    ``compose(f3, f2, f1)(x) == f3(f2(f1(x)))``: the *last* argument is applied *first*, as in
    :math:`f_3 \circ f_2 \circ f_1`. With no argument, the identity.

    Parameters
    ----------
    *fns : callable
        Functions of one argument.

    Returns
    -------
    callable
    """
    for i, f in enumerate(fns):
        if not callable(f):
            raise TypeError(f"compose: argument {i} must be callable, got {type(f).__name__}")
    ordered = fns[::-1]

    def composed(x):
        for f in ordered:
            x = f(x)
        return x

    composed.__doc__ = "compose(" + ", ".join(getattr(f, "__name__", repr(f)) for f in fns) + ")"
    return composed


# --------------------------------------------------------------------------- 1.4 collapse without activation

def collapse_affine(W1, b1, W2, b2):
    r"""The single affine map equal to two stacked affine layers with no activation between them.

    :math:`W_2(W_1 x + b_1) + b_2 = (W_2 W_1) x + (W_2 b_1 + b_2)`.

    Parameters
    ----------
    W1 : ndarray of shape (d_1, d_0)
    b1 : ndarray of shape (d_1,)
    W2 : ndarray of shape (d_2, d_1)
    b2 : ndarray of shape (d_2,)

    Returns
    -------
    W : ndarray of shape (d_2, d_0)
        ``W2 @ W1``.
    b : ndarray of shape (d_2,)
        ``W2 @ b1 + b2``.
    """
    W1, b1, W2, b2 = check_stack(W1, b1, W2, b2, "collapse_affine")
    return W2 @ W1, W2 @ b1 + b2


def collapse_layers(layers: Sequence[Layer]) -> Layer:
    r"""Collapse any number of stacked affine layers (no activations) into one :class:`Layer`.

    :math:`W = W_{L-1} \cdots W_1 W_0`, :math:`b` accumulated the same way. The rank of ``W`` is at
    most the narrowest width in the stack: depth without nonlinearity adds no expressive power.

    Parameters
    ----------
    layers : sequence of Layer
        ``layers[l].W`` of shape ``(d_{l+1}, d_l)``.

    Returns
    -------
    Layer
        ``W`` of shape ``(d_L, d_0)``, ``b`` of shape ``(d_L,)``.
    """
    if len(layers) == 0:
        raise ValueError("collapse_layers: layers is empty; expected at least one Layer(W, b)")
    fn = "collapse_layers"
    W = as_float_array(layers[0].W, "layers[0].W", fn, ndim=2)
    b = as_float_array(layers[0].b, "layers[0].b", fn, ndim=1)
    check_dim(b, 0, W.shape[0], "layers[0].b", fn, f"(d_1,) = ({W.shape[0]},) to match layers[0].W of shape {W.shape}")
    for l, layer in enumerate(layers[1:], start=1):
        try:
            W, b = collapse_affine(W, b, layer.W, layer.b)
        except ValueError as err:
            raise ValueError(f"collapse_layers: layer {l}: {err}") from None
    return Layer(W, b)


def relu_collapse_gap(X, W1, b1, W2, b2) -> float:
    r"""How far a ReLU between two affine layers moves the output away from the collapsed affine map.

    :math:`\max_{i,j} \left| \big(\mathrm{ReLU}(X W_1^\top + \mathbf 1 b_1^\top) W_2^\top + \mathbf 1 b_2^\top\big)_{ij}
    - \big(X W^\top + \mathbf 1 b^\top\big)_{ij} \right|` with ``(W, b) = collapse_affine(W1, b1, W2, b2)``.

    Zero (up to rounding) when no hidden pre-activation of these inputs is negative: there the ReLU
    is the identity. Positive as soon as the ReLU clips a unit whose outgoing weights are not zero.

    Parameters
    ----------
    X : ndarray of shape (B, d_0)
    W1, b1, W2, b2 : see :func:`collapse_affine`

    Returns
    -------
    float
    """
    fn = "relu_collapse_gap"
    X = as_float_array(X, "X", fn, ndim=2)
    W1, b1, W2, b2 = check_stack(W1, b1, W2, b2, fn, X=X)
    W, b = collapse_affine(W1, b1, W2, b2)
    with_relu = np.maximum(X @ W1.T + b1, 0.0) @ W2.T + b2
    return float(np.max(np.abs(with_relu - (X @ W.T + b)), initial=0.0))


# --------------------------------------------------------------------------- 1.5 representation learning

class TrainResult(NamedTuple):
    """What :func:`train_classifier` returns."""

    layers: list  #: list of Layer, the trained parameters
    losses: np.ndarray  #: (steps,) training loss before each step
    activation: Activation


def train_classifier(X, y, hidden: Sequence[int], rng, steps: int = 300, lr: float = 0.05,
                     activation=Activation.TANH) -> TrainResult:
    r"""Train a small MLP classifier with full-batch Adam on softmax cross-entropy.

    Widths ``[d_in, *hidden, C]`` with ``C = y.max() + 1``; Xavier initialization for tanh/sigmoid,
    He otherwise. Deliberately tiny: a few hundred steps on a few hundred points take well under a
    second, enough to watch a hidden layer learn coordinates in which the classes separate.

    Parameters
    ----------
    X : ndarray of shape (B, d_in)
    y : ndarray of int, shape (B,)
    hidden : sequence of int
        Hidden widths (may be empty: then it is logistic regression).
    rng : numpy.random.Generator
        Used for the initialization only.
    steps : int, optional
        Number of full-batch Adam steps; 0 returns the initial network (a baseline to compare with).
    lr : float, optional
    activation : Activation or str, optional

    Returns
    -------
    TrainResult
    """
    fn = "train_classifier"
    rng = check_rng(rng, fn)
    X = as_float_array(X, "X", fn, ndim=2)
    y_arr = np.asarray(y)
    classes = int(y_arr.max()) + 1 if y_arr.size and y_arr.dtype.kind in "iuf" else 1
    y = as_labels(y, "y", fn, X.shape[0], max(classes, 2))
    classes = max(classes, 2)
    if isinstance(steps, bool) or not isinstance(steps, Integral) or steps < 0:
        raise ValueError(f"{fn}: steps must be a non-negative integer, got {steps!r}")
    steps = int(steps)
    lr = check_positive(lr, "lr", fn)
    act = Activation(activation)
    widths = [X.shape[1], *[check_positive_int(h, f"hidden[{i}]", fn) for i, h in enumerate(hidden)], classes]
    scheme = InitScheme.XAVIER if act in (Activation.TANH, Activation.SIGMOID, Activation.IDENTITY) else InitScheme.HE
    layers = init_mlp(widths, rng, scheme)
    opt = Adam(lr=lr)
    params = flatten_layers(layers)
    state = opt.init(params)
    losses = np.empty(steps)
    for t in range(steps):
        loss, grads = mlp_loss_and_grads(X, y, unflatten_layers(params), act)
        losses[t] = loss
        params, state = opt.step(params, flatten_layers(grads), state)
    return TrainResult(unflatten_layers(params), losses, act)


def hidden_representations(X, layers: Sequence[Layer], activation=Activation.TANH) -> list:
    r"""The hidden coordinates :math:`h_1, \dots, h_{L-1}` of an MLP on a batch.

    Parameters
    ----------
    X : ndarray of shape (B, d_0)
    layers : sequence of Layer
    activation : Activation or str
        The activation used by the network.

    Returns
    -------
    list of ndarray
        ``H[l]`` of shape ``(B, d_{l+1})``: the output of hidden layer ``l`` (after its activation),
        for ``l = 0 .. L-2``. Empty for a one-layer network.
    """
    _, cache = mlp_forward(X, layers, activation)
    return list(cache.inputs[1:])


def linear_probe_accuracy(H, y, ridge: float = 1e-6) -> float:
    r"""How linearly separable the classes are in the coordinates ``H``: fit a linear head by least
    squares to one-hot targets, then report the training accuracy of its argmax.

    A crude but deterministic probe (no training loop): 1.0 means a linear classifier on ``H``
    classifies every example correctly.

    Parameters
    ----------
    H : ndarray of shape (B, d)
    y : ndarray of int, shape (B,)
    ridge : float, optional
        Small ridge term that keeps the fit well defined when features are collinear.

    Returns
    -------
    float in [0, 1]
    """
    fn = "linear_probe_accuracy"
    H = as_float_array(H, "H", fn, ndim=2)
    y_arr = np.asarray(y)
    classes = max(int(y_arr.max()) + 1, 2) if y_arr.size and y_arr.dtype.kind in "iuf" else 2
    y = as_labels(y, "y", fn, H.shape[0], classes)
    W, b = fit_linear_head(H, np.eye(classes)[y], ridge)
    return float(np.mean(np.argmax(H @ W.T + b, axis=1) == y))
