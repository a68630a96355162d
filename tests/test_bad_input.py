"""Every public function with a shape contract rejects a wrong shape with a message naming the argument.

One table for the whole package, so a new function is easy to add and a message that stops naming its
argument is caught. Each row: the call, the exception type, and a regex the message must match.
"""
from __future__ import annotations

import numpy as np
import pytest

from helpers import activations as A
from helpers import backprop as BP
from helpers import forward as F
from helpers import init as I
from helpers import losses as L
from helpers import optim as O

X = np.ones((4, 3))
W = np.ones((2, 3))
b = np.ones(2)
logits = np.zeros((4, 5))
y = np.array([0, 1, 2, 4])

CASES = {
    "affine_forward W wrong d_in": (lambda: F.affine_forward(X, np.ones((2, 4)), b), ValueError, r"W has shape \(2, 4\).*X of shape \(4, 3\)"),
    "affine_forward b wrong size": (lambda: F.affine_forward(X, W, np.ones(3)), ValueError, r"b has shape \(3,\).*\(d_out,\) = \(2,\)"),
    "affine_forward X 1-D": (lambda: F.affine_forward(np.ones(3), W, b), ValueError, r"X must be 2-D, got shape \(3,\)"),
    "affine_forward X strings": (lambda: F.affine_forward(np.array([["a"]]), W, b), TypeError, r"X must hold real numbers"),
    "two_layer_forward W2 wrong": (lambda: F.two_layer_forward(X, W, b, np.ones((5, 3)), np.ones(5)), ValueError, r"W2 has shape \(5, 3\), expected \(C, d_hidden\) = \(5, 2\)"),
    "two_layer_forward b1 wrong": (lambda: F.two_layer_forward(X, W, np.ones(3), np.ones((5, 2)), np.ones(5)), ValueError, r"b1 has shape \(3,\)"),
    "two_layer_forward W1 wrong": (lambda: F.two_layer_forward(X, np.ones((2, 4)), b, np.ones((5, 2)), np.ones(5)), ValueError, r"W1 has shape \(2, 4\)"),
    "mlp_forward names the layer": (lambda: F.mlp_forward(X, [F.Layer(W, b), F.Layer(np.ones((2, 3)), b)]), ValueError, r"layer 1: .*W has shape \(2, 3\)"),
    "mlp_forward empty": (lambda: F.mlp_forward(X, []), ValueError, r"layers is empty"),
    "apply_activation unknown": (lambda: F.apply_activation(X, "relu6"), ValueError, r"unknown activation 'relu6'"),
    "affine_backward dZ wrong": (lambda: BP.affine_backward(np.ones((4, 3)), X, W), ValueError, r"dZ has shape \(4, 3\), expected \(B, d_out\) = \(4, 2\)"),
    "affine_backward W wrong": (lambda: BP.affine_backward(np.ones((4, 2)), X, np.ones((2, 5))), ValueError, r"W has shape \(2, 5\)"),
    "activation_backward mismatch": (lambda: BP.activation_backward(np.ones(3), np.ones(4), "relu"), ValueError, r"dH has shape \(3,\) but Z has shape \(4,\)"),
    "softmax 1-D": (lambda: L.softmax(np.ones(3)), ValueError, r"Z must be 2-D"),
    "cross-entropy labels out of range": (lambda: L.softmax_cross_entropy(logits, np.array([0, 1, 2, 5])), ValueError, r"y has labels in \[0, 5\], expected labels in \[0, 4\]"),
    "cross-entropy labels wrong length": (lambda: L.softmax_cross_entropy(logits, y[:3]), ValueError, r"y has shape \(3,\), expected \(B,\) = \(4,\)"),
    "cross-entropy float labels": (lambda: L.softmax_cross_entropy(logits, np.array([0.5, 1, 2, 3])), TypeError, r"y must hold integer class labels"),
    "mse mismatch": (lambda: L.mse(np.ones(3), np.ones(4)), ValueError, r"y_hat has shape \(3,\) but y has shape \(4,\)"),
    "bce p out of range": (lambda: L.bce(np.array([0.5, 1.5]), np.array([0.0, 1.0])), ValueError, r"p must hold probabilities in \[0, 1\]"),
    "bce_with_logits mismatch": (lambda: L.bce_with_logits(np.ones(3), np.ones(2)), ValueError, r"z has shape \(3,\) but y has shape \(2,\)"),
    "regularized_loss negative lambda": (lambda: L.regularized_loss(1.0, [W], -0.1), ValueError, r"lam must be >= 0"),
    "swiglu W2 mismatch": (lambda: A.swiglu(X, np.ones((5, 3)), np.ones((4, 3))), ValueError, r"W1 has shape \(5, 3\) but W2 has shape \(4, 3\)"),
    "swiglu W1 wrong d_in": (lambda: A.swiglu(X, np.ones((5, 2)), np.ones((5, 2))), ValueError, r"W1 has shape \(5, 2\)"),
    "xavier_std zero fan_in": (lambda: I.xavier_std(0, 3), ValueError, r"fan_in must be a positive integer, got 0"),
    "he_std float fan_in": (lambda: I.he_std(2.5), TypeError, r"fan_in must be a positive integer"),
    "init_weights bad rng": (lambda: I.init_weights(3, 2, rng=0), TypeError, r"rng must be a numpy.random.Generator"),
    "init_mlp one width": (lambda: I.init_mlp([3], np.random.default_rng(0)), ValueError, r"sizes must list at least"),
    "init normal without std": (lambda: I.init_weights(3, 2, np.random.default_rng(0), "normal"), ValueError, r"needs std"),
    "SGD grads wrong shape": (lambda: O.SGD(0.1).step([W], [np.ones(3)]), ValueError, r"grads\[0\] has shape \(3,\) but params\[0\] has shape \(2, 3\)"),
    "Adam count mismatch": (lambda: O.Adam().step([W], [], O.Adam().init([W])), ValueError, r"got 1 params but 0 grads"),
    "Momentum beta 1": (lambda: O.Momentum(beta=1.0).init([W]), ValueError, r"beta must be in \[0, 1\)"),
    "clip negative": (lambda: O.clip_by_global_norm([W], -1.0), ValueError, r"max_norm must be > 0"),
    "warmup longer than total": (lambda: O.warmup_cosine_schedule(0, 0.1, 10, 5), ValueError, r"warmup \(10\) must be smaller than total \(5\)"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_input_is_rejected_with_a_message_naming_the_argument(case):
    call, exc, pattern = CASES[case]
    with pytest.raises(exc, match=pattern):
        call()
