"""How much do the helpers cost over bare numpy? (Not a test: prints figures.)

One training step's forward and backward pass of an MLP on the digits data (batch 256, two hidden layers
of 256 ReLU units, 10 classes) with ``helpers.backprop.mlp_loss_and_grads``, against the same matrix
products done bare (``X @ W.T`` forward; ``dZ @ W`` and ``dZ.T @ X`` backward), which are the floor any
implementation pays. Target: helpers at most 1.3x the bare GEMMs. For scale it also times a minimal numpy
step (the same work with no checks and no cache objects): the elementwise work itself costs that much.

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


def measure(repeats: int) -> tuple[float, float, float]:
    """Median seconds of (helpers step, bare GEMMs, minimal numpy step), timed alternately."""
    import numpy as np

    from helpers import backprop, data, init, losses
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

    def minimal():
        """The same step as plain numpy with nothing else: no checks, no cache object, no Layer tuples (the
        loss is the helpers' own, one call). The elementwise work (bias, ReLU in place, softmax, gate, bias
        gradients) is what bare GEMMs leave out."""
        H, ins = X, []
        for l, L in enumerate(layers):
            Z = H @ L.W.T
            Z += L.b
            ins.append(H)
            if l < len(layers) - 1:
                np.maximum(Z, 0.0, out=Z)
            H = Z
        loss, E = losses.softmax_cross_entropy_with_grad(H, y)
        dZ, grads = E, []
        for l in range(len(layers) - 1, -1, -1):
            grads.append((dZ.T @ ins[l], dZ.sum(axis=0)))
            if l > 0:
                dH = dZ @ layers[l].W
                dH *= ins[l] > 0
                dZ = dH
        return loss, grads

    fns = (step, bare, minimal)
    for _ in range(30):  # warm up BLAS, the allocator and the caches
        for fn in fns:
            fn()
    times = [[] for _ in fns]
    clock = time.perf_counter
    for i in range(repeats):
        order = range(len(fns)) if i % 2 else range(len(fns) - 1, -1, -1)
        for k in order:
            t0 = clock()
            fns[k]()
            times[k].append(clock() - t0)
    return tuple(statistics.median(t) for t in times)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=1000, help="alternating pairs per round")
    parser.add_argument("--rounds", type=int, default=3, help="separate processes per setting")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.child:
        print(" ".join(repr(t) for t in measure(args.repeats)))
        return

    print("MLP 64-256-256-10 on digits, batch 256: one forward+backward step (mlp_loss_and_grads)")
    print(f"against the bare GEMMs; medians of {args.repeats} alternating pairs, {args.rounds} rounds each.")
    for label, threads in (("default BLAS threads", None), ("one BLAS thread (nncourse kernels)", "1")):
        env = dict(os.environ)
        for var in THREAD_VARS:
            if threads is None:
                env.pop(var, None)
            else:
                env[var] = threads
        ratios, floors = [], []
        print(f"\n{label}:")
        for r in range(args.rounds):
            out = subprocess.run([sys.executable, __file__, "--child", "--repeats", str(args.repeats)],
                                 env=env, check=True, capture_output=True, text=True).stdout.split()
            h, b, m = (float(x) for x in out)
            ratios.append(h / b)
            floors.append(m / b)
            print(f"  round {r + 1}: helpers {h * 1e3:6.3f} ms   bare GEMMs {b * 1e3:6.3f} ms   ratio {h / b:.2f}x"
                  f"   (minimal numpy step {m * 1e3:6.3f} ms, {m / b:.2f}x)")
        print(f"  median ratio {statistics.median(ratios):.2f}x   (target <= 1.3x); minimal numpy step "
              f"{statistics.median(floors):.2f}x")


if __name__ == "__main__":
    main()
