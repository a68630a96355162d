r"""Section 6: initialization scales and signal propagation.

Xavier (Glorot and Bengio 2010) keeps the variance of a tanh-like network's signals constant in
both directions; He (He et al. 2015) doubles it to make up for ReLU zeroing half its inputs.
"""
from __future__ import annotations

import math
from enum import Enum
from typing import Sequence

import numpy as np

from ._validate import check_positive, check_positive_int, check_rng
from .forward import Layer

__all__ = ["InitScheme", "xavier_std", "he_std", "init_std", "init_weights", "init_mlp"]


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
        ``layers[l].W`` has shape ``(sizes[l+1], sizes[l])``.
    """
    if len(sizes) < 2:
        raise ValueError(f"init_mlp: sizes must list at least an input and an output width, got {list(sizes)}")
    for i, s in enumerate(sizes):
        check_positive_int(s, f"sizes[{i}]", "init_mlp")
    return [Layer(init_weights(a, b, rng, scheme, std), np.zeros(b)) for a, b in zip(sizes[:-1], sizes[1:])]
