r"""Section 6: initialization scales and signal propagation.

Xavier (Glorot and Bengio 2010) keeps the variance of a tanh-like network's signals constant in
both directions; He (He et al. 2015) doubles it to make up for ReLU zeroing half its inputs.

Signal propagation at initialization (notes 6.1, 6.4, 6.5): :func:`activation_variances` measures
:math:`\mathrm{Var}(h_\ell)` layer by layer through a deep MLP, :func:`jacobian_products` and
:func:`jacobian_norms` the input-output Jacobian :math:`\prod_\ell J_\ell` at every depth, and
:func:`symmetry_experiment` / :func:`hidden_unit_spread` show that a constant init never breaks the
symmetry between hidden units.
"""
from __future__ import annotations

import math
from enum import Enum
from typing import Sequence

import numpy as np

from ._validate import as_float_array, check_dim, check_positive, check_positive_int, check_rng
from .activations import Activation, get_activation
from .forward import Layer

__all__ = ["InitScheme", "xavier_std", "he_std", "init_std", "init_weights", "init_mlp",
           "activation_variances", "jacobian_products", "jacobian_norms", "hidden_unit_spread",
           "symmetry_experiment", "relu_log_gains"]


class InitScheme(str, Enum):
    """Weight initialization schemes; ``"xavier"``, ``"he"``, ``"constant"`` and ``"normal"`` work as strings."""

    XAVIER = "xavier"
    HE = "he"
    NORMAL = "normal"  #: a fixed std given by the caller
    CONSTANT = "constant"  #: every weight equal: the symmetric init that never breaks


def xavier_std(fan_in, fan_out):
    r"""Standard deviation of Xavier/Glorot normal init: :math:`\sqrt{2/(n_{in} + n_{out})}`.

    Parameters
    ----------
    fan_in, fan_out : int
        Number of inputs and outputs of the layer (``d_in`` and ``d_out``), positive.

    Returns
    -------
    float
    """
    fan_in = check_positive_int(fan_in, "fan_in", "xavier_std")
    fan_out = check_positive_int(fan_out, "fan_out", "xavier_std")
    return math.sqrt(2.0 / (fan_in + fan_out))


def he_std(fan_in):
    r"""Standard deviation of He/Kaiming normal init for ReLU: :math:`\sqrt{2/n_{in}}`.

    Parameters
    ----------
    fan_in : int
        Number of inputs of the layer (``d_in``), positive.
    """
    fan_in = check_positive_int(fan_in, "fan_in", "he_std")
    return math.sqrt(2.0 / fan_in)


def init_std(scheme, fan_in: int, fan_out: int, std: float | None = None) -> float:
    """The weight standard deviation a scheme gives a ``(fan_out, fan_in)`` layer."""
    scheme = InitScheme(scheme)
    if scheme is InitScheme.XAVIER:
        return xavier_std(fan_in, fan_out)
    if scheme is InitScheme.HE:
        return he_std(fan_in)
    if std is None:
        raise ValueError(f"init_std: scheme {scheme.value!r} needs std, got None")
    return check_positive(std, "std", "init_std", allow_zero=True)


def init_weights(fan_in: int, fan_out: int, rng, scheme=InitScheme.HE, std: float | None = None):
    """A weight matrix of shape ``(fan_out, fan_in)``: zero-mean normal with the scheme's std.

    For ``"constant"`` every entry equals ``std`` (no randomness: the symmetric start).
    """
    rng = check_rng(rng, "init_weights")
    s = init_std(scheme, fan_in, fan_out, std)
    if InitScheme(scheme) is InitScheme.CONSTANT:
        return np.full((fan_out, fan_in), s)
    return rng.normal(0.0, s, size=(fan_out, fan_in))


def init_mlp(sizes: Sequence[int], rng, scheme=InitScheme.HE, std: float | None = None) -> list[Layer]:
    """Layers for an MLP with widths ``sizes = [d_0, d_1, ..., d_L]``; biases start at zero.

    Returns
    -------
    list of Layer
        ``layers[l - 1]`` is layer ``l`` (layers are numbered 1..L): its ``W`` is :math:`W_l`, of shape
        ``(d_l, d_{l-1}) = (sizes[l], sizes[l - 1])``.
    """
    if len(sizes) < 2:
        raise ValueError(f"init_mlp: sizes must list at least an input and an output width, got {list(sizes)}")
    for i, s in enumerate(sizes):
        check_positive_int(s, f"sizes[{i}]", "init_mlp")
    return [Layer(init_weights(a, b, rng, scheme, std), np.zeros(b)) for a, b in zip(sizes[:-1], sizes[1:])]



def activation_variances(scheme, activation="relu", width: int = 256, depth: int = 50, rng=None, *,
                         batch: int = 256, std: float | None = None, X=None, statistic: str = "variance"):
    r"""Variance of the activations, layer by layer, through a deep MLP at initialization.

    Builds ``depth`` square layers of width ``width`` with :func:`init_mlp` (biases zero), feeds
    a batch through them with ``activation`` after *every* layer, and records
    :math:`\mathrm{Var}(H_\ell)` over all entries of each layer's output.

    For a linear layer with zero-mean independent weights, :math:`\mathrm{Var}(z) = n_{in}\,
    \mathrm{Var}(w)\, \mathbb E[x^2]`; ReLU keeps half of :math:`\mathbb E[z^2]`, so He's
    :math:`\mathrm{Var}(w) = 2/n_{in}` keeps the signal's scale, and Xavier's
    :math:`1/n_{in}` (for a square layer) halves it at every layer.

    Parameters
    ----------
    scheme : InitScheme or str
        ``"he"``, ``"xavier"``, ``"normal"`` (needs ``std``) or ``"constant"`` (needs ``std``).
    activation : Activation or str, default "relu"
    width, depth : int
        Width of every layer (``d_l``) and number of layers, positive.
    rng : numpy.random.Generator
        Draws the weights (and the input batch when ``X`` is None).
    batch : int, default 256
        Number of examples ``B`` when ``X`` is None.
    std : float, optional
        The weight std for the ``"normal"`` and ``"constant"`` schemes.
    X : ndarray of shape (B, width), optional
        The input batch; by default standard normal entries.
    statistic : {"variance", "mean_square"}, default "variance"
        ``"variance"``: ``H.var()`` over all entries; ``"mean_square"``: :math:`\mathbb E[h^2]`
        (``np.mean(H**2)``), the quantity He's derivation keeps exactly constant in expectation
        (a ReLU output has a positive mean, so its variance is about 0.68 of its mean square).

    Returns
    -------
    ndarray of shape (depth + 1,)
        Entry 0 is the statistic of ``X``, entry :math:`\ell` the statistic after layer :math:`\ell`.

    Notes
    -----
    At finite width the per-layer ratios fluctuate around their expectation, by a relative
    amount of order :math:`\sqrt{5/n}` for ReLU, and the fluctuations compound over depth: a
    single 50-layer run at width 256 can end a factor 3 away from where it started even with He
    init. Average several seeds (or widen the layers) before concluding.
    """
    fn = "activation_variances"
    rng = check_rng(rng, fn)
    width = check_positive_int(width, "width", fn)
    depth = check_positive_int(depth, "depth", fn)
    f, _ = get_activation(Activation(activation))
    stats = {"variance": np.var, "mean_square": lambda A: float(np.mean(A * A))}
    if statistic not in stats:
        raise ValueError(f"{fn}: statistic must be 'variance' or 'mean_square', got {statistic!r}")
    stat = stats[statistic]
    if X is None:
        batch = check_positive_int(batch, "batch", fn)
        H = rng.standard_normal((batch, width))
    else:
        H = as_float_array(X, "X", fn, ndim=2)
        check_dim(H, 1, width, "X", fn, f"(B, width) = (B, {width})")
    variances = np.empty(depth + 1)
    variances[0] = stat(H)
    for l in range(depth):
        W = init_weights(width, width, rng, scheme, std)
        H = f(H @ W.T)
        variances[l + 1] = stat(H)
    return variances


def relu_log_gains(width: int, depth: int, n_networks: int, rng, c: float = 1.0):
    r"""Log squared gains :math:`\log(\lVert h_L\rVert^2/\lVert x\rVert^2)` of many random deep ReLU networks.

    Each network has ``depth`` square ReLU layers of width ``width``, no biases, weights of std
    :math:`c\sqrt{2/n}` (``c = 1``: He), and is fed one standard normal input ``x`` of its own. Since ReLU
    is positively homogeneous, :math:`h_L = J x` with :math:`J = J_L \cdots J_1` the network's Jacobian at
    ``x``: the gain is also the Jacobian's gain on the input direction.

    With He init every layer multiplies :math:`\lVert h\rVert^2` by a factor :math:`Z_\ell` of mean exactly 1
    and variance :math:`5/n` (for Gaussian weights: :math:`\mathbb E[(2\,\mathrm{relu}(g)^2)^2] = 6`), so
    :math:`\log Z_\ell \approx (Z_\ell - 1) - (Z_\ell - 1)^2/2` has mean :math:`\approx -5/(2n)` and variance
    :math:`\approx 5/n`. Over L layers the log gain is a sum of L such terms: approximately normal (Hanin and
    Nica 2020 prove the Gaussian limit of the log) with mean :math:`-5L/(2n)` and variance :math:`5L/n`. The
    gain itself is log-normal: its mean stays 1, but its typical value :math:`e^{-5L/(2n)}` is below 1.

    Parameters
    ----------
    width, depth, n_networks : int >= 1
    rng : numpy.random.Generator
    c : float > 0
        Multiple of He's standard deviation.

    Returns
    -------
    ndarray of shape (n_networks,)
        Natural logarithms; ``-inf`` if a signal died (every unit of a layer at 0).
    """
    fn = "relu_log_gains"
    width = check_positive_int(width, "width", fn)
    depth = check_positive_int(depth, "depth", fn)
    n_networks = check_positive_int(n_networks, "n_networks", fn)
    rng = check_rng(rng, fn)
    c = check_positive(c, "c", fn)
    std = c * math.sqrt(2.0 / width)
    h = rng.standard_normal((n_networks, width, 1))
    start = np.sum(h * h, axis=(1, 2))
    for _ in range(depth):
        W = rng.standard_normal((n_networks, width, width)) * std
        h = np.maximum(W @ h, 0.0)
    with np.errstate(divide="ignore"):
        return np.log(np.sum(h * h, axis=(1, 2)) / start)


def _check_layers_input(x, layers, fn):
    if len(layers) == 0:
        raise ValueError(f"{fn}: layers is empty; expected at least one Layer(W, b)")
    x = as_float_array(x, "x", fn, ndim=1)
    d = x.shape[0]
    for l, (W, b) in enumerate(layers):
        W = np.asarray(W)
        if W.ndim != 2 or W.shape[1] != d:
            raise ValueError(f"{fn}: layers[{l}].W has shape {W.shape}, expected (d_out, {d}) to match the "
                             f"previous width {d}")
        if np.shape(b) != (W.shape[0],):
            raise ValueError(f"{fn}: layers[{l}].b has shape {np.shape(b)}, expected ({W.shape[0]},)")
        d = W.shape[0]
    return x


def jacobian_products(x, layers, activation="relu"):
    r"""The input-output Jacobians :math:`\prod_{\ell \le k} J_\ell` of the first k layers, for every k.

    Layer :math:`\ell` maps :math:`h_{\ell-1} \mapsto h_\ell = \phi(W_\ell h_{\ell-1} + b_\ell)`,
    with Jacobian :math:`J_\ell = \operatorname{diag}(\phi'(z_\ell))\, W_\ell`. By the chain rule the
    Jacobian of :math:`h_k` with respect to the input is :math:`J_k J_{k-1} \cdots J_1`.
    ``activation`` is applied after every layer (no linear head).

    Parameters
    ----------
    x : ndarray of shape (d_0,)
        One input example.
    layers : sequence of Layer
        ``layers[l - 1]`` is layer ``l``: ``W`` of shape ``(d_l, d_{l-1})``.
    activation : Activation or str, default "relu"

    Returns
    -------
    list of ndarray
        Entry ``k - 1`` has shape ``(d_k, d_0)``: :math:`\partial h_k / \partial x`.
    """
    fn = "jacobian_products"
    x = _check_layers_input(x, layers, fn)
    f, f_grad = get_activation(Activation(activation))
    h = x
    P = np.eye(x.shape[0])
    out = []
    for W, b in layers:
        z = np.asarray(W, dtype=np.float64) @ h + b
        P = f_grad(z)[:, None] * (W @ P)
        h = f(z)
        out.append(P)
    return out


def jacobian_norms(x, layers, activation="relu", kind: str = "rms"):
    r"""The size of :math:`\prod_{\ell \le k} J_\ell` at ``x`` for every depth k.

    Parameters
    ----------
    x : ndarray of shape (d_0,)
    layers : sequence of Layer
    activation : Activation or str, default "relu"
    kind : {"rms", "spectral", "frobenius"}
        ``"rms"``: :math:`\lVert P \rVert_F / \sqrt{d_0}`, the root-mean-square singular value, i.e.
        the typical gain on a random input direction; ``"spectral"``: the largest singular value
        (the worst-case gain); ``"frobenius"``: :math:`\lVert P\rVert_F`.

    Returns
    -------
    ndarray of shape (len(layers),)
        Entry ``k - 1`` is the norm after k layers. Values below 1 shrinking with depth mean
        vanishing gradients; values growing with depth mean exploding ones.
    """
    kinds = ("rms", "spectral", "frobenius")
    if kind not in kinds:
        raise ValueError(f"jacobian_norms: kind must be one of {kinds}, got {kind!r}")
    products = jacobian_products(x, layers, activation)
    d0 = products[0].shape[1]
    if kind == "spectral":
        return np.array([np.linalg.norm(P, 2) for P in products])
    fro = np.array([np.linalg.norm(P) for P in products])
    return fro / np.sqrt(d0) if kind == "rms" else fro


def hidden_unit_spread(layers) -> float:
    r"""How different the hidden units of an MLP are: 0 exactly when every hidden layer is symmetric.

    Hidden unit j of layer l owns row j of :math:`W_l`, entry j of :math:`b_l` and column j of
    :math:`W_{l+1}`. The spread is the largest absolute difference between the parameters of a
    hidden unit and those of unit 0 of the same layer, over all hidden layers.

    Parameters
    ----------
    layers : sequence of Layer
        At least two layers (otherwise there is no hidden layer).

    Returns
    -------
    float
    """
    if len(layers) < 2:
        raise ValueError(f"hidden_unit_spread: need at least 2 layers (one hidden layer), got {len(layers)}")
    spread = 0.0
    for l in range(len(layers) - 1):
        W = np.asarray(layers[l].W, dtype=np.float64)
        b = np.asarray(layers[l].b, dtype=np.float64)
        W_next = np.asarray(layers[l + 1].W, dtype=np.float64)
        unit = np.concatenate([W, b[:, None], W_next.T], axis=1)  # one row per hidden unit
        spread = max(spread, float(np.max(np.abs(unit - unit[0]))))
    return spread


def symmetry_experiment(X, y, sizes: Sequence[int], rng, scheme=InitScheme.CONSTANT, std: float | None = 0.1,
                        lr: float = 0.5, steps: int = 20, activation="tanh"):
    r"""Train a small MLP with full-batch gradient descent and track :func:`hidden_unit_spread`.

    With a constant init, every hidden unit of a layer computes the same value and receives the
    same gradient, so the units stay identical at every step: the spread stays exactly 0 and the
    layer behaves like a single unit. A random init breaks the symmetry.

    Parameters
    ----------
    X : ndarray of shape (B, sizes[0])
    y : ndarray of int of shape (B,)
        Class labels in ``[0, sizes[-1])``.
    sizes : sequence of int
        Layer widths ``[d_0, ..., d_L]``, at least one hidden layer.
    rng : numpy.random.Generator
    scheme : InitScheme or str, default "constant"
    std : float, optional
        The constant (``"constant"``) or the std (``"normal"``); ignored by ``"he"`` and ``"xavier"``.
    lr : float, default 0.5
        SGD step size.
    steps : int, default 20
    activation : Activation or str, default "tanh"

    Returns
    -------
    ndarray of shape (steps + 1,)
        The spread at initialization and after each step.
    """
    from .backprop import mlp_loss_and_grads
    from .optim import SGD, flatten_layers, unflatten_layers

    fn = "symmetry_experiment"
    steps = check_positive_int(steps, "steps", fn)
    if len(sizes) < 3:
        raise ValueError(f"{fn}: sizes needs at least one hidden layer, [d_0, d_1, ..., d_L], got {list(sizes)}")
    X = as_float_array(X, "X", fn, ndim=2)
    check_dim(X, 1, sizes[0], "X", fn, f"(B, sizes[0]) = (B, {sizes[0]})")
    layers = init_mlp(sizes, rng, scheme, std)
    opt = SGD(check_positive(lr, "lr", fn))
    state = opt.init(flatten_layers(layers))
    spread = [hidden_unit_spread(layers)]
    for _ in range(steps):
        _, grads = mlp_loss_and_grads(X, y, layers, activation)
        params, state = opt.step(flatten_layers(layers), flatten_layers(grads), state)
        layers = unflatten_layers(params)
        spread.append(hidden_unit_spread(layers))
    return np.array(spread)
