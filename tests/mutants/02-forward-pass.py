"""Common-mistake answers for 02-forward-pass (format: docs/AUTHORING.md).

Each must score below full marks on its exercise; the test shapes are non-square with B != d_out so that no
mistake can hide behind a square matrix.
"""

MUTANTS = [
    # ---------------------------------------------------------------- ex01: affine_forward
    {
        "name": "x-at-w-no-transpose",
        "exercise": "ex01",
        "cell": "ex01-answer",
        "source": '''
def affine_forward(X, W, b):
    return X @ W + b
''',
    },
    {
        "name": "forgets-bias",
        "exercise": "ex01",
        "cell": "ex01-answer",
        "source": '''
def affine_forward(X, W, b):
    return X @ W.T
''',
    },
    {
        "name": "column-form-not-transposed-back",
        "exercise": "ex01",
        "cell": "ex01-answer",
        "source": '''
def affine_forward(X, W, b):
    return W @ X.T + b[:, None]
''',
    },
    {
        "name": "bias-on-batch-axis",
        "exercise": "ex01",
        "cell": "ex01-answer",
        "source": '''
def affine_forward(X, W, b):
    return (W @ X.T + b).T
''',
    },
    {
        "name": "bias-summed",
        "exercise": "ex01",
        "cell": "ex01-answer",
        "source": '''
import numpy as np

def affine_forward(X, W, b):
    return X @ W.T + np.sum(b)
''',
    },
    {
        "name": "centers-input-in-place",
        "exercise": "ex01",
        "cell": "ex01-answer",
        "source": '''
def affine_forward(X, W, b):
    X -= X.mean(axis=0)           # "centering" the input in place changes the caller's X
    return X @ W.T + b
''',
    },
    {
        "name": "delegates-to-reference",
        "exercise": "ex01",
        "cell": "ex01-answer",
        "source": '''
from helpers.forward import affine_forward as _reference

def affine_forward(X, W, b):
    return _reference(X, W, b)
''',
    },
    {
        "name": "squeezes-the-output",
        "exercise": "ex01",
        "cell": "ex01-answer",
        "keeps_at_least": 10,
        "source": '''
import numpy as np

def affine_forward(X, W, b):
    return np.squeeze(X @ W.T + b)      # drops the batch axis when B = 1 (and the output axis when d_out = 1)
''',
    },
    # ---------------------------------------------------------------- ex03: two_layer_forward
    {
        "name": "relu-on-logits",
        "exercise": "ex03",
        "cell": "ex03-answer",
        "source": '''
import numpy as np

def two_layer_forward(X, W1, b1, W2, b2):
    H = np.maximum(X @ W1.T + b1, 0)
    return np.maximum(H @ W2.T + b2, 0)
''',
    },
    {
        "name": "sigmoid-hidden",
        "exercise": "ex03",
        "cell": "ex03-answer",
        "source": '''
import numpy as np

def two_layer_forward(X, W1, b1, W2, b2):
    H = 1.0 / (1.0 + np.exp(-(X @ W1.T + b1)))
    return H @ W2.T + b2
''',
    },
    {
        "name": "forgets-b2",
        "exercise": "ex03",
        "cell": "ex03-answer",
        "source": '''
import numpy as np

def two_layer_forward(X, W1, b1, W2, b2):
    H = np.maximum(X @ W1.T + b1, 0)
    return H @ W2.T
''',
    },
    {
        "name": "relu-before-b1",
        "exercise": "ex03",
        "cell": "ex03-answer",
        "source": '''
import numpy as np

def two_layer_forward(X, W1, b1, W2, b2):
    H = np.maximum(X @ W1.T, 0) + b1
    return H @ W2.T + b2
''',
    },
    {
        "name": "no-hidden-activation",
        "exercise": "ex03",
        "cell": "ex03-answer",
        "source": '''
def two_layer_forward(X, W1, b1, W2, b2):
    return (X @ W1.T + b1) @ W2.T + b2
''',
    },
    {
        "name": "delegates-to-reference",
        "exercise": "ex03",
        "cell": "ex03-answer",
        "source": '''
from helpers import forward as _F

def two_layer_forward(X, W1, b1, W2, b2):
    return _F.mlp_forward(X, [_F.Layer(W1, b1), _F.Layer(W2, b2)])[0]
''',
    },
    {
        "name": "squeezes-the-logits",
        "exercise": "ex03",
        "cell": "ex03-answer",
        "keeps_at_least": 10,
        "source": '''
import numpy as np

def two_layer_forward(X, W1, b1, W2, b2):
    H = np.maximum(X @ W1.T + b1, 0.0)
    return (H @ W2.T + b2).squeeze()    # (B, C) becomes (C,) for one example
''',
    },
]
