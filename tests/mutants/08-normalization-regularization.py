"""Common-mistake answers for 08-normalization-regularization (format: docs/AUTHORING.md).

Section exercise s08-bn-backward (s08-bn-backward-answer): batchnorm_train_backward, 10 points.
Practice exercise 8 (ex08-answer): dropout, 11 points. Practice exercise 9 (ex09-answer): layer_norm, 11 points.
A mutant that misses one requirement of several says, with ``keeps_at_least``, how many points it must keep.
"""

_BN_HEAD = '''
def batchnorm_train_backward(dY, X, gamma, eps=1e-5):
    X = np.asarray(X, dtype=float)
    dY = np.asarray(dY, dtype=float)
    B = X.shape[0]
    mu = X.mean(axis=0)
    var = ((X - mu) ** 2).mean(axis=0)
    inv = 1.0 / np.sqrt(var + eps)
    x_hat = (X - mu) * inv
    d = dY * gamma
'''


def _bn(body):
    """A batchnorm_train_backward whose forward statistics are right and whose backward is ``body``."""
    return _BN_HEAD + body

_CHECK_P = '''
    if not 0 <= p < 1:
        raise ValueError(f"p must be in [0, 1), got p = {p}")
'''

MUTANTS = [
    # ---------------------------------------------------------------- s08-bn-backward: batchnorm_train_backward
    {"name": "statistics-as-constants", "exercise": "s08", "cell": "s08-bn-backward-answer",
     "source": _bn('''
    return d * inv, (dY * x_hat).sum(axis=0), dY.sum(axis=0)
'''), "keeps_at_least": 4},
    {"name": "bn-unbiased-variance", "exercise": "s08", "cell": "s08-bn-backward-answer",
     "source": '''
def batchnorm_train_backward(dY, X, gamma, eps=1e-5):
    B = X.shape[0]
    mu = X.mean(axis=0)
    inv = 1.0 / np.sqrt(X.var(axis=0, ddof=1) + eps)
    x_hat = (X - mu) * inv
    d = dY * gamma
    dX = inv / B * (B * d - d.sum(axis=0) - x_hat * (d * x_hat).sum(axis=0))
    return dX, (dY * x_hat).sum(axis=0), dY.sum(axis=0)
'''},
    {"name": "variance-term-dropped", "exercise": "s08", "cell": "s08-bn-backward-answer",
     "source": _bn('''
    return inv / B * (B * d - d.sum(axis=0)), (dY * x_hat).sum(axis=0), dY.sum(axis=0)
'''), "keeps_at_least": 4},
    {"name": "mean-term-dropped", "exercise": "s08", "cell": "s08-bn-backward-answer",
     "source": _bn('''
    return inv / B * (B * d - x_hat * (d * x_hat).sum(axis=0)), (dY * x_hat).sum(axis=0), dY.sum(axis=0)
''')},
    {"name": "dgamma-from-raw-input", "exercise": "s08", "cell": "s08-bn-backward-answer",
     "source": _bn('''
    dX = inv / B * (B * d - d.sum(axis=0) - x_hat * (d * x_hat).sum(axis=0))
    return dX, (dY * X).sum(axis=0), dY.sum(axis=0)
'''), "keeps_at_least": 7},
    {"name": "dbeta-as-mean", "exercise": "s08", "cell": "s08-bn-backward-answer",
     "source": _bn('''
    dX = inv / B * (B * d - d.sum(axis=0) - x_hat * (d * x_hat).sum(axis=0))
    return dX, (dY * x_hat).sum(axis=0), dY.mean(axis=0)
'''), "keeps_at_least": 7},
    {"name": "no-one-over-B", "exercise": "s08", "cell": "s08-bn-backward-answer",
     "source": _bn('''
    dX = inv * (d - d.sum(axis=0) - x_hat * (d * x_hat).sum(axis=0))
    return dX, (dY * x_hat).sum(axis=0), dY.sum(axis=0)
''')},
    {"name": "gamma-left-out-of-dX", "exercise": "s08", "cell": "s08-bn-backward-answer",
     "source": _bn('''
    d = dY
    dX = inv / B * (B * d - d.sum(axis=0) - x_hat * (d * x_hat).sum(axis=0))
    return dX, (dY * x_hat).sum(axis=0), dY.sum(axis=0)
''')},
    {"name": "eps-ignored", "exercise": "s08", "cell": "s08-bn-backward-answer",
     "source": '''
def batchnorm_train_backward(dY, X, gamma, eps=1e-5):
    B = X.shape[0]
    mu = X.mean(axis=0)
    inv = 1.0 / np.sqrt(((X - mu) ** 2).mean(axis=0) + 1e-5)
    x_hat = (X - mu) * inv
    d = dY * gamma
    dX = inv / B * (B * d - d.sum(axis=0) - x_hat * (d * x_hat).sum(axis=0))
    return dX, (dY * x_hat).sum(axis=0), dY.sum(axis=0)
'''},
    {"name": "parameter-gradients-keep-a-batch-axis", "exercise": "s08", "cell": "s08-bn-backward-answer",
     "source": _bn('''
    dX = inv / B * (B * d - d.sum(axis=0) - x_hat * (d * x_hat).sum(axis=0))
    return dX, (dY * x_hat).sum(axis=0, keepdims=True), dY.sum(axis=0, keepdims=True)
'''), "keeps_at_least": 9},
    {"name": "centres-X-in-place", "exercise": "s08", "cell": "s08-bn-backward-answer",
     "source": '''
def batchnorm_train_backward(dY, X, gamma, eps=1e-5):
    B = X.shape[0]
    X -= X.mean(axis=0)
    inv = 1.0 / np.sqrt((X ** 2).mean(axis=0) + eps)
    x_hat = X * inv
    d = dY * gamma
    dX = inv / B * (B * d - d.sum(axis=0) - x_hat * (d * x_hat).sum(axis=0))
    return dX, (dY * x_hat).sum(axis=0), dY.sum(axis=0)
''', "keeps_at_least": 9},
    {"name": "delegates-to-reference", "exercise": "s08", "cell": "s08-bn-backward-answer",
     "source": '''
from helpers.norm import batchnorm_train_backward
'''},
    {"name": "delegates-through-the-cached-backward", "exercise": "s08", "cell": "s08-bn-backward-answer",
     "source": '''
from helpers import norm as _norm


def batchnorm_train_backward(dY, X, gamma, eps=1e-5):
    _, cache, _ = _norm.batchnorm_forward(X, gamma, np.zeros_like(gamma), _norm.batchnorm_init(len(gamma)), True,
                                          eps=eps)
    return _norm.batchnorm_backward(dY, cache)
'''},
    {"name": "delegates-through-layer-norm-backward", "exercise": "s08", "cell": "s08-bn-backward-answer",
     "source": '''
from helpers import norm as _norm


def batchnorm_train_backward(dY, X, gamma, eps=1e-5):
    dX, _, _ = _norm.layer_norm_backward((dY * gamma).T, X.T, np.ones(X.shape[0]), eps=eps)
    x_hat = (X - X.mean(axis=0)) / np.sqrt(X.var(axis=0) + eps)
    return dX.T, (dY * x_hat).sum(axis=0), dY.sum(axis=0)
'''},
    # ---------------------------------------------------------------- ex08: dropout
    {
        "name": "p-used-as-keep-probability",
        "exercise": "ex08",
        "cell": "ex08-answer",
        "source": '''
def dropout(H, p, rng, train=True):''' + _CHECK_P + '''
    if not train:
        return H.copy(), np.ones_like(H)
    mask = (rng.random(H.shape) < p).astype(float)
    return H * mask / p, mask
''',
    },
    {
        "name": "no-inverted-scaling",
        "exercise": "ex08",
        "cell": "ex08-answer",
        "source": '''
def dropout(H, p, rng, train=True):''' + _CHECK_P + '''
    if not train:
        return H.copy(), np.ones_like(H)
    mask = (rng.random(H.shape) >= p).astype(float)
    return H * mask, mask
''',
    },
    {
        "name": "multiplies-by-keep-probability",
        "exercise": "ex08",
        "cell": "ex08-answer",
        "source": '''
def dropout(H, p, rng, train=True):''' + _CHECK_P + '''
    if not train:
        return H.copy(), np.ones_like(H)
    mask = (rng.random(H.shape) >= p).astype(float)
    return H * mask * (1 - p), mask
''',
    },
    {
        "name": "dropout-applied-in-eval",
        "exercise": "ex08",
        "cell": "ex08-answer",
        "source": '''
def dropout(H, p, rng, train=True):''' + _CHECK_P + '''
    mask = (rng.random(H.shape) >= p).astype(float)
    return H * mask / (1 - p), mask
''',
    },
    {
        "name": "scales-in-eval",
        "exercise": "ex08",
        "cell": "ex08-answer",
        "source": '''
def dropout(H, p, rng, train=True):''' + _CHECK_P + '''
    if not train:
        return H * (1 - p), np.ones_like(H)
    mask = (rng.random(H.shape) >= p).astype(float)
    return H * mask / (1 - p), mask
''',
    },
    {
        "name": "one-scalar-mask",
        "exercise": "ex08",
        "cell": "ex08-answer",
        "source": '''
def dropout(H, p, rng, train=True):''' + _CHECK_P + '''
    if not train:
        return H.copy(), np.ones_like(H)
    mask = float(rng.random() > p) * np.ones_like(H)
    return H * mask / (1 - p), mask
''',
    },
    {
        "name": "no-check-of-p",
        "exercise": "ex08",
        "cell": "ex08-answer",
        "source": '''
def dropout(H, p, rng, train=True):
    if not train:
        return H.copy(), np.ones_like(H)
    mask = (rng.random(H.shape) >= p).astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return H * mask / (1 - p), mask
''',
        "keeps_at_least": 7,
    },
    # ---------------------------------------------------------------- ex09: layer_norm
    {
        "name": "normalizes-over-the-batch-axis",
        "exercise": "ex09",
        "cell": "ex09-answer",
        "source": '''
def layer_norm(x, gamma, beta, eps=1e-5):
    mu = x.mean(axis=0, keepdims=True)
    var = x.var(axis=0, keepdims=True)
    return gamma * (x - mu) / np.sqrt(var + eps) + beta
''',
    },
    {
        "name": "unbiased-variance",
        "exercise": "ex09",
        "cell": "ex09-answer",
        "source": '''
def layer_norm(x, gamma, beta, eps=1e-5):
    mu = x.mean(axis=-1, keepdims=True)
    var = x.var(axis=-1, keepdims=True, ddof=1)
    return gamma * (x - mu) / np.sqrt(var + eps) + beta
''',
    },
    {
        "name": "eps-outside-the-sqrt",
        "exercise": "ex09",
        "cell": "ex09-answer",
        "source": '''
def layer_norm(x, gamma, beta, eps=1e-5):
    mu = x.mean(axis=-1, keepdims=True)
    return gamma * (x - mu) / (x.std(axis=-1, keepdims=True) + eps) + beta
''',
    },
    {
        "name": "std-without-eps",
        "exercise": "ex09",
        "cell": "ex09-answer",
        "source": '''
def layer_norm(x, gamma, beta, eps=1e-5):
    mu = x.mean(axis=-1, keepdims=True)
    return gamma * (x - mu) / x.std(axis=-1, keepdims=True) + beta
''',
    },
    {
        "name": "forgets-gamma-and-beta",
        "exercise": "ex09",
        "cell": "ex09-answer",
        "source": '''
def layer_norm(x, gamma, beta, eps=1e-5):
    mu = x.mean(axis=-1, keepdims=True)
    return (x - mu) / np.sqrt(x.var(axis=-1, keepdims=True) + eps)
''',
    },
    {
        "name": "works-only-for-one-example",
        "exercise": "ex09",
        "cell": "ex09-answer",
        "source": '''
def layer_norm(x, gamma, beta, eps=1e-5):
    mu = np.mean(x)
    return gamma * (x - mu) / np.sqrt(np.mean((x - mu) ** 2) + eps) + beta
''',
    },
]
