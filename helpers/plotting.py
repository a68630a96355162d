"""A few matplotlib helpers so every notebook's figures look alike.

Each takes an ``Axes`` and draws on it; the notebook owns the figure (``fig, ax = plt.subplots()``).

Importing this module (``helpers`` does) also makes matplotlib's math text cheaper to draw, with the same pixels: see
:func:`share_mathtext_parser`.
"""
from __future__ import annotations

import functools
from typing import Callable, Mapping, Sequence

import numpy as np

__all__ = ["plot_curves", "plot_layer_stats", "plot_decision_boundary", "share_mathtext_parser"]


def share_mathtext_parser() -> bool:
    r"""Let every Agg renderer use one math-text parser, so that its cache of parsed strings lasts across figures.

    matplotlib gives each figure's renderer a parser of its own, whose cache (of ``$10^{-3}$``-style tick labels
    and ``$\mathrm{Var}(h_\ell)$``-style labels) is lost with the figure, and parsing one string costs about
    20 ms. A notebook with a dozen log-scale figures parsed the same tick labels over and over: up to a second of
    section 6's run. A parse depends only on its arguments (text, dpi, font, antialiasing), which are the shared
    cache's keys, so the pixels are the same (``tests/test_plotting.py`` compares them with plain matplotlib's).
    Returns whether the sharing is in place (False if this matplotlib's Agg renderer has no such parser).
    """
    try:
        from matplotlib.backends import backend_agg
        from matplotlib.mathtext import MathTextParser
    except ImportError:  # pragma: no cover - matplotlib is a dependency
        return False
    cls = backend_agg.RendererAgg
    if getattr(cls, "_helpers_shared_mathtext", None) is not None:
        return True
    original = cls.__init__

    @functools.wraps(original)
    def __init__(self, *args, **kwargs):
        original(self, *args, **kwargs)
        parser = getattr(self, "mathtext_parser", None)
        if isinstance(parser, MathTextParser) and parser._output_type == cls._helpers_shared_mathtext._output_type:
            self.mathtext_parser = cls._helpers_shared_mathtext

    probe = MathTextParser("path")
    if not hasattr(probe, "_output_type"):  # pragma: no cover - another matplotlib's internals
        return False
    cls._helpers_shared_mathtext = probe
    cls.__init__ = __init__
    return True


share_mathtext_parser()


def plot_curves(ax, curves: Mapping[str, Sequence[float]], xlabel: str = "step", ylabel: str = "loss",
                logy: bool = False, title: str | None = None):
    """One line per named curve (e.g. ``{"train": ..., "validation": ...}``), with a legend."""
    for label, values in curves.items():
        values = np.asarray(values, dtype=np.float64)
        ax.plot(np.arange(len(values)), values, label=label)
    return _finish(ax, xlabel, ylabel, logy, title, legend=len(curves) > 1)


def plot_layer_stats(ax, stats: Mapping[str, Sequence[float]], ylabel: str, logy: bool = False,
                     title: str | None = None):
    """Per-layer statistics (one marker line per series) against the layer index, starting at 1."""
    for label, values in stats.items():
        values = np.asarray(values, dtype=np.float64)
        ax.plot(np.arange(1, len(values) + 1), values, marker="o", ms=3, label=label)
    return _finish(ax, "layer", ylabel, logy, title, legend=len(stats) > 1)


def _finish(ax, xlabel, ylabel, logy, title, legend):
    """Labels, optional log scale, title, legend and a light grid: the same on every line plot."""
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if logy:
        ax.set_yscale("log")
    if title:
        ax.set_title(title)
    if legend:
        ax.legend()
    ax.grid(alpha=0.3)
    return ax


def plot_decision_boundary(ax, predict: Callable[[np.ndarray], np.ndarray], X, y, resolution: int = 200,
                           title: str | None = None):
    """Colour the plane by ``predict`` (a function from ``(n, 2)`` points to ``(n,)`` labels) and scatter ``(X, y)``."""
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2 or X.shape[1] != 2:
        raise ValueError(f"plot_decision_boundary: X must have shape (n, 2), got {X.shape}")
    pad = 0.1 * (X.max(axis=0) - X.min(axis=0) + 1e-12)
    lo, hi = X.min(axis=0) - pad, X.max(axis=0) + pad
    gx, gy = np.meshgrid(np.linspace(lo[0], hi[0], resolution), np.linspace(lo[1], hi[1], resolution))
    labels = np.asarray(predict(np.column_stack([gx.ravel(), gy.ravel()]))).reshape(gx.shape)
    ax.contourf(gx, gy, labels, alpha=0.25, cmap="viridis", levels=np.arange(labels.max() + 2) - 0.5)
    ax.scatter(X[:, 0], X[:, 1], c=y, s=10, cmap="viridis", edgecolors="k", linewidths=0.2)
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    if title:
        ax.set_title(title)
    return ax
