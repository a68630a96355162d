r"""Section 10: diagnostics. Shapes, activation statistics, gradient norms, curves, ablations, and ``diagnose``.

When a network does not train, look in this order: the shapes :math:`(B, d_\ell)` at every layer,
the activation statistics :math:`\mu_\ell, \sigma_\ell` and dead units, the gradient norm of every
layer :math:`\lVert \nabla_{\theta_\ell} L \rVert`, then the training and validation curves
:math:`L_\mathrm{train}, L_\mathrm{val}`. Ablations (:math:`\Delta L` when one choice changes) tell
which design decision matters.

:func:`pathology_log` produces real training logs (:class:`helpers.training.TrainLog`) by training
small networks under each classic failure, deterministically and in a fraction of a second, and
:func:`diagnose` (the reference of practice exercise 10) names what went wrong.
"""
from __future__ import annotations

import functools
import math
from typing import NamedTuple, Sequence

import numpy as np

from ._validate import as_float_array, check_positive_int
from .activations import Activation, get_activation
from .backprop import mlp_backward
from .data import make_spirals, train_val_split
from .forward import Layer, mlp_forward
from .init import init_mlp
from .losses import softmax_cross_entropy_grad
from .optim import SGD, Adam, Momentum
from .training import TrainLog, train_mlp

__all__ = ["layer_shapes", "format_shapes", "ActivationStats", "activation_stats", "gradient_norms",
           "smooth", "tail_mean", "best_step", "generalization_gap", "AblationRow", "run_ablation",
           "format_ablation", "LABELS", "THRESHOLDS", "diagnose", "PATHOLOGIES", "EXPECTED", "pathology_log",
           "spiral_task"]


# ---------------------------------------------------------------------------------------------
# 10.1 shape checks


def layer_shapes(X, layers: Sequence[Layer]) -> list[tuple[int, int]]:
    r"""Walk an MLP and return the shape :math:`(B, d_\ell)` of the input and of every layer's output.

    Checks every layer before computing anything, so a mismatch is reported at the layer where it
    happens, with the shapes that disagree (the usual culprits: a transposed ``W``, a bias of the
    wrong length, or a layer list in the wrong order).

    Parameters
    ----------
    X : ndarray of shape (B, d_0)
    layers : sequence of Layer
        ``layers[l - 1]`` is layer ``l`` (layers are numbered 1..L): its ``W`` must have shape ``(d_l, d_{l-1})``
        and its ``b`` shape ``(d_l,)``.

    Returns
    -------
    list of (int, int)
        ``[(B, d_0), (B, d_1), ..., (B, d_L)]``.

    Raises
    ------
    ValueError
        Naming the layer (numbered from 1) and both shapes, e.g. ``layer 2: W has shape (16, 3) but its input
        is (B, d_1) = (8, 16); expected W of shape (d_2, 16) (is W transposed?)``.
    """
    fn = "layer_shapes"
    X = np.asarray(X)
    if X.ndim != 2:
        raise ValueError(f"{fn}: X must be 2-D (B, d_0), got shape {X.shape}; "
                         "a single example needs a batch axis: x[None, :]")
    if len(layers) == 0:
        raise ValueError(f"{fn}: layers is empty; expected at least one Layer(W, b)")
    B, d = X.shape
    shapes = [(B, d)]
    for l, layer in enumerate(layers, start=1):
        W, b = np.asarray(layer[0]), np.asarray(layer[1])
        if W.ndim != 2:
            raise ValueError(f"{fn}: layer {l}: W must be 2-D (d_out, d_in), got shape {W.shape}")
        if W.shape[1] != d:
            hint = " (is W transposed?)" if W.shape[0] == d else ""
            raise ValueError(f"{fn}: layer {l}: W has shape {W.shape} but its input is (B, d_{l - 1}) = ({B}, {d}); "
                             f"expected W of shape (d_{l}, {d}){hint}")
        if b.shape != (W.shape[0],):
            raise ValueError(f"{fn}: layer {l}: b has shape {b.shape}, expected (d_{l},) = ({W.shape[0]},) "
                             f"to match W of shape {W.shape}")
        d = W.shape[0]
        shapes.append((B, d))
    return shapes


def format_shapes(shapes: Sequence[tuple[int, int]]) -> str:
    """One line per layer: ``input (B, d_0)``, ``layer 1 (B, d_1)``, ..., for printing (layers numbered from 1)."""
    lines = [f"input    {tuple(shapes[0])}"]
    lines += [f"layer {l:<2d} {tuple(s)}" for l, s in enumerate(shapes[1:], start=1)]
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------
# 10.2 activation statistics, 10.3 gradient norms


class ActivationStats(NamedTuple):
    """Statistics of each hidden layer's activations ``H_l`` on one batch (``L - 1`` hidden layers)."""

    mean: np.ndarray  #: (L-1,) mean over batch and units
    std: np.ndarray  #: (L-1,) standard deviation over batch and units
    dead_frac: np.ndarray  #: (L-1,) fraction of units whose output is 0 for every example
    saturated_frac: np.ndarray  #: (L-1,) fraction of (example, unit) pairs where the derivative is below 1e-3 of its peak


def activation_stats(X, layers: Sequence[Layer], activation="relu") -> ActivationStats:
    r"""Mean :math:`\mu_\ell`, standard deviation :math:`\sigma_\ell`, dead and saturated fractions of every hidden layer.

    Parameters
    ----------
    X : ndarray of shape (B, d_0)
    layers : sequence of Layer
    activation : Activation or str

    Returns
    -------
    ActivationStats
        Arrays of shape ``(L - 1,)``.

    Notes
    -----
    A unit is *dead* on a batch when its output is 0 for every example: a ReLU whose
    pre-activation is negative everywhere gets no gradient and cannot recover. A unit is
    *saturated* where the activation's slope is tiny (sigmoid or tanh far from 0); the slope's peak
    is :math:`\phi'(0)` (1/4 for the sigmoid, 1 for tanh and ReLU).
    """
    layer_shapes(X, layers)
    _, cache = mlp_forward(X, layers, activation)
    _, f_grad = get_activation(activation)
    peak = float(f_grad(np.zeros(1))[0]) or 1.0
    n = len(layers) - 1
    mean, std, dead, sat = (np.empty(n) for _ in range(4))
    for l in range(n):
        H = cache.inputs[l + 1]
        mean[l], std[l] = H.mean(), H.std()
        dead[l] = np.mean(np.all(H == 0.0, axis=0))
        sat[l] = np.mean(f_grad(cache.pre[l]) < 1e-3 * peak)
    return ActivationStats(mean, std, dead, sat)


def gradient_norms(X, y, layers: Sequence[Layer], activation="relu") -> np.ndarray:
    r"""Per-layer gradient norm :math:`\lVert \nabla_{\theta_\ell} L\rVert = \sqrt{\lVert \partial L/\partial W_\ell\rVert_F^2 + \lVert \partial L/\partial b_\ell\rVert^2}`.

    ``L`` is the mean softmax cross-entropy on ``(X, y)``.

    Returns
    -------
    ndarray of shape (L,)
        One norm per layer, input layer first.
    """
    layer_shapes(X, layers)
    logits, cache = mlp_forward(X, layers, activation)
    grads, _ = mlp_backward(softmax_cross_entropy_grad(logits, y), cache, layers)
    return np.array([math.sqrt(float(np.sum(g.W ** 2) + np.sum(g.b ** 2))) for g in grads])


# ---------------------------------------------------------------------------------------------
# 10.4 curves


def smooth(values, window: int = 10) -> np.ndarray:
    """Trailing moving average (the first ``window - 1`` entries average what is available). Same length as ``values``."""
    v = as_float_array(values, "values", "smooth", ndim=1)
    window = check_positive_int(window, "window", "smooth")
    c = np.concatenate([[0.0], np.cumsum(v)])
    idx = np.arange(1, len(v) + 1)
    lo = np.maximum(idx - window, 0)
    return (c[idx] - c[lo]) / (idx - lo)


def tail_mean(values, frac: float = 0.1) -> float:
    """Mean of the last ``frac`` of a curve (at least one entry): a noise-robust "final value"."""
    v = as_float_array(values, "values", "tail_mean", ndim=1)
    if v.size == 0:
        raise ValueError("tail_mean: values is empty")
    k = max(1, int(round(frac * len(v))))
    return float(np.mean(v[-k:]))


def best_step(val_loss) -> int:
    """The step with the lowest validation loss: where early stopping would have kept the weights."""
    v = as_float_array(val_loss, "val_loss", "best_step", ndim=1)
    if not np.any(np.isfinite(v)):
        raise ValueError("best_step: val_loss has no finite entry")
    return int(np.nanargmin(np.where(np.isfinite(v), v, np.nan)))


def generalization_gap(log: TrainLog, frac: float = 0.1) -> float:
    r"""Final :math:`L_\mathrm{val} - L_\mathrm{train}` (tail means): large and growing means overfitting."""
    return tail_mean(log.val_loss, frac) - tail_mean(log.train_loss, frac)


# ---------------------------------------------------------------------------------------------
# shared tiny task


@functools.lru_cache(maxsize=16)
def _spirals(seed: int, n_per_class: int, noise: float, n_train: int | None):
    rng = np.random.default_rng(seed)
    X, y = make_spirals(n_per_class, 3, noise, rng)
    keep = np.hypot(X[:, 0], X[:, 1]) >= 0.15  # the arms meet at the centre: labels there are a coin toss
    X, y = X[keep], y[keep]
    if n_train is None:
        parts = train_val_split(X, y, 0.3, rng)
    else:
        order = rng.permutation(len(X))
        tr, va = order[:n_train], order[n_train:]
        parts = (X[tr], y[tr], X[va], y[va])
    for a in parts:
        a.setflags(write=False)
    return parts


def spiral_task(seed: int = 0, n_per_class: int = 60, noise: float = 0.15, n_train: int | None = None):
    """Three-class spirals split into ``(X_train, y_train, X_val, y_val)`` (read-only arrays, cached).

    Points within 0.15 of the centre, where all arms meet and the label is a guess, are dropped.
    By default 30% of the points are held out; with ``n_train`` only that many points are used
    for training and all the others for validation (the "tiny data" setting).
    """
    return _spirals(int(seed), int(n_per_class), float(noise), None if n_train is None else int(n_train))


# ---------------------------------------------------------------------------------------------
# 10.5 ablations


class AblationRow(NamedTuple):
    """One row of an ablation table."""

    factor: str  #: what was changed ("baseline", "width", "depth", "activation", "optimizer", "norm")
    value: str  #: its value in this run
    train_loss: float  #: final training loss (tail mean)
    val_loss: float  #: final validation loss (tail mean)
    val_acc: float  #: final validation accuracy (tail mean)
    delta: float  #: val_loss minus the baseline's val_loss: the effect of the change


_OPTIMIZERS = {"sgd": lambda: SGD(0.5), "momentum": lambda: Momentum(0.05, 0.9), "adam": lambda: Adam(0.02)}


def _ablation_run(cfg: dict, seed: int, steps: int):
    Xtr, ytr, Xva, yva = spiral_task(seed)
    rng = np.random.default_rng(seed + 1)
    sizes = [2] + [cfg["width"]] * cfg["depth"] + [3]
    act = Activation(cfg["activation"])
    scheme = "he" if act is Activation.RELU else "xavier"
    layers = init_mlp(sizes, rng, scheme)
    opt = _OPTIMIZERS[cfg["optimizer"]]()
    _, log = train_mlp(Xtr, ytr, layers, opt, steps=steps, batch_size=64, rng=rng, activation=act,
                       X_val=Xva, y_val=yva, norm=cfg["norm"])
    return log


def run_ablation(base: dict | None = None, variations: dict | None = None, *, seed: int = 0,
                 steps: int = 150) -> list[AblationRow]:
    r"""Change one factor at a time from a baseline and tabulate :math:`\Delta L_\mathrm{val}`.

    Every run trains an MLP on the same spirals split (:func:`spiral_task`) with the same seed,
    minibatches of 64 and ``steps`` steps, so differences come from the factor, not the noise.

    Parameters
    ----------
    base : dict, optional
        Baseline configuration; keys ``width`` (int), ``depth`` (number of hidden layers),
        ``activation`` (``"relu"``, ``"tanh"``, ``"sigmoid"``, ...), ``optimizer``
        (``"sgd"``, ``"momentum"``, ``"adam"``) and ``norm`` (``None`` or ``"layer"``).
        Default: width 32, depth 2, ReLU, Adam, no normalization.
    variations : dict, optional
        ``{factor: [values...]}``: each value is run with every other factor at its baseline.
        Default: a small grid over all five factors.
    seed : int
    steps : int

    Returns
    -------
    list of AblationRow
        The baseline first, then one row per variation.
    """
    cfg0 = {"width": 32, "depth": 2, "activation": "relu", "optimizer": "adam", "norm": None}
    if base:
        unknown = set(base) - set(cfg0)
        if unknown:
            raise ValueError(f"run_ablation: unknown keys in base: {sorted(unknown)}; expected {sorted(cfg0)}")
        cfg0.update(base)
    if variations is None:
        variations = {"width": [4, 64], "depth": [1, 4], "activation": ["sigmoid", "tanh"],
                      "optimizer": ["sgd", "momentum"], "norm": ["layer"]}
    for k in variations:
        if k not in cfg0:
            raise ValueError(f"run_ablation: unknown factor {k!r}; expected one of {sorted(cfg0)}")
    for opt in [cfg0["optimizer"], *variations.get("optimizer", [])]:
        if opt not in _OPTIMIZERS:
            raise ValueError(f"run_ablation: unknown optimizer {opt!r}; expected one of {sorted(_OPTIMIZERS)}")
    steps = check_positive_int(steps, "steps", "run_ablation")

    def row(factor, value, cfg, ref):
        log = _ablation_run(cfg, seed, steps)
        tr, va, acc = tail_mean(log.train_loss), tail_mean(log.val_loss), tail_mean(log.val_acc)
        return AblationRow(factor, str(value), tr, va, acc, va - (va if ref is None else ref))

    rows = [row("baseline", "", cfg0, None)]
    for factor, values in variations.items():
        for v in values:
            rows.append(row(factor, v, {**cfg0, factor: v}, rows[0].val_loss))
    return rows


def format_ablation(rows: Sequence[AblationRow]) -> str:
    """The ablation table as aligned text."""
    head = f"{'factor':<11}{'value':<10}{'train L':>9}{'val L':>9}{'val acc':>9}{'delta L':>9}"
    lines = [head, "-" * len(head)]
    for r in rows:
        lines.append(f"{r.factor:<11}{r.value:<10}{r.train_loss:>9.3f}{r.val_loss:>9.3f}{r.val_acc:>9.2f}{r.delta:>+9.3f}")
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------
# practice exercise 10: diagnose a training log

LABELS = frozenset({"healthy", "exploding_gradients", "vanishing_gradients", "dead_relus", "lr_too_high",
                    "overfitting", "underfitting"})
"""The fixed vocabulary of :func:`diagnose`."""

THRESHOLDS = {
    "exploding_grad_norm": 100.0,  # healthy cross-entropy gradients are O(1); 100x that is a blow-up
    "vanishing_ratio": 1e-3,  # first layer's gradient over the last layer's, at the first step
    "dead_frac": 0.5,  # more than half the units of some layer output 0 on every example
    "overfit_rise": 1.5,  # final validation loss over its minimum
    "overfit_gap": 2.0,  # final validation loss over final training loss
    "underfit_acc": 0.8,  # final training accuracy below this
    "tail": 0.1,  # "final" = mean over the last 10% of the steps
}
"""Thresholds used by :func:`diagnose`, each an order of magnitude from where healthy runs sit."""


def diagnose(log: TrainLog) -> set[str]:
    r"""Name what went wrong in a training run: a set of labels from :data:`LABELS`.

    Rules, checked independently (several labels can apply):

    * ``exploding_gradients``: a gradient norm is non-finite or above 100 in the first steps
      (at initialization), where a healthy cross-entropy gradient is :math:`O(1)`;
    * ``vanishing_gradients``: at the first step the first layer's gradient norm is below
      :math:`10^{-3}` times the last layer's;
    * ``dead_relus``: over the last 10% of steps, more than half the units of some hidden layer
      output 0 for every example;
    * ``lr_too_high``: the loss becomes non-finite, or its final value is above its initial value;
    * ``overfitting``: the final validation loss is more than 1.5 times its minimum and more than
      twice the final training loss;
    * ``underfitting``: the final training accuracy is below 0.8 (the model does not even fit the
      training set).

    If none applies the run is ``{"healthy"}``; ``"healthy"`` never comes with another label.

    Parameters
    ----------
    log : TrainLog
        From :func:`helpers.training.train_mlp` (or anything with the same fields).

    Returns
    -------
    set of str
    """
    th = THRESHOLDS
    loss = np.asarray(log.train_loss, dtype=np.float64)
    g = np.asarray(log.grad_norm, dtype=np.float64)
    if loss.size == 0:
        raise ValueError("diagnose: the log has no steps")
    k = max(1, int(round(th["tail"] * len(loss))))
    labels = set()
    early = g[:k]
    if not np.all(np.isfinite(early[np.isfinite(loss[:k])])) or np.nanmax(early) > th["exploding_grad_norm"]:
        labels.add("exploding_gradients")
    g0 = g[0]
    if np.all(np.isfinite(g0)) and g0[-1] > 0 and g0[0] < th["vanishing_ratio"] * g0[-1]:
        labels.add("vanishing_gradients")
    dead = np.asarray(log.dead_frac, dtype=np.float64)
    if dead.size and np.nanmax(np.nanmean(dead[-k:], axis=0)) > th["dead_frac"]:
        labels.add("dead_relus")
    finite = bool(np.all(np.isfinite(loss)))
    if not finite or np.mean(loss[-k:]) > np.mean(loss[:k]):
        labels.add("lr_too_high")
    val = np.asarray(log.val_loss, dtype=np.float64)
    if finite and np.any(np.isfinite(val)):
        v_end, v_min = np.mean(val[-k:]), np.nanmin(val)
        if v_end > th["overfit_rise"] * v_min and v_end > th["overfit_gap"] * np.mean(loss[-k:]):
            labels.add("overfitting")
    if finite and np.mean(np.asarray(log.train_acc)[-k:]) < th["underfit_acc"]:
        labels.add("underfitting")
    return labels or {"healthy"}


# ---------------------------------------------------------------------------------------------
# training logs under each pathology (real training, deterministic, fast)

PATHOLOGIES = ("healthy", "lr_too_high", "exploding_gradients", "vanishing_gradients", "dead_relus",
               "overfitting", "underfitting")
"""Names of the runs :func:`pathology_log` can produce (each is also the label it must get)."""

EXPECTED = {
    # name: (labels diagnose must return, labels it may also return)
    "healthy": ({"healthy"}, {"healthy"}),
    "lr_too_high": ({"lr_too_high"}, {"lr_too_high", "exploding_gradients", "underfitting"}),
    "exploding_gradients": ({"exploding_gradients"}, {"exploding_gradients", "underfitting", "overfitting"}),
    "vanishing_gradients": ({"vanishing_gradients"}, {"vanishing_gradients", "underfitting"}),
    "dead_relus": ({"dead_relus"}, {"dead_relus", "underfitting"}),
    "overfitting": ({"overfitting"}, {"overfitting"}),
    "underfitting": ({"underfitting"}, {"underfitting"}),
}
"""For each pathology run: the labels a diagnosis must contain, and all the labels it may contain."""


def _config(name: str, seed: int) -> dict:
    """The training configuration of a pathology run; ``seed`` also varies width and depth a little."""
    v = seed % 3
    width = (32, 24, 40)[v]
    cfg = dict(sizes=[width, width], act="relu", scheme="he", std=None, opt=Adam(0.02), steps=80,
               batch=64, task={}, bias=0.0, flip=0)
    if name == "lr_too_high":
        # a sound network and init; only the step size is wrong (tanh so that no unit can die)
        cfg.update(act="tanh", scheme="xavier", opt=SGD((10.0, 8.0, 12.0)[v]))
    elif name == "exploding_gradients":
        # every weight with std 1.5 instead of He's sqrt(2/16) = 0.35: activations grow ~4x per layer
        cfg.update(sizes=[16] * (6 + v), scheme="normal", std=1.5, opt=Adam(1e-3))
    elif name == "vanishing_gradients":
        # a deep sigmoid stack: each layer multiplies the gradient by at most 1/4 times ||W||
        cfg.update(sizes=[16] * (6 + v), act="sigmoid", scheme="xavier", opt=Adam(1e-3))
    elif name == "dead_relus":
        # first-layer biases started at -1.6 (a misguided "sparse" init): a unit whose weight vector is
        # shorter than 1.6 is negative on every input in the unit disc, so about 70% start dead
        cfg.update(bias=-(1.6, 1.5, 1.7)[v], opt=Adam(0.01))
    elif name == "overfitting":
        # a wide network, 24 training points with 4 wrong labels, trained far past the best validation loss
        cfg.update(sizes=[64, 64], opt=Adam(0.02), steps=200, batch=None,
                   task=dict(n_per_class=50, noise=0.3, n_train=24), flip=4)
    elif name == "underfitting":
        # two hidden units cannot draw three spiral arms
        cfg.update(sizes=[2], opt=Adam(0.02))
    elif name != "healthy":
        raise ValueError(f"pathology_log: unknown pathology {name!r}; expected one of {', '.join(PATHOLOGIES)}")
    return cfg


@functools.lru_cache(maxsize=64)
def _pathology_log(name: str, seed: int) -> TrainLog:
    cfg = _config(name, seed)
    Xtr, ytr, Xva, yva = spiral_task(seed, **cfg["task"])
    rng = np.random.default_rng(1000 + seed)
    if cfg["flip"]:
        ytr = ytr.copy()
        idx = rng.choice(len(ytr), size=cfg["flip"], replace=False)
        ytr[idx] = (ytr[idx] + rng.integers(1, 3, size=len(idx))) % 3
    layers = init_mlp([2] + cfg["sizes"] + [3], rng, cfg["scheme"], cfg["std"])
    if cfg["bias"]:
        layers = [Layer(layers[0].W, layers[0].b + cfg["bias"])] + list(layers[1:])
    _, log = train_mlp(Xtr, ytr, layers, cfg["opt"], steps=cfg["steps"], batch_size=cfg["batch"], rng=rng,
                       activation=cfg["act"], X_val=Xva, y_val=yva)
    for a in log:
        a.setflags(write=False)
    return log


def pathology_log(name: str, seed: int = 0) -> TrainLog:
    """A training log of a small network trained on spirals under one pathology (see :data:`PATHOLOGIES`).

    The runs, by name:

    * ``"healthy"``: two ReLU layers, He init, Adam, 80 steps;
    * ``"lr_too_high"``: the same network with tanh, plain SGD with a learning rate near 10;
    * ``"exploding_gradients"``: 6-8 hidden ReLU layers of width 16 with weights of std 1.5 (a bad init scale);
    * ``"vanishing_gradients"``: 6-8 hidden sigmoid layers of width 16;
    * ``"dead_relus"``: ReLU layers whose first-layer biases start at about -1.6;
    * ``"overfitting"``: two layers of 64 units on 24 training points (4 mislabelled), 200 full-batch steps;
    * ``"underfitting"``: two hidden units.

    Deterministic: the same ``(name, seed)`` gives the same log (cached, read-only arrays); other
    seeds change the data, the initialization, and the width and depth a little.
    """
    if name not in PATHOLOGIES:
        raise ValueError(f"pathology_log: unknown pathology {name!r}; expected one of {', '.join(PATHOLOGIES)}")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise TypeError(f"pathology_log: seed must be a non-negative int, got {seed!r}")
    return _pathology_log(name, int(seed))
