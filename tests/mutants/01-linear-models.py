"""Common-mistake answers for 01-linear-models, exercise s01 (format: docs/AUTHORING.md).

Part 1 is `collapse(W1, b1, W2, b2) -> (W, b)`, part 2 `relu_collapse_gap(X, W1, b1, W2, b2) -> float`.
The tests use non-square layers (d0 = 2, d1 = 3, d2 = 2) so that the wrong multiplication order fails on shape,
plus square ones in the hidden tests where it would not.
"""

MUTANTS = [
    # ---------------------------------------------------------------- part 1: collapse
    {
        "name": "collapse-wrong-order",
        "exercise": "s01",
        "cell": "s01-answer-collapse",
        "source": '''
def collapse(W1, b1, W2, b2):
    return W1 @ W2, W2 @ b1 + b2
''',
    },
    {
        "name": "collapse-wrong-order-transposed",
        "exercise": "s01",
        "keeps_at_least": 6,
        "cell": "s01-answer-collapse",
        "source": '''
def collapse(W1, b1, W2, b2):
    return (W1.T @ W2.T), W2 @ b1 + b2
''',
    },
    {
        "name": "collapse-bias-is-b2",
        "exercise": "s01",
        "keeps_at_least": 6,
        "cell": "s01-answer-collapse",
        "source": '''
def collapse(W1, b1, W2, b2):
    return W2 @ W1, b2
''',
    },
    {
        "name": "collapse-bias-sum",
        "exercise": "s01",
        "cell": "s01-answer-collapse",
        "source": '''
def collapse(W1, b1, W2, b2):
    return W2 @ W1, b1 + b2
''',
    },
    {
        "name": "collapse-b1-not-transformed-by-w2-sum",
        "exercise": "s01",
        "keeps_at_least": 6,
        "cell": "s01-answer-collapse",
        "source": '''
import numpy as np

def collapse(W1, b1, W2, b2):
    return W2 @ W1, np.sum(b1) + b2
''',
    },
    {
        "name": "collapse-delegates",
        "exercise": "s01",
        "cell": "s01-answer-collapse",
        "source": '''
from helpers.linear import collapse_affine as _ref

def collapse(W1, b1, W2, b2):
    return _ref(W1, b1, W2, b2)
''',
    },
    # ---------------------------------------------------------------- part 2: relu_collapse_gap
    {
        "name": "gap-mean-not-max",
        "exercise": "s01",
        "keeps_at_least": 6,
        "cell": "s01-answer-gap",
        "source": '''
import numpy as np

def relu_collapse_gap(X, W1, b1, W2, b2):
    W, b = W2 @ W1, W2 @ b1 + b2
    return float(np.mean(np.abs(np.maximum(X @ W1.T + b1, 0) @ W2.T + b2 - (X @ W.T + b))))
''',
    },
    {
        "name": "gap-no-abs",
        "exercise": "s01",
        "keeps_at_least": 6,
        "cell": "s01-answer-gap",
        "source": '''
import numpy as np

def relu_collapse_gap(X, W1, b1, W2, b2):
    W, b = W2 @ W1, W2 @ b1 + b2
    return float(np.max(np.maximum(X @ W1.T + b1, 0) @ W2.T + b2 - (X @ W.T + b)))
''',
    },
    {
        "name": "gap-relu-before-bias",
        "exercise": "s01",
        "keeps_at_least": 6,
        "cell": "s01-answer-gap",
        "source": '''
import numpy as np

def relu_collapse_gap(X, W1, b1, W2, b2):
    W, b = W2 @ W1, W2 @ b1 + b2
    return float(np.max(np.abs((np.maximum(X @ W1.T, 0) + b1) @ W2.T + b2 - (X @ W.T + b))))
''',
    },
    {
        "name": "gap-relu-on-output-too",
        "exercise": "s01",
        "keeps_at_least": 6,
        "cell": "s01-answer-gap",
        "source": '''
import numpy as np

def relu_collapse_gap(X, W1, b1, W2, b2):
    W, b = W2 @ W1, W2 @ b1 + b2
    return float(np.max(np.abs(np.maximum(np.maximum(X @ W1.T + b1, 0) @ W2.T + b2, 0) - (X @ W.T + b))))
''',
    },
    {
        "name": "gap-first-example-only",
        "exercise": "s01",
        "keeps_at_least": 6,
        "cell": "s01-answer-gap",
        "source": '''
import numpy as np

def relu_collapse_gap(X, W1, b1, W2, b2):
    W, b = W2 @ W1, W2 @ b1 + b2
    return float(np.max(np.abs(np.maximum(X[0] @ W1.T + b1, 0) @ W2.T + b2 - (X[0] @ W.T + b))))
''',
    },
    {
        "name": "gap-delegates",
        "exercise": "s01",
        "cell": "s01-answer-gap",
        "source": '''
from helpers import linear as _L

def relu_collapse_gap(X, W1, b1, W2, b2):
    return _L.relu_collapse_gap(X, W1, b1, W2, b2)
''',
    },
]
