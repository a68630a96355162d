"""How much do the helpers cost over bare numpy? (Not a test: prints figures.)

One training step's forward and backward pass of an MLP on the digits data (batch 256, two hidden layers
of 256 ReLU units, 10 classes) with ``helpers.backprop.mlp_loss_and_grads``, against the same matrix
products done bare (``X @ W.T`` forward; ``dZ @ W`` and ``dZ.T @ X`` backward), which are the floor any
implementation pays. Target: helpers at most 1.3x the bare GEMMs.

    python benchmarks/bench_helpers.py [--repeats 200]
"""
from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

from helpers import backprop, data, init


def bare_gemms(X, dlogits, layers, inputs):
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


def time_it(fn, repeats):
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), min(times)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=200)
    args = parser.parse_args()

    rng = np.random.default_rng(0)
    X_all, y_all = data.load_digits()
    idx = rng.choice(len(X_all), 256, replace=False)
    X, y = X_all[idx], y_all[idx]
    layers = init.init_mlp([64, 256, 256, 10], rng)
    # inputs of each layer, for the bare backward
    from helpers.forward import mlp_forward
    _, cache = mlp_forward(X, layers)
    dlogits = rng.normal(size=(256, 10))

    for _ in range(20):  # warm up BLAS and caches
        backprop.mlp_loss_and_grads(X, y, layers)
        bare_gemms(X, dlogits, layers, cache.inputs)

    helpers_med, helpers_min = time_it(lambda: backprop.mlp_loss_and_grads(X, y, layers), args.repeats)
    bare_med, bare_min = time_it(lambda: bare_gemms(X, dlogits, layers, cache.inputs), args.repeats)
    print(f"MLP 64-256-256-10, batch 256, {args.repeats} repeats (median / min):")
    print(f"  helpers forward+backward (mlp_loss_and_grads): {helpers_med * 1e3:7.3f} ms / {helpers_min * 1e3:7.3f} ms")
    print(f"  bare numpy GEMMs only:                         {bare_med * 1e3:7.3f} ms / {bare_min * 1e3:7.3f} ms")
    print(f"  ratio (median): {helpers_med / bare_med:.2f}x   ratio (min): {helpers_min / bare_min:.2f}x   target <= 1.3x")


if __name__ == "__main__":
    main()
