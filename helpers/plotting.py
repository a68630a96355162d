"""A few matplotlib helpers so every notebook's figures look alike.

Each takes an ``Axes`` and draws on it; the notebook owns the figure (``fig, ax = plt.subplots()``).
"""
from __future__ import annotations

from typing import Callable, Mapping, Sequence

import numpy as np

__all__ = ["plot_curves", "plot_layer_stats", "plot_decision_boundary"]


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
