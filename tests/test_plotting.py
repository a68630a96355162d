"""helpers.plotting draws what it is given."""
from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from helpers import plotting  # noqa: E402


def test_curves_and_layer_stats_draw_one_line_per_series():
    fig, (a, b) = plt.subplots(1, 2)
    plotting.plot_curves(a, {"train": [3, 2, 1], "val": [3, 2.5, 2.4]}, logy=True, title="t")
    plotting.plot_layer_stats(b, {"he": [1, 1, 1], "xavier": [1, 0.5, 0.25]}, ylabel="var", logy=True)
    assert len(a.lines) == 2 and a.get_yscale() == "log" and a.get_legend() is not None
    np.testing.assert_array_equal(b.lines[1].get_xdata(), [1, 2, 3])
    plt.close(fig)


def test_decision_boundary_colours_the_plane():
    fig, ax = plt.subplots()
    X = np.array([[0.0, 0.0], [1.0, 1.0], [0.0, 1.0]])
    plotting.plot_decision_boundary(ax, lambda P: (P[:, 0] > 0.5).astype(int), X, [0, 1, 0], resolution=20)
    assert len(ax.collections) >= 2
    with pytest.raises(ValueError, match=r"X must have shape \(n, 2\)"):
        plotting.plot_decision_boundary(ax, lambda P: P[:, 0], np.zeros((3, 3)), [0, 1, 0])
    plt.close(fig)
