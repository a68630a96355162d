"""helpers.plotting draws what it is given."""
from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from conftest import REPO  # noqa: E402
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


_FIGURES = r'''
import hashlib, io, sys
import matplotlib
matplotlib.use("agg")
import matplotlib.pyplot as plt
import numpy as np
if sys.argv[1] == "helpers":
    import helpers  # noqa: F401  (shares the math-text parser)
digests = []
for k in range(3):
    fig, ax = plt.subplots(figsize=(4, 3))
    ax.semilogy(np.arange(1, 6), 10.0 ** np.arange(-3, 2) * (k + 1), label=r"$\mathrm{Var}(h_\ell)$")
    ax.set_ylabel(r"$\log_2$ learning rate")
    ax.set_title(r"$\eta = 2^{-%d}$" % k)
    ax.legend()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", bbox_inches="tight", metadata={"Software": None})
    plt.close(fig)
    digests.append(hashlib.sha256(buf.getvalue()).hexdigest())
print(" ".join(digests))
'''


def test_the_shared_mathtext_parser_draws_the_same_pixels():
    """With helpers imported, every figure's renderer uses one math-text parser (its cache outlives the figure), and
    figures with log-scale ticks, math labels and titles are byte for byte what plain matplotlib draws."""
    import subprocess
    import sys

    from matplotlib.backends.backend_agg import RendererAgg

    from helpers import plotting as P

    assert P.share_mathtext_parser()
    assert RendererAgg(100, 100, 72).mathtext_parser is RendererAgg(50, 80, 100).mathtext_parser
    plain, shared = (subprocess.run([sys.executable, "-c", _FIGURES, mode], capture_output=True, text=True, check=True,
                                    cwd=str(REPO)).stdout.split() for mode in ("plain", "helpers"))
    assert len(plain) == 3 and plain == shared
