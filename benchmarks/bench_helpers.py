"""How much do the helpers cost over bare numpy? (Not a test: prints figures.)

One training step's forward and backward pass of an MLP on the digits data (batch 256, two hidden layers
of 256 ReLU units, 10 classes) with ``helpers.backprop.mlp_loss_and_grads``, against the same matrix
products done bare (``X @ W.T`` forward; ``dZ @ W`` and ``dZ.T @ X`` backward), which are the floor any
implementation pays. Target: helpers at most 1.3x the bare GEMMs.

The two are timed alternately, one call of each per repeat and each going first in every other
repeat, so that both see the same state of the machine (a shared virtual machine drifts by tens of percent over a few seconds); the figure is the
ratio of the medians. Each setting runs in its own process, because the number of BLAS threads is
fixed when numpy loads: the default (one thread per core) and one thread, which is how ``nncourse``
runs notebook and grading kernels.

    python benchmarks/bench_helpers.py [--repeats 1000] [--rounds 3]
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time

THREAD_VARS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def measure(repeats: int) -> tuple[float, float]:
    """Median seconds of (helpers step, bare GEMMs), timed alternately."""
    import numpy as np

    from helpers import backprop, data, init
    from helpers.forward import mlp_forward

    rng = np.random.default_rng(0)
    X_all, y_all = data.load_digits()
    idx = rng.choice(len(X_all), 256, replace=False)
    X, y = X_all[idx], y_all[idx]
    layers = init.init_mlp([64, 256, 256, 10], rng)
    _, cache = mlp_forward(X, layers)  # each layer's input, for the bare backward
    inputs = cache.inputs
    dlogits = rng.normal(size=(256, 10))

    def bare():
        """Only the matrix products of one forward and one backward pass."""
        H = X
        for L in layers:
            H = H @ L.W.T
        dZ = dlogits
        for l in range(len(layers) - 1, -1, -1):
            dW = dZ.T @ inputs[l]
            if l > 0:
                dZ = dZ @ layers[l].W
        return H, dW

    def step():
        return backprop.mlp_loss_and_grads(X, y, layers)

    for _ in range(30):  # warm up BLAS, the allocator and the caches
        step()
        bare()
    t_step, t_bare = [], []
    clock = time.perf_counter
    for i in range(repeats):
        first, second, t_first, t_second = (step, bare, t_step, t_bare) if i % 2 else (bare, step, t_bare, t_step)
        t0 = clock()
        first()
        t1 = clock()
        second()
        t2 = clock()
        t_first.append(t1 - t0)
        t_second.append(t2 - t1)
    return statistics.median(t_step), statistics.median(t_bare)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=1000, help="alternating pairs per round")
    parser.add_argument("--rounds", type=int, default=3, help="separate processes per setting")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.child:
        h, b = measure(args.repeats)
        print(f"{h!r} {b!r}")
        return

    print(f"MLP 64-256-256-10 on digits, batch 256: one forward+backward step (mlp_loss_and_grads)")
    print(f"against the bare GEMMs; medians of {args.repeats} alternating pairs, {args.rounds} rounds each.")
    for label, threads in (("default BLAS threads", None), ("one BLAS thread (nncourse kernels)", "1")):
        env = dict(os.environ)
        for var in THREAD_VARS:
            if threads is None:
                env.pop(var, None)
            else:
                env[var] = threads
        ratios = []
        print(f"\n{label}:")
        for r in range(args.rounds):
            out = subprocess.run([sys.executable, __file__, "--child", "--repeats", str(args.repeats)],
                                 env=env, check=True, capture_output=True, text=True).stdout.split()
            h, b = float(out[0]), float(out[1])
            ratios.append(h / b)
            print(f"  round {r + 1}: helpers {h * 1e3:6.3f} ms   bare GEMMs {b * 1e3:6.3f} ms   ratio {h / b:.2f}x")
        print(f"  median ratio {statistics.median(ratios):.2f}x   (target <= 1.3x)")


if __name__ == "__main__":
    main()
