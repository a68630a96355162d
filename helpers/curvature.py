r"""Lab 15: curvature and scaling. Hessian-vector products, the edge of stability, learning-rate transfer.

* **Hessian-vector products from gradients** (:func:`hvp_fd`): the central difference of the gradient along
  ``v``, :math:`Hv \approx [\nabla L(\theta + \epsilon v) - \nabla L(\theta - \epsilon v)]/2\epsilon`, costs two
  gradients and never forms :math:`H` (:func:`hessian_from_hvp` forms it, one column per HVP, to check).
* **The top eigenpair** (:func:`top_eigenpair`): power iteration on HVPs, with the Rayleigh quotient for the sign;
  :func:`masked_hvp` restricts it to one layer's block of the Hessian.
* **A small network** (:func:`tanh_net_init`, :func:`tanh_net_loss_grad`):
  :math:`f(x) = w_2^\top\tanh(W_1 x/\sqrt d)/\sqrt h`
  with the squared loss, its parameters flattened into one vector ``theta`` of length ``P = h d + h``.
* **The edge of stability** (:func:`gd_sharpness`): full-batch gradient descent with the sharpness
  :math:`\lambda_{\max}(H)` tracked every few steps (Cohen et al. 2021).
* **Learning-rate transfer** (:func:`train_width_lr`, :func:`lr_width_sweep`): a one-hidden-layer ReLU classifier
  trained with Adam in the standard parameterization (SP) or muP (Yang et al. 2022).
* **The weight-decay equilibrium** (:func:`adamw_relative_updates`, :func:`wd_equilibrium`): AdamW on a
  scale-invariant weight matrix settles at a relative update :math:`\sqrt{2\eta\lambda(1-\beta_1)/(1+\beta_1)}`
  (Kosson et al. 2024).

``P`` is the number of parameters; a parameter vector ``theta`` and a direction ``v`` are ``(P,)``.
"""
from __future__ import annotations

import math
from typing import Callable, NamedTuple

import numpy as np

from . import losses as _losses
from .backprop import mlp_loss_and_grads
from .data import load_digits, standardize, train_val_split
from .forward import Layer, mlp_forward
from .norm import decoupled_weight_decay
from .optim import adam_step
from .training import mlp_backward_normed, mlp_forward_normed
from ._validate import as_float_array, as_labels, check_positive, check_positive_int, check_probability, check_rng

__all__ = ["hvp_fd", "top_eigenpair", "hessian_from_hvp", "masked_hvp", "tanh_net_init", "tanh_net_loss_grad",
           "tanh_net_masks", "SharpnessRun", "gd_sharpness", "relu_net_init", "train_width_lr", "lr_width_sweep",
           "adamw_relative_updates", "wd_equilibrium", "HessianCheck", "hessian_experiment", "eos_experiment",
           "TransferResult", "transfer_experiment", "EquilibriumResult", "equilibrium_experiment"]


# --------------------------------------------------------------------------- Hessian-vector products (15.1)

def _check_theta_v(theta, v, fn):
    theta = as_float_array(theta, "theta", fn, ndim=1)
    v = as_float_array(v, "v", fn, ndim=1)
    if v.shape != theta.shape:
        raise ValueError(f"{fn}: v has shape {v.shape} but theta has shape {theta.shape}; they must match")
    return theta, v


def hvp_fd(grad_fn: Callable[[np.ndarray], np.ndarray], theta, v, eps: float = 1e-5) -> np.ndarray:
    r"""Hessian-vector product by central differences of the gradient.

    .. math::
        Hv \approx \frac{\nabla L(\theta + \epsilon v) - \nabla L(\theta - \epsilon v)}{2\epsilon}

    The even-order terms of the Taylor expansion cancel, so the error is :math:`O(\epsilon^2)` (exact when the
    gradient is quadratic in ``theta``); the one-sided difference has :math:`O(\epsilon)`. ``v`` is used as it is,
    not normalized: the product is linear in ``v``. Rounding adds about :math:`\varepsilon_{mach}\lVert\nabla
    L\rVert/(\epsilon\lVert v\rVert)` relative to the answer, so for a ``v`` far from unit length scale ``eps``.

    Parameters
    ----------
    grad_fn : callable
        ``grad_fn(theta) -> ndarray of shape (P,)``, the gradient of the loss.
    theta : ndarray of shape (P,)
        Not modified.
    v : ndarray of shape (P,)
    eps : float > 0

    Returns
    -------
    ndarray of shape (P,)
    """
    fn = "hvp_fd"
    theta, v = _check_theta_v(theta, v, fn)
    eps = check_positive(eps, "eps", fn)
    g_plus = as_float_array(grad_fn(theta + eps * v), "grad_fn(theta + eps v)", fn, ndim=1)
    g_minus = as_float_array(grad_fn(theta - eps * v), "grad_fn(theta - eps v)", fn, ndim=1)
    if g_plus.shape != theta.shape or g_minus.shape != theta.shape:
        raise ValueError(f"{fn}: grad_fn returned shape {g_plus.shape}, expected theta's shape {theta.shape}")
    return (g_plus - g_minus) / (2.0 * eps)


def top_eigenpair(hvp_fn: Callable[[np.ndarray], np.ndarray], dim: int, rng, iters: int = 200, v0=None):
    r"""The eigenvalue of largest magnitude of a symmetric matrix seen only through ``hvp_fn``, by power iteration.

    .. math::
        w = Hv,\quad \lambda = v^\top w\ \text{(the Rayleigh quotient, with its sign)},\quad
        v \leftarrow w/\lVert w\rVert

    repeated ``iters`` times from a random unit vector (or ``v0``). The angle to the top eigenvector shrinks like
    :math:`|\lambda_2/\lambda_1|^k`. Power iteration finds the largest :math:`|\lambda|`; for a negative one
    :math:`v` flips sign at every step but its direction converges, and the Rayleigh quotient keeps the sign
    (:math:`\lVert Hv\rVert` would not).

    Parameters
    ----------
    hvp_fn : callable
        ``hvp_fn(v) -> ndarray of shape (dim,)``, the product :math:`Hv`.
    dim : int >= 1
    rng : numpy.random.Generator
        Draws the starting vector (``rng.standard_normal(dim)``) when ``v0`` is None.
    iters : int >= 1
        Number of products :math:`Hv` (the cost).
    v0 : ndarray of shape (dim,), optional
        A starting vector (warm start), e.g. the previous eigenvector while the matrix changes slowly.

    Returns
    -------
    lam : float
        The Rayleigh quotient :math:`v^\top H v` of the last iterate before the final normalization.
    v : ndarray of shape (dim,)
        A unit vector.
    """
    fn = "top_eigenpair"
    dim = check_positive_int(dim, "dim", fn)
    iters = check_positive_int(iters, "iters", fn)
    if v0 is None:
        v = check_rng(rng, fn).standard_normal(dim)
    else:
        v = as_float_array(v0, "v0", fn, ndim=1).copy()
        if v.shape != (dim,):
            raise ValueError(f"{fn}: v0 has shape {v.shape}, expected (dim,) = ({dim},)")
    norm = np.linalg.norm(v)
    if norm == 0:
        raise ValueError(f"{fn}: the starting vector is zero")
    v = v / norm
    lam = 0.0
    for _ in range(iters):
        w = as_float_array(hvp_fn(v), "hvp_fn(v)", fn, ndim=1)
        if w.shape != (dim,):
            raise ValueError(f"{fn}: hvp_fn returned shape {w.shape}, expected ({dim},)")
        lam = float(v @ w)
        norm = np.linalg.norm(w)
        if norm == 0:  # v is in the null space: the Rayleigh quotient 0 is exact
            return 0.0, v
        v = w / norm
    return lam, v


def hessian_from_hvp(hvp_fn: Callable[[np.ndarray], np.ndarray], dim: int) -> np.ndarray:
    r"""The whole Hessian, one column :math:`He_j` per product: ``dim`` HVPs. Only for small ``dim`` (a check).

    Returns
    -------
    ndarray of shape (dim, dim)
        Not symmetrized, so its asymmetry measures the HVP's error.
    """
    dim = check_positive_int(dim, "dim", "hessian_from_hvp")
    return np.stack([as_float_array(hvp_fn(e), "hvp_fn(e_j)", "hessian_from_hvp", ndim=1) for e in np.eye(dim)],
                    axis=1)


def masked_hvp(hvp_fn: Callable[[np.ndarray], np.ndarray], mask) -> Callable[[np.ndarray], np.ndarray]:
    r"""The product with one diagonal block of :math:`H`: :math:`v \mapsto m \odot H(m \odot v)` for a 0/1 ``mask``.

    On the block's coordinates this is :math:`H_{\ell\ell} v_\ell`, elsewhere 0. Since :math:`H_{\ell\ell}` is a
    principal submatrix, its largest eigenvalue is at most :math:`\lambda_{\max}(H)` (Cauchy interlacing).

    Parameters
    ----------
    hvp_fn : callable
        ``hvp_fn(v) -> (P,)``.
    mask : ndarray of bool or 0/1, shape (P,)
    """
    m = np.asarray(mask)
    if m.ndim != 1 or not np.all((m == 0) | (m == 1)):
        raise ValueError(f"masked_hvp: mask must be a 1-D array of 0/1 (or bool), got shape {m.shape}")
    m = m.astype(np.float64)
    return lambda v: m * np.asarray(hvp_fn(m * np.asarray(v, dtype=np.float64)), dtype=np.float64)


# --------------------------------------------------------------------------- a small tanh network (15.3, 15.4)

def tanh_net_init(d: int, hidden: int, rng) -> np.ndarray:
    r"""Parameters :math:`\theta = (\mathrm{vec}\,W_1, w_2)` of :func:`tanh_net_loss_grad`, all :math:`N(0, 1)`.

    Returns
    -------
    ndarray of shape (hidden * d + hidden,)
    """
    fn = "tanh_net_init"
    d = check_positive_int(d, "d", fn)
    hidden = check_positive_int(hidden, "hidden", fn)
    return check_rng(rng, fn).standard_normal(hidden * d + hidden)


def _tanh_net_unpack(theta, X, y, hidden, fn):
    X = as_float_array(X, "X", fn, ndim=2)
    y = as_float_array(y, "y", fn, ndim=1)
    theta = as_float_array(theta, "theta", fn, ndim=1)
    hidden = check_positive_int(hidden, "hidden", fn)
    n, d = X.shape
    if y.shape != (n,):
        raise ValueError(f"{fn}: y has shape {y.shape}, expected (n,) = ({n},) to match X of shape {X.shape}")
    if theta.shape != (hidden * d + hidden,):
        raise ValueError(f"{fn}: theta has shape {theta.shape}, expected (hidden * d + hidden,) = "
                         f"({hidden * d + hidden},) for hidden = {hidden} and X of shape {X.shape}")
    return theta[:hidden * d].reshape(hidden, d), theta[hidden * d:], X, y


def tanh_net_loss_grad(theta, X, y, hidden: int):
    r"""Squared loss of :math:`f(x) = w_2^\top\tanh(W_1 x/\sqrt d)/\sqrt h` and its gradient.

    .. math::
        L(\theta) = \frac{1}{2n}\sum_i (f(x_i) - y_i)^2

    The :math:`1/\sqrt d` and :math:`1/\sqrt h` keep the pre-activations and the output of order 1 with
    :math:`N(0, 1)` parameters, whatever ``d`` and ``h``.

    Parameters
    ----------
    theta : ndarray of shape (hidden * d + hidden,)
        ``W_1`` (``(hidden, d)``, row-major) followed by ``w_2`` (``(hidden,)``).
    X : ndarray of shape (n, d)
    y : ndarray of shape (n,)
    hidden : int

    Returns
    -------
    loss : float
    grad : ndarray of shape (hidden * d + hidden,)
    """
    W1, w2, X, y = _tanh_net_unpack(theta, X, y, hidden, "tanh_net_loss_grad")
    n, d = X.shape
    A = np.tanh(X @ W1.T / math.sqrt(d))
    r = A @ w2 / math.sqrt(hidden) - y
    dr = r / n
    dw2 = A.T @ dr / math.sqrt(hidden)
    dZ = np.outer(dr, w2) * (1.0 - A * A) / math.sqrt(hidden)
    dW1 = dZ.T @ X / math.sqrt(d)
    return 0.5 * float(r @ r) / n, np.concatenate([dW1.ravel(), dw2])


def tanh_net_masks(d: int, hidden: int) -> dict:
    """0/1 masks over ``theta`` selecting each layer: ``{"W1": (P,), "w2": (P,)}`` for :func:`masked_hvp`."""
    d = check_positive_int(d, "d", "tanh_net_masks")
    hidden = check_positive_int(hidden, "hidden", "tanh_net_masks")
    m = np.zeros(hidden * d + hidden)
    m[:hidden * d] = 1.0
    return {"W1": m, "w2": 1.0 - m}


class SharpnessRun(NamedTuple):
    """What :func:`gd_sharpness` records."""

    steps: np.ndarray  #: (K,) the steps at which the sharpness was measured (0 = initialization)
    sharpness: np.ndarray  #: (K,) lambda_max(H) at those steps
    loss: np.ndarray  #: (T + 1,) the training loss before step 1 .. after step T


def gd_sharpness(X, y, hidden: int, lr: float, steps: int, rng, every: int = 25, power_iters: int = 15,
                 init_iters: int = 50) -> SharpnessRun:
    r"""Full-batch gradient descent on :func:`tanh_net_loss_grad`, measuring the sharpness :math:`\lambda_{\max}(H)`.

    GD on a quadratic with curvature :math:`\lambda` multiplies the error by :math:`1 - \eta\lambda` per step, so it
    is stable iff :math:`\eta\lambda < 2`. Cohen et al. (2021) observed that on neural networks the sharpness rises
    during training ("progressive sharpening") until it reaches :math:`2/\eta`, then hovers there while the loss
    keeps falling, non-monotonically: the edge of stability.

    The sharpness is the top eigenvalue by :func:`top_eigenpair` on :func:`hvp_fd` products: ``init_iters``
    iterations at the start, then ``power_iters`` every ``every`` steps, warm-started from the previous eigenvector
    (the Hessian changes little between measurements).

    Parameters
    ----------
    X : ndarray of shape (n, d)
    y : ndarray of shape (n,)
    hidden : int
    lr : float > 0
    steps : int >= 1
    rng : numpy.random.Generator
        Initial parameters (:func:`tanh_net_init`), then the first power iteration's start.
    every, power_iters, init_iters : int >= 1

    Returns
    -------
    SharpnessRun
    """
    fn = "gd_sharpness"
    X = as_float_array(X, "X", fn, ndim=2)
    lr = check_positive(lr, "lr", fn)
    steps = check_positive_int(steps, "steps", fn)
    every = check_positive_int(every, "every", fn)
    rng = check_rng(rng, fn)
    theta = tanh_net_init(X.shape[1], hidden, rng)
    tanh_net_loss_grad(theta, X, y, hidden)  # validate once; the loop below runs without checks
    grad = lambda t: tanh_net_loss_grad(t, X, y, hidden)[1]  # noqa: E731
    lam, v = top_eigenpair(lambda u: hvp_fd(grad, theta, u), theta.size, rng, iters=init_iters)
    at, sharp, losses = [0], [lam], []
    for t in range(1, steps + 1):
        loss, g = tanh_net_loss_grad(theta, X, y, hidden)
        losses.append(loss)
        theta = theta - lr * g
        if t % every == 0:
            lam, v = top_eigenpair(lambda u: hvp_fd(grad, theta, u), theta.size, rng, iters=power_iters, v0=v)
            at.append(t)
            sharp.append(lam)
    losses.append(tanh_net_loss_grad(theta, X, y, hidden)[0])
    return SharpnessRun(np.array(at), np.array(sharp), np.array(losses))


# --------------------------------------------------------------------------- SP against muP (15.5)

_PARAMS = ("sp", "mup")


def relu_net_init(d_in: int, width: int, classes: int, rng, param: str = "sp", base_width: int = 32):
    r"""A one-hidden-layer ReLU classifier in the standard parameterization or in muP, and its per-layer lr factors.

    Both: :math:`W_1 \sim N(0, 1/d_{in})`, zero biases, the hidden layer's learning rate :math:`\eta`.
    SP: readout :math:`W_2 \sim N(0, 1/N)` and learning rate :math:`\eta`. muP (Yang et al. 2022, for Adam):
    readout :math:`W_2 \sim N(0, 1/N^2)` and learning rate :math:`\eta N_0/N`, with :math:`N_0` = ``base_width``
    (so a muP net of width :math:`N_0` takes the same steps as SP there).

    Returns
    -------
    layers : list of Layer
        ``[Layer(W1 (N, d_in), b1 (N,)), Layer(W2 (C, N), b2 (C,))]``.
    lr_scale : list of float
        One factor per array ``[W1, b1, W2, b2]``, multiplying the base learning rate.
    """
    fn = "relu_net_init"
    d_in, width, classes, base_width = (check_positive_int(v, name, fn) for v, name in
                                        ((d_in, "d_in"), (width, "width"), (classes, "classes"),
                                         (base_width, "base_width")))
    if param not in _PARAMS:
        raise ValueError(f"{fn}: param must be one of {_PARAMS}, got {param!r}")
    rng = check_rng(rng, fn)
    W1 = rng.standard_normal((width, d_in)) / math.sqrt(d_in)
    readout_std = 1.0 / width if param == "mup" else 1.0 / math.sqrt(width)
    W2 = rng.standard_normal((classes, width)) * readout_std
    readout_lr = base_width / width if param == "mup" else 1.0
    return [Layer(W1, np.zeros(width)), Layer(W2, np.zeros(classes))], [1.0, 1.0, readout_lr, 1.0]


def train_width_lr(X, y, width: int, lr: float, rng, *, param: str = "sp", steps: int = 100, batch_size: int = 64,
                   base_width: int = 32, X_eval=None, y_eval=None) -> float:
    r"""Train :func:`relu_net_init`'s network with Adam (per-layer learning rates) and return the final loss.

    Each step takes the next ``batch_size`` rows of a fresh permutation per epoch and applies
    :func:`helpers.optim.adam_step` to each array with learning rate ``lr * lr_scale``.

    Parameters
    ----------
    X : ndarray of shape (n, d_in)
    y : ndarray of int, shape (n,)
    width : int
    lr : float > 0
    rng : numpy.random.Generator
        Initial weights, then minibatch order.
    param : {"sp", "mup"}
    steps, batch_size, base_width : int
    X_eval, y_eval : optional
        Where the final loss is measured (default: ``X, y``).

    Returns
    -------
    float
        Mean softmax cross-entropy on ``(X_eval, y_eval)`` after training (``inf`` if it diverged).
    """
    fn = "train_width_lr"
    X = as_float_array(X, "X", fn, ndim=2)
    n = X.shape[0]
    y = as_labels(y, "y", fn, n)
    lr = check_positive(lr, "lr", fn)
    rng = check_rng(rng, fn)
    batch = min(check_positive_int(batch_size, "batch_size", fn), n)
    steps = check_positive_int(steps, "steps", fn)
    layers, scale = relu_net_init(X.shape[1], width, int(y.max()) + 1, rng, param, base_width)
    params = [layers[0].W, layers[0].b, layers[1].W, layers[1].b]
    m = [np.zeros_like(p) for p in params]
    v = [np.zeros_like(p) for p in params]
    order, pos = rng.permutation(n), 0
    with np.errstate(all="ignore"):
        for t in range(1, steps + 1):
            if pos + batch > n:
                order, pos = rng.permutation(n), 0
            idx = order[pos:pos + batch]
            pos += batch
            _, grads = mlp_loss_and_grads(X[idx], y[idx], [Layer(params[0], params[1]), Layer(params[2], params[3])])
            flat = [grads[0].W, grads[0].b, grads[1].W, grads[1].b]
            for i in range(4):
                params[i], m[i], v[i] = adam_step(params[i], flat[i], m[i], v[i], t, lr * scale[i])
        X_eval = X if X_eval is None else as_float_array(X_eval, "X_eval", fn, ndim=2)
        y_eval = y if y_eval is None else np.asarray(y_eval)
        logits, _ = mlp_forward(X_eval, [Layer(params[0], params[1]), Layer(params[2], params[3])], keep_pre=False)
        if not np.all(np.isfinite(logits)):
            return math.inf
        return _losses.softmax_cross_entropy(logits, y_eval)


def lr_width_sweep(X, y, widths, lrs, seed: int, *, param: str = "sp", **kwargs) -> np.ndarray:
    r"""Final loss of :func:`train_width_lr` for every width and learning rate.

    Every run starts from ``numpy.random.default_rng(seed)``, so all learning rates at one width share the initial
    weights and the minibatch order (a paired comparison).

    Returns
    -------
    ndarray of shape (len(widths), len(lrs))
    """
    return np.array([[train_width_lr(X, y, w, lr, np.random.default_rng(seed), param=param, **kwargs) for lr in lrs]
                     for w in widths])


# --------------------------------------------------------------------------- the weight-decay equilibrium (15.6)

def wd_equilibrium(lr: float, wd: float, beta1: float = 0.9) -> float:
    r"""Kosson et al.'s equilibrium relative update of AdamW on a scale-invariant weight,
    :math:`\sqrt{2\eta\lambda(1-\beta_1)/(1+\beta_1)}`.

    Why: the gradient of a scale-invariant weight is orthogonal to it, so updates make :math:`\lVert W\rVert` grow
    while the decay :math:`W \leftarrow (1-\eta\lambda)W` shrinks it; the norm settles where the two balance.
    For noise-like gradients Adam's momentum averages about :math:`(1+\beta_1)/(1-\beta_1)` independent steps,
    which shrinks the update's size by that factor's square root. ``lr = 0.01``, ``wd = 0.5`` give 0.0229,
    whatever the width.
    """
    lr = check_positive(lr, "lr", "wd_equilibrium")
    wd = check_positive(wd, "wd", "wd_equilibrium")
    beta1 = check_probability(beta1, "beta1", "wd_equilibrium")
    return math.sqrt(2.0 * lr * wd * (1.0 - beta1) / (1.0 + beta1))


def adamw_relative_updates(X, y, width: int, rng, *, lr: float = 0.01, wd: float = 0.5, steps: int = 500,
                           batch_size: int = 64, beta1: float = 0.9, beta2: float = 0.999) -> np.ndarray:
    r"""AdamW on ``d_in - width(LN) - C`` and the relative update :math:`\lVert\Delta W_1\rVert/\lVert W_1\rVert`
    of every step.

    The hidden layer has no bias and a parameter-free LayerNorm before its ReLU
    (:func:`helpers.training.mlp_forward_normed`), so the network is unchanged when :math:`W_1` is scaled: :math:`W_1`
    is scale-invariant. AdamW: :math:`W \leftarrow (1 - \eta\lambda)W` (:func:`helpers.norm.decoupled_weight_decay`,
    on ``W1`` and ``W2``), then the Adam step (:func:`helpers.optim.adam_step`).

    Parameters
    ----------
    X : ndarray of shape (n, d_in)
    y : ndarray of int, shape (n,)
    width : int
    rng : numpy.random.Generator
        Initial weights (:math:`W_1 \sim N(0, 1/d_{in})`, :math:`W_2 \sim N(0, 1/N)`), then minibatch order.
    lr, wd : float > 0
    steps, batch_size : int
    beta1, beta2 : float in [0, 1)

    Returns
    -------
    ndarray of shape (steps,)
    """
    fn = "adamw_relative_updates"
    X = as_float_array(X, "X", fn, ndim=2)
    n, d_in = X.shape
    y = as_labels(y, "y", fn, n)
    width = check_positive_int(width, "width", fn)
    rng = check_rng(rng, fn)
    lr = check_positive(lr, "lr", fn)
    wd = check_positive(wd, "wd", fn, allow_zero=True)
    steps = check_positive_int(steps, "steps", fn)
    batch = min(check_positive_int(batch_size, "batch_size", fn), n)
    beta1 = check_probability(beta1, "beta1", fn)
    beta2 = check_probability(beta2, "beta2", fn)
    C = int(y.max()) + 1
    params = [rng.standard_normal((width, d_in)) / math.sqrt(d_in), rng.standard_normal((C, width)) / math.sqrt(width),
              np.zeros(C)]
    m = [np.zeros_like(p) for p in params]
    v = [np.zeros_like(p) for p in params]
    zero_bias = np.zeros(width)
    rel = np.empty(steps)
    order, pos = rng.permutation(n), 0
    for t in range(1, steps + 1):
        if pos + batch > n:
            order, pos = rng.permutation(n), 0
        idx = order[pos:pos + batch]
        pos += batch
        layers = [Layer(params[0], zero_bias), Layer(params[1], params[2])]
        logits, cache = mlp_forward_normed(X[idx], layers)
        _, dlogits = _losses.softmax_cross_entropy_with_grad(logits, y[idx])
        grads, _ = mlp_backward_normed(dlogits, cache, layers)
        flat = [grads[0].W, grads[1].W, grads[1].b]
        new = []
        for i in range(3):
            p = decoupled_weight_decay([params[i]], lr, wd)[0] if i < 2 else params[i]
            p, m[i], v[i] = adam_step(p, flat[i], m[i], v[i], t, lr, beta1, beta2)
            new.append(p)
        rel[t - 1] = np.linalg.norm(new[0] - params[0]) / np.linalg.norm(params[0])
        params = new
    return rel


# --------------------------------------------------------------------------- the lab's reproductions, one seed each

class HessianCheck(NamedTuple):
    """What :func:`hessian_experiment` measures on the 2-layer tanh network (d = 5, h = 20, P = 120)."""

    hessian: np.ndarray  #: (P, P) built from P HVPs (not symmetrized)
    asymmetry: float  #: max |H - H^T| / max |H|
    eigenvalues: np.ndarray  #: (P,) of the symmetrized H, ascending
    power_lam: float  #: top eigenvalue by power iteration (100 HVPs)
    power_rel_error: float  #: |power_lam - lam_max| / |lam_max|, lam_max the eigenvalue of largest magnitude
    block_max: dict  #: largest eigenvalue of each layer's diagonal block ("W1", "w2")


def _tanh_problem(rng, n, d):
    X = rng.standard_normal((n, d))
    return X, 0.5 * rng.standard_normal(n)


def hessian_experiment(seed: int, d: int = 5, hidden: int = 20, n: int = 64, power_iters: int = 100) -> HessianCheck:
    r"""Build the Hessian of the 2-layer tanh network at initialization from HVPs and check power iteration on it.

    One ``default_rng(seed)`` draws ``X`` (``(n, d)``, standard normal), targets :math:`y \sim N(0, 0.5^2)`, the
    parameters, then power iteration's start.
    """
    rng = np.random.default_rng(seed)
    X, y = _tanh_problem(rng, n, d)
    theta = tanh_net_init(d, hidden, rng)
    grad = lambda t: tanh_net_loss_grad(t, X, y, hidden)[1]  # noqa: E731
    hvp = lambda u: hvp_fd(grad, theta, u)  # noqa: E731
    H = hessian_from_hvp(hvp, theta.size)
    Hs = 0.5 * (H + H.T)
    ev = np.linalg.eigvalsh(Hs)
    lam_max = ev[np.argmax(np.abs(ev))]
    lam, _ = top_eigenpair(hvp, theta.size, rng, iters=power_iters)
    blocks = {name: float(np.linalg.eigvalsh(Hs[np.ix_(m > 0, m > 0)]).max())
              for name, m in tanh_net_masks(d, hidden).items()}
    return HessianCheck(H, float(np.abs(H - H.T).max() / np.abs(H).max()), ev, lam,
                        float(abs(lam - lam_max) / abs(lam_max)), blocks)


def eos_experiment(seed: int, lr: float, steps: int = 1500, d: int = 8, hidden: int = 32, n: int = 64,
                   every: int = 25) -> SharpnessRun:
    r"""Edge of stability: :func:`gd_sharpness` on the 2-layer tanh network with ``d = 8``, ``h = 32``, ``n = 64``.

    One ``default_rng(seed)`` draws ``X`` (standard normal), random targets :math:`y \sim N(0, 0.5^2)`, then the
    run's parameters; the same seed gives the same data and initialization for every ``lr``.
    """
    rng = np.random.default_rng(seed)
    X, y = _tanh_problem(rng, n, d)
    return gd_sharpness(X, y, hidden, lr, steps, rng, every=every)


class TransferResult(NamedTuple):
    """What :func:`transfer_experiment` measures."""

    widths: tuple
    log2_lrs: np.ndarray  #: (K,)
    sp: np.ndarray  #: (len(widths), K) final training loss, standard parameterization
    mup: np.ndarray  #: (len(widths), K) final training loss, muP
    sp_best: np.ndarray  #: (len(widths),) log2 of the best learning rate per width, SP
    mup_best: np.ndarray  #: the same, muP
    sp_spread: float  #: max / min over widths of the loss at the smallest learning rate, SP
    mup_spread: float  #: the same, muP


def transfer_experiment(seed: int, widths=(32, 128, 512), log2_lrs=range(-9, -3), steps: int = 100) -> TransferResult:
    r"""Learning-rate transfer across width, SP against muP, on the digits (64-N-10 ReLU, Adam, batch 64).

    The data: 30% of the digits held out (by ``default_rng(seed)``), the pixels standardized with the training
    set's statistics; the loss is measured on the whole training set after ``steps`` steps. Every run of
    :func:`lr_width_sweep` starts from ``default_rng(seed)``.
    """
    X, y = load_digits()
    X_tr, y_tr, _, _ = train_val_split(X, y, 0.3, np.random.default_rng(seed))
    X_tr = standardize(X_tr)
    log2_lrs = np.asarray(list(log2_lrs), dtype=np.float64)
    lrs = 2.0 ** log2_lrs
    sp = lr_width_sweep(X_tr, y_tr, widths, lrs, seed, param="sp", steps=steps)
    mup = lr_width_sweep(X_tr, y_tr, widths, lrs, seed, param="mup", steps=steps)
    return TransferResult(tuple(widths), log2_lrs, sp, mup, log2_lrs[np.argmin(sp, axis=1)],
                          log2_lrs[np.argmin(mup, axis=1)], float(sp[:, 0].max() / sp[:, 0].min()),
                          float(mup[:, 0].max() / mup[:, 0].min()))


class EquilibriumResult(NamedTuple):
    """What :func:`equilibrium_experiment` measures, one entry per width."""

    widths: tuple
    relative_updates: np.ndarray  #: (len(widths), steps) ||dW1|| / ||W1|| per step
    prediction: float  #: wd_equilibrium(lr, wd, beta1)
    ratio: np.ndarray  #: (len(widths),) mean relative update over the last 100 steps / prediction


def equilibrium_experiment(seed: int, widths=(32, 256), lr: float = 0.01, wd: float = 0.5,
                           steps: int = 500) -> EquilibriumResult:
    r"""The weight-decay equilibrium (Kosson et al. 2024) on the digits with **random labels**, so the gradients are
    noise-dominated, as the equilibrium argument assumes. Pixels standardized; one ``default_rng(seed)`` draws the
    labels, then each width's run continues from a fresh ``default_rng([seed, width])``."""
    X, _ = load_digits()
    X = standardize(X)
    y = np.random.default_rng(seed).integers(0, 10, len(X))
    rel = np.array([adamw_relative_updates(X, y, w, np.random.default_rng([seed, w]), lr=lr, wd=wd, steps=steps)
                    for w in widths])
    pred = wd_equilibrium(lr, wd)
    return EquilibriumResult(tuple(widths), rel, pred, rel[:, -100:].mean(axis=1) / pred)
