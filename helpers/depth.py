r"""Lab 14: normalization at depth. BatchNorm's statistics, BatchNorm at initialization, residual streams.

Five experiments, each a pure function of its inputs and an ``rng``:

* **BatchNorm at test time** (:func:`train_bn_mlp`, :func:`bn_mlp_logits`, :func:`recalibrate`): a
  64-64(BN)-10 ReLU classifier trained with minibatch SGD keeps running statistics for evaluation; a shifted
  input :math:`x' = ax + b` moves every pre-activation by an affine map per unit, which statistics recomputed on
  unlabeled shifted data undo exactly. The gradients come from :func:`helpers.norm.deep_relu_loss_and_grads`,
  whose BatchNorm backward is section 8's :func:`helpers.norm.batchnorm_train_backward`.
* **BatchNorm at initialization** (:func:`bn_random_chain`, :func:`pairwise_cosines`, :func:`stable_rank`,
  :func:`odd_point_stats`, :func:`bn_relu_fixed_point_cos`): a batch pushed through many random layers with
  recentering (RC), rescaling (RS) and a nonlinearity switched on or off one by one.
* **Residual-stream variance** (:func:`residual_weights`, :func:`residual_stream_variances`): pre-LN blocks
  :math:`h \leftarrow h + \alpha W_2\,\mathrm{relu}(W_1\,\mathrm{LN}(h))` add :math:`\alpha^2` of variance each.
* **Pre-LN against post-LN** (:func:`ln_stack_loss_and_grads`, :func:`gradient_profiles`): where in depth the
  weight gradients are large at initialization (Xiong et al. 2020).
* **Lesions** (:func:`train_lesion_net`, :func:`lesion_accuracies`): drop one block of a trained residual
  network, or of a plain stack, and measure the accuracy (Veit et al. 2016).

Shapes: a batch ``X`` or a residual stream ``h`` is ``(B, d)``; stacked block weights are ``(L, n, n)``.
"""
from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from . import norm as _norm
from .data import load_digits, train_val_split
from .optim import Adam
from ._validate import as_float_array, as_labels, check_positive, check_positive_int, check_probability, check_rng

__all__ = ["bn_random_chain", "pairwise_cosines", "stable_rank", "OddPoint", "odd_point_stats", "relu_cosine",
           "bn_relu_fixed_point_cos", "bn_mlp_init", "train_bn_mlp", "bn_mlp_logits", "recalibrate", "accuracy",
           "residual_weights", "residual_stream_variances", "ln_stack_loss_and_grads", "gradient_profiles",
           "LesionNet", "lesion_net_init", "lesion_net_logits", "lesion_net_loss_and_grads", "train_lesion_net",
           "lesion_accuracies", "TestTimeResult", "bn_test_time_experiment", "CollapseResult", "collapse_experiment",
           "odd_point_experiment", "ResidualVarianceResult", "residual_variance_experiment", "ProfileResult",
           "ln_profile_experiment", "LesionResult", "lesion_experiment"]

_ACTIVATIONS = ("relu", "identity")


# --------------------------------------------------------------------------- BatchNorm at initialization (14.3, 14.4)

def bn_random_chain(X, depth, width, rng, recenter=True, rescale=True, activation="relu", eps=1e-5):
    r"""Push a batch through ``depth`` random layers with BatchNorm's pieces switched on or off.

    Layer by layer, with a fresh Gaussian weight matrix each time:

    .. math::
        Z = H W^\top,\ W_{jk} \sim N(0, 1/\text{fan\_in});\quad
        \text{RC: } Z \leftarrow Z - \bar Z;\quad
        \text{RS: } Z \leftarrow Z / \sqrt{\overline{Z^2} + \epsilon};\quad
        H \leftarrow \phi(Z)

    where the bars average over the batch (axis 0), feature by feature, and RS uses the second moment of what it
    receives (after RC that is the biased variance, so RC + RS is BatchNorm without ``gamma``/``beta``; without RC
    it is the per-feature rescaling of Daneshmand et al. 2021).

    Parameters
    ----------
    X : ndarray of shape (B, d_in)
        The batch, one example per row.
    depth : int >= 1
        Number of layers.
    width : int >= 1
        Units per layer.
    rng : numpy.random.Generator
        Draws the weights in a fixed order: one ``rng.standard_normal((width, fan_in)) / sqrt(fan_in)`` per layer
        (``fan_in`` is ``d_in`` for the first layer, ``width`` after).
    recenter, rescale : bool
        Switch RC and RS on or off.
    activation : {"relu", "identity"}
    eps : float > 0
        Inside the square root of RS, as in BatchNorm.

    Returns
    -------
    H : ndarray of shape (B, width)
        The last layer's output.
    """
    fn = "bn_random_chain"
    H = as_float_array(X, "X", fn, ndim=2)
    if H.shape[0] == 0 or H.shape[1] == 0:
        raise ValueError(f"{fn}: X has shape {H.shape}; expected (B, d_in) with B >= 1 and d_in >= 1")
    depth = check_positive_int(depth, "depth", fn)
    width = check_positive_int(width, "width", fn)
    rng = check_rng(rng, fn)
    eps = check_positive(eps, "eps", fn)
    if activation not in _ACTIVATIONS:
        raise ValueError(f"{fn}: activation must be one of {_ACTIVATIONS}, got {activation!r}")
    for _ in range(depth):
        fan_in = H.shape[1]
        W = rng.standard_normal((width, fan_in)) / math.sqrt(fan_in)
        Z = H @ W.T
        if recenter:
            Z = Z - Z.mean(axis=0)
        if rescale:
            Z = Z / np.sqrt((Z * Z).mean(axis=0) + eps)
        H = np.maximum(Z, 0.0) if activation == "relu" else Z
    return H


def pairwise_cosines(H):
    r"""Cosine similarity of every pair of rows, :math:`C_{ij} = h_i^\top h_j / (\lVert h_i\rVert\,\lVert h_j\rVert)`.

    Parameters
    ----------
    H : ndarray of shape (B, d)

    Returns
    -------
    ndarray of shape (B, B)
        Symmetric, with 1 on the diagonal; a zero row has cosine 0 with every row (and 0 on the diagonal).
    """
    H = as_float_array(H, "H", "pairwise_cosines", ndim=2)
    norms = np.linalg.norm(H, axis=1)
    U = H / np.where(norms > 0, norms, 1.0)[:, None]
    return np.clip(U @ U.T, -1.0, 1.0)


def stable_rank(H) -> float:
    r"""Stable rank :math:`\lVert H\rVert_F^2/\lVert H\rVert_2^2 = \sum_k s_k^2 / s_1^2`, between 1 and the rank.

    Unlike the rank it does not jump with tiny singular values: a batch collapsed onto one direction has stable
    rank near 1 even when rounding keeps the matrix full rank.

    Parameters
    ----------
    H : ndarray of shape (B, d), not all zero
    """
    H = as_float_array(H, "H", "stable_rank", ndim=2)
    s = np.linalg.svd(H, compute_uv=False)
    if s.size == 0 or s[0] == 0:
        raise ValueError(f"stable_rank: H of shape {H.shape} is all zero (or empty); its stable rank is undefined")
    return float(np.sum(s * s) / (s[0] * s[0]))


class OddPoint(NamedTuple):
    """What :func:`odd_point_stats` measures on a batch of representations."""

    index: int  #: the row with the largest norm (the odd point)
    odd_cos: float  #: the largest |cosine| between the odd point and any other row
    cluster_cos: float  #: the median cosine between two rows other than the odd point
    norm_ratio: float  #: the odd point's norm over the mean norm of the other rows


def odd_point_stats(H) -> OddPoint:
    r"""Locate the odd point of a batch (its largest-norm row) and measure how far it sits from the rest.

    Nachum et al. (2024) predict, for recentering + ReLU at depth, one row orthogonal to all others
    (``odd_cos`` near 0), the others in one cluster (``cluster_cos`` near 1), and a norm ratio of ``B - 1``.

    Parameters
    ----------
    H : ndarray of shape (B, d), B >= 3

    Returns
    -------
    OddPoint
    """
    H = as_float_array(H, "H", "odd_point_stats", ndim=2)
    B = H.shape[0]
    if B < 3:
        raise ValueError(f"odd_point_stats: H has shape {H.shape}; need B >= 3 rows (an odd point and a cluster of 2)")
    norms = np.linalg.norm(H, axis=1)
    odd = int(np.argmax(norms))
    rest = np.delete(np.arange(B), odd)
    C = pairwise_cosines(H)
    inner = C[np.ix_(rest, rest)][~np.eye(B - 1, dtype=bool)]
    mean_rest = norms[rest].mean()
    ratio = float(norms[odd] / mean_rest) if mean_rest > 0 else math.inf
    return OddPoint(odd, float(np.abs(C[odd, rest]).max()), float(np.median(inner)), ratio)


def relu_cosine(rho):
    r"""Cosine between :math:`\mathrm{relu}(u)` and :math:`\mathrm{relu}(v)` for Gaussian :math:`(u, v)` with
    correlation ``rho``.

    The normalized arc-cosine kernel of degree 1 (Cho and Saul 2009):
    :math:`\kappa(\rho) = \big(\sqrt{1-\rho^2} + (\pi - \arccos\rho)\,\rho\big)/\pi`, with :math:`\kappa(1) = 1`
    and :math:`\kappa(-1) = 0`; it maps ``[-1, 1]`` into ``[0, 1]``: ReLU makes every pair positively correlated.

    Parameters
    ----------
    rho : float or ndarray, values in [-1, 1]
    """
    rho = as_float_array(rho, "rho", "relu_cosine")
    if np.any(np.abs(rho) > 1):
        raise ValueError(f"relu_cosine: rho must lie in [-1, 1], got values up to {np.abs(rho).max()}")
    return (np.sqrt(1.0 - rho * rho) + (math.pi - np.arccos(rho)) * rho) / math.pi


def bn_relu_fixed_point_cos(B: int) -> float:
    r"""The pairwise cosine after ReLU at the symmetric fixed point of RC + RS + ReLU layers, :math:`\kappa(-1/(B-1))`.

    Recentering a symmetric batch of ``B`` points (equal norms, equal pairwise cosines) turns it into a regular
    simplex, whose pairwise cosine is :math:`-1/(B-1)`; a wide random layer keeps the cosines and ReLU maps them to
    :func:`relu_cosine` of that, which recentering sends back to the simplex. ``B = 8`` gives 0.250.

    Parameters
    ----------
    B : int >= 2
    """
    B = check_positive_int(B, "B", "bn_relu_fixed_point_cos")
    if B < 2:
        raise ValueError(f"bn_relu_fixed_point_cos: B must be >= 2 (one point has no pair), got {B}")
    return float(relu_cosine(-1.0 / (B - 1)))


# --------------------------------------------------------------------------- BatchNorm at test time (14.1, 14.2)

def bn_mlp_init(d_in: int, hidden: int, classes: int, rng) -> list:
    r"""Parameters of a one-hidden-layer BatchNorm classifier ``d_in - hidden(BN) - classes``.

    He initialization :math:`W \sim N(0, 2/\text{fan\_in})`, zero biases, :math:`\gamma = 1`, :math:`\beta = 0`
    (the layout of :func:`helpers.norm.deep_relu_loss_and_grads`).

    Returns
    -------
    list of ndarray
        ``[W1 (hidden, d_in), b1 (hidden,), gamma (hidden,), beta (hidden,), W2 (classes, hidden), b2 (classes,)]``.
    """
    fn = "bn_mlp_init"
    sizes = [check_positive_int(d_in, "d_in", fn), check_positive_int(hidden, "hidden", fn),
             check_positive_int(classes, "classes", fn)]
    return _norm._deep_relu_params(sizes, check_rng(rng, fn), True)


def _check_bn_params(params, fn):
    if len(params) != 6:
        raise ValueError(f"{fn}: params must be [W1, b1, gamma, beta, W2, b2] (see bn_mlp_init), "
                         f"got {len(params)} arrays")
    return [as_float_array(p, name, fn, ndim=k) for p, name, k in
            zip(params, ("W1", "b1", "gamma", "beta", "W2", "b2"), (2, 1, 1, 1, 2, 1))]


def train_bn_mlp(X, y, rng, *, hidden=64, lr=0.1, batch_size=64, steps=400, momentum=0.1):
    r"""Minibatch SGD on a ``d_in - hidden(BN) - C`` ReLU classifier, keeping BatchNorm's running statistics.

    Each step takes the next ``batch_size`` rows of a fresh permutation per epoch, moves the running mean and
    (biased) variance of the BatchNorm input towards the batch's by ``momentum`` (PyTorch's convention, as in
    :func:`helpers.norm.batchnorm_forward`), and applies :math:`\theta \leftarrow \theta - \eta\nabla L` with the
    gradients of :func:`helpers.norm.deep_relu_loss_and_grads` (training mode: batch statistics).

    Parameters
    ----------
    X : ndarray of shape (n, d_in)
    y : ndarray of int, shape (n,)
        Labels in ``[0, C)``, ``C = y.max() + 1``.
    rng : numpy.random.Generator
        Initial weights, then the minibatch order.
    hidden, batch_size, steps : int >= 1
    lr : float > 0
    momentum : float in [0, 1]

    Returns
    -------
    params : list of ndarray
        ``[W1, b1, gamma, beta, W2, b2]`` after training.
    state : helpers.norm.BatchNormState
        The running statistics, each ``(hidden,)``, for :func:`bn_mlp_logits`.
    """
    fn = "train_bn_mlp"
    X = as_float_array(X, "X", fn, ndim=2)
    n = X.shape[0]
    y = as_labels(y, "y", fn, n)
    rng = check_rng(rng, fn)
    batch = min(check_positive_int(batch_size, "batch_size", fn), n)
    steps = check_positive_int(steps, "steps", fn)
    lr = check_positive(lr, "lr", fn)
    momentum = check_probability(momentum, "momentum", fn, allow_one=True)
    params = bn_mlp_init(X.shape[1], hidden, int(y.max()) + 1, rng)
    state = _norm.batchnorm_init(params[0].shape[0])
    order, pos = rng.permutation(n), 0
    for _ in range(steps):
        if pos + batch > n:
            order, pos = rng.permutation(n), 0
        idx = order[pos:pos + batch]
        pos += batch
        Xb, yb = X[idx], y[idx]
        Z = Xb @ params[0].T + params[1]
        mu = Z.mean(axis=0)
        var = ((Z - mu) ** 2).mean(axis=0)
        state = _norm.BatchNormState((1 - momentum) * state.running_mean + momentum * mu,
                                     (1 - momentum) * state.running_var + momentum * var)
        _, grads = _norm.deep_relu_loss_and_grads(params, Xb, yb, batchnorm=True)
        params = [p - lr * g for p, g in zip(params, grads)]
    return params, state


def bn_mlp_logits(X, params, state, train=False):
    r"""Logits of the BatchNorm classifier: :math:`W_2\,\mathrm{relu}(\mathrm{BN}(W_1 x + b_1)) + b_2`.

    Parameters
    ----------
    X : ndarray of shape (B, d_in)
    params : list of ndarray
        ``[W1, b1, gamma, beta, W2, b2]``.
    state : helpers.norm.BatchNormState
        Running statistics, used in evaluation mode.
    train : bool
        False (default): normalize with ``state``, so each prediction depends on its own example only.
        True: normalize with the batch's own statistics (what training sees).

    Returns
    -------
    ndarray of shape (B, C)
    """
    fn = "bn_mlp_logits"
    W1, b1, gamma, beta, W2, b2 = _check_bn_params(params, fn)
    X = as_float_array(X, "X", fn, ndim=2)
    if X.shape[1] != W1.shape[1]:
        raise ValueError(f"{fn}: X has shape {X.shape}, expected (B, {W1.shape[1]}) to match W1 of shape {W1.shape}")
    out, _, _ = _norm.batchnorm_forward(X @ W1.T + b1, gamma, beta, state, train=bool(train))
    return np.maximum(out, 0.0) @ W2.T + b2


def recalibrate(X, params) -> _norm.BatchNormState:
    r"""Running statistics recomputed on (unlabeled) data: the mean and biased variance of :math:`W_1 x + b_1`
    over ``X``.

    If the input moved by :math:`x' = ax + b`, every BatchNorm input moves by :math:`z' = az + W_1 b` (an affine map
    per unit), so normalizing with statistics of the shifted data gives back the clean :math:`\hat z` (for
    :math:`a > 0`; exactly but for the :math:`\epsilon` added to a variance scaled by :math:`a^2`). No label and no
    gradient step is needed: this is test-time adaptation of BatchNorm.

    Parameters
    ----------
    X : ndarray of shape (n, d_in), n >= 1
    params : list of ndarray
        ``[W1, b1, gamma, beta, W2, b2]``.

    Returns
    -------
    helpers.norm.BatchNormState
    """
    fn = "recalibrate"
    W1, b1, *_ = _check_bn_params(params, fn)
    X = as_float_array(X, "X", fn, ndim=2)
    if X.shape[0] == 0 or X.shape[1] != W1.shape[1]:
        raise ValueError(f"{fn}: X has shape {X.shape}, expected (n, {W1.shape[1]}) with n >= 1")
    Z = X @ W1.T + b1
    return _norm.BatchNormState(Z.mean(axis=0), Z.var(axis=0))


def accuracy(logits, y) -> float:
    """Fraction of rows whose largest logit is the label. ``logits`` is ``(B, C)``, ``y`` is ``(B,)``."""
    logits = as_float_array(logits, "logits", "accuracy", ndim=2)
    y = as_labels(y, "y", "accuracy", logits.shape[0], logits.shape[1])
    return float(np.mean(np.argmax(logits, axis=1) == y))


# --------------------------------------------------------------------------- residual streams (14.5, 14.6)

def residual_weights(depth: int, width: int, rng):
    r"""Weights of ``depth`` residual MLP blocks :math:`F(u) = W_2\,\mathrm{relu}(W_1 u)`, drawn block by block.

    :math:`W_1 \sim N(0, 2/n)` (He: :math:`\mathrm{relu}(W_1 u)` has second moment :math:`\lVert u\rVert^2/n`) and
    :math:`W_2 \sim N(0, 1/n)`, so a block fed unit-variance rows returns unit-variance rows.

    Returns
    -------
    W1s, W2s : ndarray of shape (depth, width, width)
    """
    fn = "residual_weights"
    depth = check_positive_int(depth, "depth", fn)
    n = check_positive_int(width, "width", fn)
    rng = check_rng(rng, fn)
    W1s, W2s = np.empty((depth, n, n)), np.empty((depth, n, n))
    for l in range(depth):
        W1s[l] = rng.standard_normal((n, n)) * math.sqrt(2.0 / n)
        W2s[l] = rng.standard_normal((n, n)) / math.sqrt(n)
    return W1s, W2s


def _check_blocks(h, W1s, W2s, fn, h_name="h0"):
    h = as_float_array(h, h_name, fn, ndim=2)
    W1s = as_float_array(W1s, "W1s", fn, ndim=3)
    W2s = as_float_array(W2s, "W2s", fn, ndim=3)
    n = h.shape[1]
    for name, W in (("W1s", W1s), ("W2s", W2s)):
        if W.shape != (len(W1s), n, n):
            raise ValueError(f"{fn}: {name} has shape {W.shape}, expected (L, n, n) = ({len(W1s)}, {n}, {n}) "
                             f"to match {h_name} of shape {h.shape}")
    return h, W1s, W2s


def _ln(h):
    """Parameter-free LayerNorm of each row (helpers.norm.layer_norm with gamma = 1, beta = 0)."""
    n = h.shape[-1]
    return _norm.layer_norm(h, np.ones(n), np.zeros(n))


def residual_stream_variances(h0, W1s, W2s, alpha=1.0, layer_norm=True):
    r"""Variance of the residual stream after each block: :math:`h_{l+1} = h_l + \alpha F_l(\mathrm{LN}(h_l))`.

    With LayerNorm (pre-LN) each branch sees unit-variance rows whatever the stream's size, so each block adds
    about :math:`\alpha^2` of variance: :math:`\mathrm{Var}\,h_L \approx \mathrm{Var}\,h_0 + \alpha^2 L`. Without it
    the branch scales with the stream and the variance multiplies by about :math:`1 + \alpha^2` per block.

    Parameters
    ----------
    h0 : ndarray of shape (B, n)
        The stream's input.
    W1s, W2s : ndarray of shape (L, n, n)
        Block weights (:func:`residual_weights`).
    alpha : float >= 0
        Branch scale (1, or :math:`L^{-1/2}`).
    layer_norm : bool
        Pre-LN blocks (True) or no normalization (False).

    Returns
    -------
    ndarray of shape (L + 1,)
        ``Var h_0, Var h_1, ..., Var h_L``, each the variance over all entries (``inf`` after an overflow).
    """
    fn = "residual_stream_variances"
    h, W1s, W2s = _check_blocks(h0, W1s, W2s, fn)
    alpha = check_positive(alpha, "alpha", fn, allow_zero=True)
    out = [float(h.var())]
    with np.errstate(over="ignore", invalid="ignore"):
        for W1, W2 in zip(W1s, W2s):
            u = _ln(h) if layer_norm else h
            h = h + alpha * (np.maximum(u @ W1.T, 0.0) @ W2.T)
            v = float(h.var())
            out.append(v if np.isfinite(v) else math.inf)
    return np.array(out)


def ln_stack_loss_and_grads(X, Y, W1s, W2s, Wout, post):
    r"""Loss and gradients of a residual MLP stack with LayerNorm after (post-LN) or before (pre-LN) each block.

    Post-LN (the original Transformer): :math:`h \leftarrow \mathrm{LN}(h + F(h))`, readout :math:`\hat Y = h W_o^\top`.
    Pre-LN: :math:`h \leftarrow h + F(\mathrm{LN}(h))`, readout :math:`\hat Y = \mathrm{LN}(h) W_o^\top`.
    Blocks :math:`F(u) = W_2\,\mathrm{relu}(W_1 u)`, LayerNorm without parameters; loss
    :math:`\frac{1}{2B}\lVert \hat Y - Y\rVert_F^2`. The backward pass uses
    :func:`helpers.norm.layer_norm_backward`.

    Parameters
    ----------
    X : ndarray of shape (B, n)
    Y : ndarray of shape (B, k)
    W1s, W2s : ndarray of shape (L, n, n)
    Wout : ndarray of shape (k, n)
    post : bool
        Post-LN (True) or pre-LN (False).

    Returns
    -------
    loss : float
    dW1s, dW2s : ndarray of shape (L, n, n)
    dWout : ndarray of shape (k, n)
    """
    fn = "ln_stack_loss_and_grads"
    h, W1s, W2s = _check_blocks(X, W1s, W2s, fn, h_name="X")
    Y = as_float_array(Y, "Y", fn, ndim=2)
    Wout = as_float_array(Wout, "Wout", fn, ndim=2)
    B, n = h.shape
    if Y.shape[0] != B or Wout.shape != (Y.shape[1], n):
        raise ValueError(f"{fn}: Y has shape {Y.shape} and Wout {Wout.shape}; expected Y (B, k) = ({B}, k) "
                         f"and Wout (k, n) = (k, {n}) for X of shape {h.shape}")
    ones, tape = np.ones(n), []
    for W1, W2 in zip(W1s, W2s):
        u = h if post else _ln(h)
        a = np.maximum(u @ W1.T, 0.0)
        s = h + a @ W2.T if post else None
        tape.append((h, u, a, s))
        h = _ln(s) if post else h + a @ W2.T
    top = h if post else _ln(h)
    R = top @ Wout.T - Y
    loss = 0.5 * float(np.sum(R * R)) / B
    dR = R / B
    dWout = dR.T @ top
    dh = dR @ Wout
    if not post:
        dh = _norm.layer_norm_backward(dh, h, ones)[0]
    L = len(W1s)
    dW1s, dW2s = np.empty_like(W1s), np.empty_like(W2s)
    for l in range(L - 1, -1, -1):
        h_in, u, a, s = tape[l]
        if post:
            dh = _norm.layer_norm_backward(dh, s, ones)[0]  # through LN(s); ds = dh flows to h_in and the branch
        dW2s[l] = dh.T @ a
        da = (dh @ W2s[l]) * (a > 0)
        dW1s[l] = da.T @ u
        du = da @ W1s[l]
        dh = dh + (du if post else _norm.layer_norm_backward(du, h_in, ones)[0])
    return loss, dW1s, dW2s, dWout


def gradient_profiles(depth: int, width: int, rng, rows: int = 64, outputs: int = 16, inits: int = 5):
    r"""Mean over ``inits`` random draws of :math:`\lVert\partial L/\partial W_2^{(l)}\rVert_F` for post-LN and pre-LN.

    Each draw takes random regression data (``X`` and ``Y`` standard normal), block weights from
    :func:`residual_weights` and :math:`W_o \sim N(0, 1/n)`, and feeds the same draw to both stacks of
    :func:`ln_stack_loss_and_grads`, so the two profiles are a paired comparison.

    Returns
    -------
    post, pre : ndarray of shape (depth,)
        Layer 0 is the block nearest the input.
    """
    fn = "gradient_profiles"
    rng = check_rng(rng, fn)
    rows = check_positive_int(rows, "rows", fn)
    outputs = check_positive_int(outputs, "outputs", fn)
    inits = check_positive_int(inits, "inits", fn)
    width = check_positive_int(width, "width", fn)
    post, pre = np.zeros(depth), np.zeros(depth)
    for _ in range(inits):
        X = rng.standard_normal((rows, width))
        Y = rng.standard_normal((rows, outputs))
        W1s, W2s = residual_weights(depth, width, rng)
        Wout = rng.standard_normal((outputs, width)) / math.sqrt(width)
        for is_post, acc in ((True, post), (False, pre)):
            dW2s = ln_stack_loss_and_grads(X, Y, W1s, W2s, Wout, is_post)[2]
            acc += np.linalg.norm(dW2s, axis=(1, 2)) / inits
    return post, pre


# --------------------------------------------------------------------------- lesions (14.6, Veit et al.)

class LesionNet(NamedTuple):
    r"""A stack of ``L`` blocks :math:`F_l(h) = W_2^{(l)}\,\mathrm{relu}(W_1^{(l)} h + b_1^{(l)})` between an input
    layer and a linear readout, with skip connections (``residual``: :math:`h \leftarrow h + \alpha F_l(h)`) or
    without (:math:`h \leftarrow F_l(h)`)."""

    W_in: np.ndarray  #: (n, d_in)
    b_in: np.ndarray  #: (n,)
    W1: np.ndarray  #: (L, n, n)
    b1: np.ndarray  #: (L, n)
    W2: np.ndarray  #: (L, n, n)
    W_out: np.ndarray  #: (C, n)
    b_out: np.ndarray  #: (C,)
    residual: bool  #: skip connections or a plain stack
    alpha: float  #: branch scale (L^{-1/2} for the residual net, 1 for the plain stack)


_ARRAYS = 7  # the trainable fields of LesionNet


def lesion_net_init(d_in: int, width: int, blocks: int, classes: int, rng, residual: bool = True) -> LesionNet:
    r"""He-initialized :class:`LesionNet`: :math:`W_{in} \sim N(0, 1/d_{in})`, :math:`W_1 \sim N(0, 2/n)`,
    :math:`W_2, W_{out} \sim N(0, 1/n)`, zero biases; :math:`\alpha = L^{-1/2}` with skips, 1 without."""
    fn = "lesion_net_init"
    d_in, n, L, C = (check_positive_int(v, name, fn) for v, name in
                     ((d_in, "d_in"), (width, "width"), (blocks, "blocks"), (classes, "classes")))
    rng = check_rng(rng, fn)
    return LesionNet(rng.standard_normal((n, d_in)) / math.sqrt(d_in), np.zeros(n),
                     rng.standard_normal((L, n, n)) * math.sqrt(2.0 / n), np.zeros((L, n)),
                     rng.standard_normal((L, n, n)) / math.sqrt(n),
                     rng.standard_normal((C, n)) / math.sqrt(n), np.zeros(C),
                     bool(residual), 1.0 / math.sqrt(L) if residual else 1.0)


def _lesion_forward(X, net, skip):
    h = X @ net.W_in.T + net.b_in
    tape = []
    for l in range(len(net.W1)):
        if l == skip:  # a lesioned block passes its input through unchanged
            tape.append(None)
            continue
        a = np.maximum(h @ net.W1[l].T + net.b1[l], 0.0)
        tape.append((h, a))
        f = a @ net.W2[l].T
        h = h + net.alpha * f if net.residual else f
    return h @ net.W_out.T + net.b_out, h, tape


def _check_net(X, net, fn):
    if not isinstance(net, LesionNet):
        raise TypeError(f"{fn}: net must be a LesionNet (see lesion_net_init), got {type(net).__name__}")
    X = as_float_array(X, "X", fn, ndim=2)
    if X.shape[1] != net.W_in.shape[1]:
        raise ValueError(f"{fn}: X has shape {X.shape}, expected (B, {net.W_in.shape[1]}) "
                         f"to match W_in {net.W_in.shape}")
    return X


def lesion_net_logits(X, net: LesionNet, skip=None):
    r"""Logits of ``net`` on ``X``, shape ``(B, C)``, with block ``skip`` removed (``None``: the whole network).

    Removing block ``l`` makes it the identity: with skips only the branch :math:`\alpha F_l` goes, without skips
    the layer's whole computation goes and its input is passed to the next block.
    """
    fn = "lesion_net_logits"
    X = _check_net(X, net, fn)
    if skip is not None and not (isinstance(skip, (int, np.integer)) and 0 <= skip < len(net.W1)):
        raise ValueError(f"{fn}: skip must be None or a block index in [0, {len(net.W1) - 1}], got {skip!r}")
    return _lesion_forward(X, net, skip)[0]


def lesion_net_loss_and_grads(X, y, net: LesionNet):
    r"""Mean softmax cross-entropy of ``net`` on ``(X, y)`` and its gradient for every trainable array.

    Returns
    -------
    loss : float
    grads : list of ndarray
        ``[dW_in, db_in, dW1, db1, dW2, dW_out, db_out]``, shaped like the fields of :class:`LesionNet`.
    """
    fn = "lesion_net_loss_and_grads"
    X = _check_net(X, net, fn)
    logits, h, tape = _lesion_forward(X, net, None)
    y = as_labels(y, "y", fn, X.shape[0], logits.shape[1])
    B = X.shape[0]
    s = logits - logits.max(axis=1, keepdims=True)
    logp = s - np.log(np.exp(s).sum(axis=1, keepdims=True))
    loss = -float(logp[np.arange(B), y].mean())
    dZ = np.exp(logp)
    dZ[np.arange(B), y] -= 1.0
    dZ /= B
    dW_out, db_out = dZ.T @ h, dZ.sum(axis=0)
    dh = dZ @ net.W_out
    dW1, db1, dW2 = np.empty_like(net.W1), np.empty_like(net.b1), np.empty_like(net.W2)
    for l in range(len(net.W1) - 1, -1, -1):
        h_in, a = tape[l]
        df = net.alpha * dh if net.residual else dh
        dW2[l] = df.T @ a
        da = (df @ net.W2[l]) * (a > 0)
        dW1[l], db1[l] = da.T @ h_in, da.sum(axis=0)
        dh = (dh + da @ net.W1[l]) if net.residual else da @ net.W1[l]
    return loss, [dh.T @ X, dh.sum(axis=0), dW1, db1, dW2, dW_out, db_out]


def train_lesion_net(X, y, rng, *, residual: bool, blocks: int = 8, width: int = 64, lr: float = 3e-3,
                     steps: int = 300, batch_size: int = 64) -> LesionNet:
    r"""Train a :class:`LesionNet` with Adam (:class:`helpers.optim.Adam`) on minibatches of a fresh permutation
    per epoch.

    Parameters
    ----------
    X : ndarray of shape (n, d_in)
    y : ndarray of int, shape (n,)
    rng : numpy.random.Generator
        Initial weights, then minibatch order.
    residual : bool
    blocks, width, steps, batch_size : int >= 1
    lr : float > 0

    Returns
    -------
    LesionNet
    """
    fn = "train_lesion_net"
    X = as_float_array(X, "X", fn, ndim=2)
    n = X.shape[0]
    y = as_labels(y, "y", fn, n)
    rng = check_rng(rng, fn)
    batch = min(check_positive_int(batch_size, "batch_size", fn), n)
    steps = check_positive_int(steps, "steps", fn)
    net = lesion_net_init(X.shape[1], width, blocks, int(y.max()) + 1, rng, residual)
    opt = Adam(lr=check_positive(lr, "lr", fn))
    params = list(net[:_ARRAYS])
    state = opt.init(params)
    order, pos = rng.permutation(n), 0
    for _ in range(steps):
        if pos + batch > n:
            order, pos = rng.permutation(n), 0
        idx = order[pos:pos + batch]
        pos += batch
        _, grads = lesion_net_loss_and_grads(X[idx], y[idx], net)
        params, state = opt.step(params, grads, state)
        net = net._replace(**dict(zip(LesionNet._fields[:_ARRAYS], params)))
    return net


def lesion_accuracies(X, y, net: LesionNet):
    r"""Accuracy of ``net`` on ``(X, y)``, whole and with each single block removed.

    Returns
    -------
    base : float
    lesioned : ndarray of shape (L,)
        ``lesioned[l]`` is the accuracy with block ``l`` removed (:func:`lesion_net_logits` with ``skip=l``).
    """
    base = accuracy(lesion_net_logits(X, net), y)
    return base, np.array([accuracy(lesion_net_logits(X, net, skip=l), y) for l in range(len(net.W1))])


# --------------------------------------------------------------------------- the lab's reproductions, one seed each

class TestTimeResult(NamedTuple):
    """Accuracies of :func:`bn_test_time_experiment` on the held-out digits."""

    clean: float  #: B = 64 model, clean test images, running statistics
    shifted: float  #: the same model on x' = 0.5 x + 0.5
    recalibrated: float  #: on x' after :func:`recalibrate` on 128 unlabeled shifted training images
    small_batch: float  #: a model trained with B = 2 (lr 0.05, 600 steps), clean test images
    params: list  #: the B = 64 model's [W1, b1, gamma, beta, W2, b2]
    state: _norm.BatchNormState  #: its running statistics


def bn_test_time_experiment(seed: int) -> TestTimeResult:
    r"""Train the 64-64(BN)-10 digits classifier and measure train/eval mismatch, shift and recalibration.

    Configuration (LABS.md, lab 14): 30% of the digits held out; SGD lr 0.1, batch 64, 400 steps; the shift
    :math:`x' = 0.5x + 0.5`; recalibration on the first 128 shifted training images (labels unused); the
    small-batch model with batch 2, lr 0.05, 600 steps. One ``numpy.random.default_rng(seed)`` drives the split,
    then both trainings.
    """
    rng = np.random.default_rng(seed)
    X, y = load_digits()
    X_tr, y_tr, X_te, y_te = train_val_split(X, y, 0.3, rng)
    params, state = train_bn_mlp(X_tr, y_tr, rng)
    shift = lambda A: 0.5 * A + 0.5  # noqa: E731
    clean = accuracy(bn_mlp_logits(X_te, params, state), y_te)
    shifted = accuracy(bn_mlp_logits(shift(X_te), params, state), y_te)
    recal = accuracy(bn_mlp_logits(shift(X_te), params, recalibrate(shift(X_tr[:128]), params)), y_te)
    params2, state2 = train_bn_mlp(X_tr, y_tr, rng, batch_size=2, lr=0.05, steps=600)
    return TestTimeResult(clean, shifted, recal, accuracy(bn_mlp_logits(X_te, params2, state2), y_te), params, state)


class CollapseResult(NamedTuple):
    """What :func:`collapse_experiment` measures at the last layer (B = 8, width 128, depth 50)."""

    relu_min_cos: float  #: ReLU, no normalization: the smallest pairwise cosine
    bn_max_abs_cos: float  #: RC + RS + ReLU: the largest |pairwise cosine|
    bn_mean_cos: float  #: RC + RS + ReLU: the mean pairwise cosine (theory: bn_relu_fixed_point_cos(8) = 0.250)
    bn_stable_rank: float  #: RC + RS + ReLU
    linear_stable_rank: float  #: linear, no normalization
    rs_stable_rank: float  #: linear + RS only (Daneshmand et al. 2021)
    rs_max_abs_cos: float  #: linear + RS only


def _off_diagonal(C):
    return C[~np.eye(len(C), dtype=bool)]


def collapse_experiment(seed: int, batch: int = 8, width: int = 128, depth: int = 50) -> CollapseResult:
    r"""Rank collapse with and without BatchNorm's pieces (Daneshmand et al. 2020, 2021).

    The batch ``X`` (``(batch, width)``, standard normal) comes from ``default_rng(seed)``; variant ``k`` of the four
    draws its weights from its own ``default_rng([seed, k])``, so each variant's result does not depend on the others.
    The thresholds of the lab are not limits but tails of a finite-width spread: on 30 seeds, 4 missed one of them.
    """
    X = np.random.default_rng(seed).standard_normal((batch, width))
    chain = lambda k, **kw: bn_random_chain(X, depth, width, np.random.default_rng([seed, k]), **kw)  # noqa: E731
    C_relu = _off_diagonal(pairwise_cosines(chain(1, recenter=False, rescale=False)))
    H_bn = chain(2)
    C_bn = _off_diagonal(pairwise_cosines(H_bn))
    H_lin = chain(3, recenter=False, rescale=False, activation="identity")
    H_rs = chain(4, recenter=False, activation="identity")
    return CollapseResult(float(C_relu.min()), float(np.abs(C_bn).max()), float(C_bn.mean()), stable_rank(H_bn),
                          stable_rank(H_lin), stable_rank(H_rs),
                          float(np.abs(_off_diagonal(pairwise_cosines(H_rs))).max()))


def odd_point_experiment(seed: int, rescale: bool = False, batch: int = 32, width: int = 64,
                         depth: int = 150) -> OddPoint:
    r"""The odd point of Nachum et al. (2024): recentering + ReLU, per-feature rescaling off (or on, to compare).

    One ``default_rng(seed)`` draws the batch (``(batch, width)``, standard normal), then the weights; with and
    without RS the draws are the same, so the two runs differ only by RS. At width 64 the configuration is a noisy
    stationary state, not a limit: on 30 seeds, 2 missed one of the lab's thresholds at depth 150.
    """
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((batch, width))
    return odd_point_stats(bn_random_chain(X, depth, width, rng, recenter=True, rescale=rescale))


class ResidualVarianceResult(NamedTuple):
    """Variance ratios of :func:`residual_variance_experiment` for ``L`` in ``depths``."""

    depths: tuple  #: the depths L
    ratio_alpha1: np.ndarray  #: Var h_L / Var h_0 / (1 + L), alpha = 1 (theory: 1)
    ratio_scaled: np.ndarray  #: Var h_L / Var h_0, alpha = L^{-1/2} (theory: 2)
    no_ln: float  #: Var h_L / Var h_0 at the largest L without LayerNorm, alpha = 1
    var_alpha1: np.ndarray  #: (max(depths) + 1,) Var h_l for l = 0 .. max(depths), pre-LN, alpha = 1
    var_no_ln: np.ndarray  #: (max(depths) + 1,) the same without LayerNorm


def residual_variance_experiment(seed: int, depths=(8, 32, 128), width: int = 128,
                                 rows: int = 64) -> ResidualVarianceResult:
    r"""Residual-stream variance of pre-LN blocks with :math:`\alpha = 1` and :math:`\alpha = L^{-1/2}`, and without LN.

    ``h0`` (``(rows, width)``, standard normal) and the weights of ``max(depths)`` blocks come from
    ``default_rng(seed)``; a depth-``L`` stack uses the first ``L`` blocks (the three variants share weights).
    """
    rng = np.random.default_rng(seed)
    h0 = rng.standard_normal((rows, width))
    L_max = max(depths)
    W1s, W2s = residual_weights(L_max, width, rng)
    v1 = residual_stream_variances(h0, W1s, W2s, 1.0)
    r1 = np.array([v1[L] / v1[0] / (1 + L) for L in depths])
    r2 = np.array([residual_stream_variances(h0, W1s[:L], W2s[:L], 1.0 / math.sqrt(L))[-1] / v1[0] for L in depths])
    v_no_ln = residual_stream_variances(h0, W1s, W2s, 1.0, layer_norm=False)
    return ResidualVarianceResult(tuple(depths), r1, r2, float(v_no_ln[-1] / v1[0]), v1, v_no_ln)


class ProfileResult(NamedTuple):
    """Gradient profiles of :func:`ln_profile_experiment` (layer 0 nearest the input)."""

    post: np.ndarray  #: (L,) mean ||dL/dW2^(l)|| for post-LN
    pre: np.ndarray  #: (L,) the same for pre-LN
    post_top_over_bottom: float  #: mean of the top quarter over the bottom quarter, post-LN (Xiong: > 1)
    pre_top_over_bottom: float  #: the same for pre-LN (Xiong: about 1 or below)
    last_post_over_pre: float  #: last layer, post-LN over pre-LN (Xiong: about sqrt(L))
    pre_last_shallow_over_deep: float  #: pre-LN last-layer gradient, depth L over L_short (Xiong: sqrt(L_short/L))


def ln_profile_experiment(seed: int, depth: int = 24, short: int = 6, width: int = 64) -> ProfileResult:
    r"""Pre-LN against post-LN gradient profiles at initialization (Xiong et al. 2020), 5 draws each.

    One ``default_rng(seed)`` draws the depth-``depth`` profiles, then the depth-``short`` ones (pre-LN's last-layer
    gradient should shrink by :math:`\sqrt{\text{short}/\text{depth}}`, 0.5 for 6 and 24).
    """
    rng = np.random.default_rng(seed)
    post, pre = gradient_profiles(depth, width, rng)
    _, pre_short = gradient_profiles(short, width, rng)
    q = max(depth // 4, 1)
    return ProfileResult(post, pre, float(post[-q:].mean() / post[:q].mean()), float(pre[-q:].mean() / pre[:q].mean()),
                         float(post[-1] / pre[-1]), float(pre[-1] / pre_short[-1]))


class LesionResult(NamedTuple):
    """Accuracies of :func:`lesion_experiment` on the held-out digits."""

    residual_base: float
    residual_lesioned: np.ndarray  #: (L,) with block l removed
    plain_base: float
    plain_lesioned: np.ndarray  #: (L,)
    residual_net: LesionNet  #: the trained residual network
    plain_net: LesionNet  #: the trained plain stack


def lesion_experiment(seed: int, blocks: int = 8, width: int = 64, steps: int = 300) -> LesionResult:
    r"""Veit et al. (2016): remove one block of a trained residual network (branches scaled :math:`L^{-1/2}`) or of a
    plain stack of the same blocks, on the digits (30% held out), Adam 3e-3, batch 64. One ``default_rng(seed)``
    drives the split, then the residual network's training, then the plain one's."""
    rng = np.random.default_rng(seed)
    X, y = load_digits()
    X_tr, y_tr, X_te, y_te = train_val_split(X, y, 0.3, rng)
    res = train_lesion_net(X_tr, y_tr, rng, residual=True, blocks=blocks, width=width, steps=steps)
    plain = train_lesion_net(X_tr, y_tr, rng, residual=False, blocks=blocks, width=width, steps=steps)
    return LesionResult(*lesion_accuracies(X_te, y_te, res), *lesion_accuracies(X_te, y_te, plain), res, plain)
